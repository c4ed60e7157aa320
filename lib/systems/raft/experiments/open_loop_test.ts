// Proves the open-loop generator keeps offering load whatever the servers do: arrivals come at the
// offered rate even when nothing answers, each operation runs on its own process of the pool,
// arrivals beyond the pool are shed and counted, refused operations follow the leader hint, and
// answered ones complete ok and free their process.
import assert from "node:assert/strict";
import { Simulation } from "../../../sim/mod.ts";
import type { NodeLogic } from "../../../sim/mod.ts";
import { raftOpenLoopClient, type RaftOpenLoopOptions } from "./open_loop.ts";
import type { RaftMessage } from "../mod.ts";

const base = 1_000;

/** A generator against `servers` (their logic by index), run for one second of virtual time. */
function generate(
  servers: ((api: { send: (to: number, m: RaftMessage) => void; id: number }) => NodeLogic<RaftMessage>)[],
  options: Partial<RaftOpenLoopOptions>,
): Simulation {
  const sim = new Simulation({ seed: 4 });
  const ids = servers.map((logic) => sim.addNode<RaftMessage>({ create: (api) => logic(api) }));
  sim.addNode<RaftMessage>({
    name: "loadgen",
    create: (api) =>
      raftOpenLoopClient(api, {
        servers: ids,
        keys: ["k0", "k1"],
        readFraction: 0.5,
        offeredPerSecond: 1000,
        processesMax: 50,
        processBase: base,
        timeoutUs: 100_000,
        giveUpUs: 300_000,
        ...options,
      }),
  });
  sim.run({ untilUs: 1_000_000 });
  return sim;
}

/** A server that answers every request ok (or refuses it, naming `hint` as the leader). */
const answering = (hint?: number) => (api: { send: (to: number, m: RaftMessage) => void; id: number }) => ({
  onMessage(from: number, m: RaftMessage) {
    if (m.type !== "request") return;
    const ok = hint === undefined;
    api.send(from, {
      type: "response",
      clientId: m.clientId,
      seq: m.seq,
      ok,
      value: m.value,
      leaderHint: hint ?? api.id,
      term: 1,
    });
  },
});

Deno.test("open loop: with no server answering, arrivals keep their rate, each on its own process, and the excess is shed", () => {
  const sim = generate([() => ({ onMessage() {} })], {});
  const invocations = sim.history.events.filter((op) => op.type === "invoke");
  const shed = sim.metrics.series("raft_open_loop_shed").value.length;
  // About 1000 arrivals in a second (Poisson: within 10%), whatever happened to the earlier ones.
  assert.ok(Math.abs(invocations.length + shed - 1000) < 100, `${invocations.length} invoked, ${shed} shed`);
  // Each operation holds its process for the give-up time, so 50 processes serve about 160/s.
  assert.ok(shed > 700, `${shed} shed`);
  const processes = new Set(invocations.map((op) => op.process as number));
  assert.equal(processes.size, 50);
  assert.ok([...processes].every((p) => p >= base && p < base + 50));
  assert.ok(sim.history.events.filter((op) => op.type !== "invoke").every((op) => op.type === "info"));
});

Deno.test("open loop: answered operations complete ok and free their process, so a small pool suffices", () => {
  const sim = generate([answering()], {});
  const completions = sim.history.events.filter((op) => op.type !== "invoke");
  assert.ok(completions.length > 900 && completions.every((op) => op.type === "ok"));
  assert.ok(new Set(completions.map((op) => op.process)).size < 10, "a process is reused once its operation ends");
  assert.equal(sim.metrics.series("raft_open_loop_shed").value.length, 0);
});

Deno.test("open loop: a refused operation follows the leader hint and later arrivals go to that leader first", () => {
  let servedByLeader = 0;
  let refused = 0;
  const refusing = answering(1);
  const sim = generate([
    (api) => {
      const logic = refusing(api);
      return { onMessage: (from: number, m: RaftMessage) => (refused++, logic.onMessage(from, m)) };
    },
    (api) => ({
      onMessage(from: number, m: RaftMessage) {
        if (m.type !== "request") return;
        servedByLeader++;
        api.send(from, {
          type: "response",
          clientId: m.clientId,
          seq: m.seq,
          ok: true,
          value: m.value,
          leaderHint: api.id,
          term: 1,
        });
      },
    }),
  ], {});
  const completions = sim.history.events.filter((op) => op.type !== "invoke");
  assert.ok(completions.length > 900 && completions.every((op) => op.type === "ok"));
  assert.equal(refused, 1, "only the first arrival asked the follower; the hint sent the rest to the leader");
  assert.equal(servedByLeader, completions.length + sim.history.openOperations().length);
});
