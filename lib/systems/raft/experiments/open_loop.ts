/**
 * An open-loop load generator for the Raft key-value store: operations arrive as a Poisson
 * process at a given rate whatever the cluster does, so the offered load can exceed what the
 * cluster can serve (a closed-loop client waits for each answer, so its load falls as latency
 * grows and never shows the overload).
 *
 * The history allows one open operation per process, so the generator runs a pool of processes:
 * an arrival takes a free process (creating one while fewer than `processesMax` exist) and the
 * operation's completion frees it. An arrival that finds every process busy is shed: it is never
 * invoked, only counted in the metric `raft_open_loop_shed`, as a load balancer with a bounded
 * queue drops requests. Each process is also a client session (its process number is its client
 * id), so retries of its operations apply once, as the closed-loop client's do: a redirect or a
 * timeout moves the operation to the hinted or next server with the same sequence number, and an
 * operation given up on is recorded as `info` (it may still take effect).
 *
 * @example
 * ```ts
 * import { runRaftCluster } from "./cluster.ts";
 * const run = runRaftCluster({
 *   servers: 3, clients: 0, durationUs: 500_000, bug: "none", schedule: { faults: [], recoveryUs: 0 },
 *   openLoop: { offeredPerSecond: 500 },
 * }, 1);
 * run.figures.operationsOk; // about 250 (500/s for half a second; 278 with this seed)
 * ```
 * @module
 */
import { assert, checkNumber } from "../../../assert.ts";
import type { Op } from "../../../history/mod.ts";
import type { NodeApi, NodeLogic } from "../../../sim/mod.ts";
import type { RaftMessage } from "../mod.ts";

/**
 * The first process number of the cluster harness's open-loop pool: far above any node id (the
 * closed-loop clients' process numbers), so the two never meet in the history or the sessions.
 */
export const openLoopProcessBase = 1_000_000;

/** Options of the open-loop generator. */
export interface RaftOpenLoopOptions {
  servers: number[];
  keys: string[];
  /** Fraction of reads; the rest are writes of unique values. */
  readFraction: number;
  /** How writes write: "append" (default) or "put" (bounded state). */
  writeF?: "append" | "put";
  /** Mean arrival rate of the Poisson process, in operations per second of the generator's clock. */
  offeredPerSecond: number;
  /** The most operations in flight (processes of the pool); arrivals beyond it are shed. */
  processesMax: number;
  /**
   * The first process number and client id of the pool (the pool uses `processBase` to
   * `processBase + processesMax - 1`): it must not meet another client's, which are node ids.
   */
  processBase: number;
  /** Wait for an answer this long before trying another server. */
  timeoutUs: number;
  /** Give up (and record info) after this long. */
  giveUpUs: number;
  /** No arrivals after this time of the generator's clock (default: none stop). */
  arrivalsStopUs?: number;
}

/** An operation of one process of the pool. */
interface PoolOperation {
  seq: number;
  f: "get" | "append" | "put";
  key: string;
  value: string | null;
  startedUs: number;
  invocation: Op;
  target: number;
  timer: number;
}

/** One process of the pool: a client session with at most one operation in flight. */
interface PoolProcess {
  process: number;
  seq: number;
  current: PoolOperation | undefined;
}

/**
 * Timer tags: the next arrival is -1; process `i`'s timeout is `2i` and its retry after a refusal
 * `2i + 1` (numbers, so the hot path allocates no tag objects).
 */
const tagArrival = -1;
const timerTimeout = 0;
const timerRetry = 1;
/** Wait after a refusal before asking the next server, as the closed-loop client does. */
const retryDelayUs = 10_000;

/**
 * The generator's logic: Poisson arrivals, each run by a free process of the pool.
 *
 * @param api the generator node's API (its `rng` draws arrivals, keys and reads)
 * @param options rate, pool size and process numbers, keys, read fraction and timeouts
 * @returns the node logic
 */
