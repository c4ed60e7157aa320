// Proves that a Raft client cannot starve on a removed server: one that has suspected every
// current member learns the configuration from a removed server's refusal and goes back to the
// members, and forgets old suspicions, so a healthy leader is always asked again.
import assert from "node:assert/strict";
import type { ClientContext, Outcome } from "../../sim/mod.ts";
import { raftClient } from "./client.ts";
import type { RaftMessage } from "./types.ts";

type Request = Extract<RaftMessage, { type: "request" }>;

/** A client over servers 0-3 with a hand-driven clock and timers; it records every request sent. */
function harness() {
  let nowUs = 0;
  let timerId = 0;
  const timers = new Map<number, { atUs: number; tag: unknown }>();
  const sent: { to: number; atUs: number; message: Request }[] = [];
  const context: ClientContext<RaftMessage> = {
    id: 10,
    session: 10,
    rng: { next: () => 0.5 } as never,
    send: (to, message) => sent.push({ to, atUs: nowUs, message: message as Request }),
    setTimer: (delayUs, tag) => {
      timers.set(++timerId, { atUs: nowUs + delayUs, tag });
      return timerId;
    },
    cancelTimer: (id) => timers.delete(id),
    monotonicUs: () => nowUs,
    record: () => {},
  };
  const client = raftClient(context, { servers: [0, 1, 2, 3], timeoutUs: 100_000, giveUpUs: 60_000_000 });
  /** Fires the earliest timer. */
  const fire = () => {
    const [id, timer] = [...timers].sort((a, b) => a[1].atUs - b[1].atUs)[0];
    timers.delete(id);
    nowUs = timer.atUs;
    client.onTimer!(timer.tag);
  };
  /**
   * Server 2 first refuses in term 1, naming voters 0-3; then 0, 1 and 2 all time out (a partition,
   * say) until the client suspects every one of them and asks server 3, since removed.
   */
  const suspectEveryMember = () => {
    const last = () => sent[sent.length - 1];
    client.onMessage(last().to, {
      type: "response",
      term: 1,
      clientId: 10,
      seq: last().message.seq,
      ok: false,
      value: null,
      leaderHint: -1,
      voters: [0, 1, 2, 3],
    });
    const timedOut = new Set<number>();
    for (let i = 0; i < 50 && !(timedOut.size === 3 && last().to === 3); i++) {
      const asked = last().to;
      fire();
      if (last().to !== asked && asked !== 3) timedOut.add(asked);
    }
    assert.equal(last().to, 3);
    assert.equal(timedOut.size, 3, "every member timed out");
  };
  return { client, sent, fire, now: () => nowUs, suspectEveryMember };
}

Deno.test("a client that suspects every member leaves a removed server that refuses at once", () => {
  const { client, sent, fire, suspectEveryMember } = harness();
  const outcomes: Outcome[] = [];
  client.perform({ f: "append", key: "k", value: "v;" }, (outcome) => outcomes.push(outcome));
  suspectEveryMember();
  // Server 3, removed from the cluster, refuses at once with a stale hint (the suspected 0) and
  // names the current voters 0, 1, 2; then a timeout-free loop would keep the client on 3.
  const askedBefore = sent.length;
  for (let i = 0; i < 20; i++) {
    const last = sent[sent.length - 1];
    if (last.to !== 3) break;
    client.onMessage(3, {
      type: "response",
      term: 1,
      clientId: 10,
      seq: last.message.seq,
      ok: false,
      value: null,
      leaderHint: 0,
      voters: [0, 1, 2],
    });
    fire(); // the retry delay
  }
  const next = sent[sent.length - 1];
  assert.notEqual(next.to, 3, `after ${sent.length - askedBefore} requests the client still asks the removed server`);
  // The member it asks now is healthy again and answers: the operation completes.
  client.onMessage(next.to, {
    type: "response",
    term: 2,
    clientId: 10,
    seq: next.message.seq,
    ok: true,
    value: null,
    leaderHint: next.to,
  });
  assert.deepEqual(outcomes.map((o) => o.type), ["ok"]);
});

Deno.test("a client forgets a suspicion after a few timeouts, even with no configuration to learn from", () => {
  const { client, sent, fire, now, suspectEveryMember } = harness();
  client.perform({ f: "get", key: "k", value: null }, () => {});
  suspectEveryMember();
  const suspectedUntilUs = now() + 3 * 100_000;
  // Server 3 refuses at once with a stale hint and no configuration (an older server).
  for (let i = 0; i < 200 && sent[sent.length - 1].to === 3; i++) {
    const last = sent[sent.length - 1];
    client.onMessage(3, {
      type: "response",
      term: 1,
      clientId: 10,
      seq: last.message.seq,
      ok: false,
      value: null,
      leaderHint: 0,
    });
    fire();
  }
  const next = sent[sent.length - 1];
  assert.notEqual(next.to, 3, "the client never left the removed server");
  assert.ok(next.atUs <= suspectedUntilUs + 100_000, `it left only at ${next.atUs} us`);
});
