/**
 * A Raft client: one operation at a time, sent to the server it believes leads; a redirect or a
 * timeout moves it to the hinted or next server, retrying with the same sequence number (the
 * session, keyed on the client's process number, makes the retry apply once). An operation given
 * up on is `info`: it may still take effect. Per ok operation it records `raft_client_latency_us`,
 * and per acknowledged write the term of the leader that acknowledged it (`raft_write_ok_term`).
 *
 * @module
 */
import { assert } from "../../assert.ts";
import type { ClientContext, Outcome, Request, SystemClient } from "../../sim/mod.ts";
import { type RaftMessage, type RaftOperation, raftOperations } from "./types.ts";

/** Options of a client. */
export interface RaftClientOptions {
  servers: readonly number[];
  /** Wait for an answer before trying another server. */
  timeoutUs: number;
  /** Give up (outcome info) after this long. */
  giveUpUs: number;
}

const timerTimeout = "timeout";
const timerRetry = "retry";
/** Wait after a refusal before asking the next server. */
const retryDelayUs = 10_000;
/** A suspicion is forgotten after this many request timeouts: a server suspected long ago may be back. */
const suspicionTimeouts = 3;

interface Current {
  seq: number;
  f: RaftOperation;
  key: string;
  value: string | null;
  expected: string | undefined;
  ttlUs: number | undefined;
  startedUs: number;
  timer: number;
  done: (outcome: Outcome) => void;
}

/**
 * A client performing get, put, append, delete and cas of strings on keys. A cas request's value
 * is `[expected, next]` (the `kv-cas` model's input); a cas that found another value ends `fail`
 * with the value found: it definitely had no effect. A put's `ttlUs` gives its key a time to live.
 */
export function raftClient(context: ClientContext<RaftMessage>, options: RaftClientOptions): SystemClient<RaftMessage> {
  assert(options.servers.length > 0, "a Raft client needs servers");
  let seq = 0;
  let target = options.servers[context.id % options.servers.length];
  let current: Current | undefined;
  const send = () => {
    assert(current !== undefined, "send without an operation");
    const { seq, f, key, value, expected, ttlUs } = current;
    const request = { type: "request" as const, clientId: context.session, seq, f, key, value };
    const extras = { ...(expected === undefined ? {} : { expected }), ...(ttlUs === undefined ? {} : { ttlUs }) };
    context.send(target, expected === undefined && ttlUs === undefined ? request : { ...request, ...extras });
    current.timer = context.setTimer(options.timeoutUs, timerTimeout);
  };
  const finish = (outcome: Outcome) => {
    assert(current !== undefined, "finish without an operation");
    if (outcome.type === "ok") context.record("raft_client_latency_us", context.monotonicUs() - current.startedUs);
    const done = current.done;
    current = undefined;
    done(outcome);
  };
  /**
   * A server that let a request time out is suspected, with the highest term the client had seen
   * then: other servers' hints may still name it in that term (they have not noticed it is gone),
   * and following them back would cost a timeout each time. A hint from a later term is news (it
   * may lead again) and is followed; an answer from the server itself clears the suspicion, and a
   * suspicion older than a few timeouts is forgotten, so a client never suspects every server for
   * good (it would then only ever ask the one that answers at once: a removed server).
   */
  const suspectedAt = new Map<number, { term: number; atUs: number }>();
  let termSeen = 0;
  const suspected = (server: number) => {
    const suspicion = suspectedAt.get(server);
    if (suspicion === undefined) return false;
    if (context.monotonicUs() - suspicion.atUs <= options.timeoutUs * suspicionTimeouts) return true;
    suspectedAt.delete(server);
    return false;
  };
  /**
   * The servers that may lead, as the latest configuration a refusal named (from the highest term
   * seen with one): rotation skips servers removed from the cluster and spares not yet added.
   */
  let voters: readonly number[] = options.servers;
  let votersTerm = -1;
  const learnVoters = (named: readonly number[] | undefined, term: number) => {
    if (named === undefined || term < votersTerm) return;
    const known = named.filter((server) => options.servers.includes(server));
    if (known.length === 0) return;
    voters = known;
    votersTerm = term;
  };
  const tryAnother = (hint: number, hintTerm = 0) => {
    const fresh = !suspected(hint) || hintTerm > suspectedAt.get(hint)!.term;
    if (hint >= 0 && hint !== target && options.servers.includes(hint) && fresh) {
      target = hint;
      return;
    }
    // Round-robin over the voters from the current server, past suspected ones; when every one
    // is, the next. A target outside the voters (removed) starts the round at the first voter.
    const after = (server: number) => voters[(voters.indexOf(server) + 1) % voters.length];
    let next = after(target);
    for (let i = 1; i < voters.length && suspected(next); i++) next = after(next);
    target = suspected(next) ? after(target) : next;
  };
  const gaveUp = () => current !== undefined && context.monotonicUs() - current.startedUs > options.giveUpUs;
  return {
    perform(request: Request, done) {
      assert(current === undefined, "a Raft client performs one operation at a time");
      const f = request.f as RaftOperation;
      // Checked on every operation: the messages are built only when a check fails.
      if (!raftOperations.includes(f)) assert(false, `a Raft client performs ${raftOperations.join(", ")}, not ${f}`);
      if (request.key === undefined) assert(false, `${f} needs a key`);
      seq++;
      const { value, expected } = operands(f, request.value);
      if (request.ttlUs !== undefined && f !== "put") assert(false, `a time to live goes with a put, not a ${f}`);
      const ttlUs = request.ttlUs;
      current = { seq, f, key: request.key, value, expected, ttlUs, startedUs: context.monotonicUs(), timer: -1, done };
      send();
    },
    onMessage(from, message) {
      if (message.type !== "response" || message.clientId !== context.session) return;
      suspectedAt.delete(from); // it answered: it is alive, whatever it answered
      termSeen = Math.max(termSeen, message.term);
      if (current === undefined || message.seq !== current.seq) return;
      context.cancelTimer(current.timer);
      if (message.error === "casMismatch") return finish({ type: "fail", value: message.value });
      if (message.ok) {
        // Which leader's term acknowledged a write: a deposed leader's late answers are told apart.
        if (current.f !== "get") context.record("raft_write_ok_term", message.term);
        return finish({ type: "ok", value: current.f === "get" ? message.value : undefined });
      }
      learnVoters(message.voters, message.term);
      tryAnother(message.leaderHint, message.term);
      if (gaveUp()) return finish({ type: "info" });
      current.timer = context.setTimer(retryDelayUs, timerRetry);
    },
    onTimer(tag) {
      if (current === undefined) return;
      if (tag === timerTimeout) {
        suspectedAt.set(target, { term: termSeen, atUs: context.monotonicUs() });
        tryAnother(-1);
      }
      if (gaveUp()) return finish({ type: "info" });
      send();
    },
  };
}

/** The value a request writes and, for `cas`, the value it expects. */
function operands(f: RaftOperation, value: unknown): { value: string | null; expected: string | undefined } {
  if (f === "get" || f === "delete") return { value: null, expected: undefined };
  if (f !== "cas") return { value: String(value), expected: undefined };
  if (!(Array.isArray(value) && value.length === 2)) assert(false, `cas takes [expected, next], not ${String(value)}`);
  return { value: String(value[1]), expected: String(value[0]) };
}