export function raftOpenLoopClient(api: NodeApi<RaftMessage>, options: RaftOpenLoopOptions): NodeLogic<RaftMessage> {
  const meanGapUs = 1e6 / checkNumber("offeredPerSecond", options.offeredPerSecond, { min: 1e-6 });
  const processesMax = checkNumber("processesMax", options.processesMax, { min: 1, max: 1_000_000, integer: true });
  assert(options.servers.length > 0, "an open-loop generator needs servers");
  const pool: PoolProcess[] = [];
  /** Indexes of idle processes, reused last-freed first (a stack, so reuse is deterministic). */
  const idle: number[] = [];
  /** Where new operations go first: the server that last answered ok or was hinted as leader. */
  let leaderGuess = options.servers[0];

  const send = (index: number) => {
    const operation = pool[index].current!;
    api.send(operation.target, {
      type: "request",
      clientId: pool[index].process,
      seq: operation.seq,
      f: operation.f,
      key: operation.key,
      value: operation.value,
    });
    operation.timer = api.setTimer(options.timeoutUs, index * 2 + timerTimeout);
  };
  const claim = (): number | undefined => {
    if (idle.length > 0) return idle.pop()!;
    if (pool.length >= processesMax) return undefined;
    pool.push({ process: options.processBase + pool.length, seq: 0, current: undefined });
    return pool.length - 1;
  };
  const arrive = () => {
    const nextGapUs = -meanGapUs * Math.log(1 - api.rng.next());
    if (options.arrivalsStopUs === undefined || api.monotonicUs() + nextGapUs < options.arrivalsStopUs) {
      api.setTimer(nextGapUs, tagArrival);
    }
    const index = claim();
    if (index === undefined) return api.record("raft_open_loop_shed", 1);
    const process = pool[index];
    assert(process.current === undefined, `process ${process.process} claimed while busy`);
    process.seq++;
    const key = options.keys[Math.floor(api.rng.next() * options.keys.length)];
    const read = api.rng.next() < options.readFraction;
    const f = read ? "get" as const : options.writeF ?? "append";
    const value = read ? null : `${process.process}.${process.seq};`;
    const invocation = api.invoke(f, value, { key, process: process.process });
    const startedUs = api.monotonicUs();
    process.current = { seq: process.seq, f, key, value, startedUs, invocation, target: leaderGuess, timer: -1 };
    send(index);
  };
  const finish = (index: number, type: "ok" | "info", value: string | null) => {
    const process = pool[index];
    const operation = process.current!;
    api.complete(operation.invocation, type, type === "ok" ? value : operation.value);
    if (type === "ok") api.record("raft_client_latency_us", api.monotonicUs() - operation.startedUs);
    process.current = undefined;
    idle.push(index);
  };
  const tryAnother = (operation: PoolOperation, hint: number) => {
    const next = options.servers[(options.servers.indexOf(operation.target) + 1) % options.servers.length];
    operation.target = hint >= 0 && hint !== operation.target && options.servers.includes(hint) ? hint : next;
    if (hint >= 0 && options.servers.includes(hint)) leaderGuess = hint;
  };
  return {
    onStart: () => api.setTimer(-meanGapUs * Math.log(1 - api.rng.next()), tagArrival),
    onMessage(from, message) {
      if (message.type !== "response") return;
      const index = message.clientId - options.processBase;
      const operation = pool[index]?.current;
      if (operation === undefined || message.seq !== operation.seq) return;
      api.cancelTimer(operation.timer);
      if (message.ok) {
        leaderGuess = from;
        return finish(index, "ok", message.value);
      }
      tryAnother(operation, message.leaderHint);
      if (api.monotonicUs() - operation.startedUs > options.giveUpUs) return finish(index, "info", null);
      operation.timer = api.setTimer(retryDelayUs, index * 2 + timerRetry);
    },
    onTimer(tag, timerId) {
      if (tag === tagArrival) return arrive();
      const index = Math.floor((tag as number) / 2);
      const operation = pool[index]?.current;
      if (operation === undefined || timerId !== operation.timer) return;
      if ((tag as number) % 2 === timerTimeout) tryAnother(operation, -1);
      if (api.monotonicUs() - operation.startedUs > options.giveUpUs) return finish(index, "info", null);
      send(index);
    },
  };
}
