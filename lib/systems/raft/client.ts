/**
 * A Raft client: one operation at a time, sent to the server it believes leads; a redirect or a
 * timeout moves it to the hinted or next server, retrying with the same sequence number (the
 * session makes the retry apply once). An operation given up on is recorded as `info`: it may
 * still take effect.
 *
 * @module
 */
import { assert } from "../../assert.ts";
import type { Op } from "../../history/history.ts";
import type { NodeApi, NodeLogic } from "../../sim/types.ts";
import type { RaftMessage } from "./types.ts";

/** Options of a client. */
export interface RaftClientOptions {
  servers: number[];
  keys: string[];
  /** Fraction of reads; the rest are writes of unique values. */
  readFraction: number;
  /** How writes write: "append" (default; values grow, which checkers like) or "put" (bounded state). */
  writeF?: "append" | "put";
  thinkTimeUsMean: number;
  /** Wait for an answer before trying another server. */
  timeoutUs: number;
  /** Give up (and record info) after this long. */
  giveUpUs: number;
}

const timerNext = "next";
const timerTimeout = "timeout";

/** A client's logic. Its client id is its node id. */
export function raftClient(api: NodeApi<RaftMessage>, options: RaftClientOptions): NodeLogic<RaftMessage> {
  let seq = 0;
  let target = options.servers[api.id % options.servers.length];
  let current:
    | {
      seq: number;
      f: "get" | "append" | "put";
      key: string;
      value: string | null;
      startedUs: number;
      invocation: Op;
      timer: number;
    }
    | undefined;
  const send = () => {
    assert(current !== undefined, "send without an operation");
    api.send(target, {
      type: "request",
      clientId: api.id,
      seq: current.seq,
      f: current.f,
      key: current.key,
      value: current.value,
    });
    current.timer = api.setTimer(options.timeoutUs, timerTimeout);
  };
  const begin = () => {
    seq++;
    const key = options.keys[Math.floor(api.rng.next() * options.keys.length)];
    const read = api.rng.next() < options.readFraction;
    const f = read ? "get" as const : options.writeF ?? "append";
    const value = read ? null : `${api.id}.${seq};`;
    const invocation = api.invoke(f, value, { key });
    current = { seq, f, key, value, startedUs: api.monotonicUs(), invocation, timer: -1 };
    send();
  };
  const finish = (type: "ok" | "info", value: string | null) => {
    assert(current !== undefined, "finish without an operation");
    api.complete(current.invocation, type, type === "ok" ? value : current.value);
    if (type === "ok") api.record("raft_client_latency_us", api.monotonicUs() - current.startedUs);
    current = undefined;
    api.setTimer(-options.thinkTimeUsMean * Math.log(1 - api.rng.next()), timerNext);
  };
  /**
   * A server that let a request time out is suspected, with the highest term the client had seen
   * then: other servers' hints may still name it in that term (they have not noticed it is gone),
   * and following them back would cost a timeout each time. A hint from a later term is news (it
   * may lead again) and is followed; an answer from the server itself clears the suspicion.
   */
  const suspectedAtTerm = new Map<number, number>();
  let termSeen = 0;
  const suspected = (server: number) => suspectedAtTerm.has(server);
  const tryAnother = (hint: number, hintTerm = 0) => {
    const fresh = !suspected(hint) || hintTerm > suspectedAtTerm.get(hint)!;
    if (hint >= 0 && hint !== target && options.servers.includes(hint) && fresh) {
      target = hint;
      return;
    }
    // Round-robin from the current server, past suspected ones; when every one is, the next.
    const after = (server: number) => options.servers[(options.servers.indexOf(server) + 1) % options.servers.length];
    let next = after(target);
    for (let i = 1; i < options.servers.length && suspected(next); i++) next = after(next);
    target = suspected(next) ? after(target) : next;
  };
  return {
    onStart: begin,
    onMessage(from, message) {
      if (message.type !== "response") return;
      suspectedAtTerm.delete(from); // it answered: it is alive, whatever it answered
      termSeen = Math.max(termSeen, message.term);
      if (current === undefined || message.seq !== current.seq) return;
      api.cancelTimer(current.timer);
      if (message.ok) {
        // Which leader's term acknowledged a write: a deposed leader's late answers are told apart.
        if (current.f !== "get") api.record("raft_write_ok_term", message.term);
        return finish("ok", message.value);
      }
      tryAnother(message.leaderHint, message.term);
      if (api.monotonicUs() - current.startedUs > options.giveUpUs) return finish("info", null);
      current.timer = api.setTimer(10_000, "retry");
    },
    onTimer(tag) {
      if (tag === timerNext) return begin();
      if (current === undefined) return;
      if (tag === timerTimeout) {
        suspectedAtTerm.set(target, termSeen);
        tryAnother(-1);
      }
      if (api.monotonicUs() - current.startedUs > options.giveUpUs) return finish("info", null);
      send();
    },
  };
}
