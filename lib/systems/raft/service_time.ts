/**
 * CPU prices for a Raft server's work, as a kernel {@linkcode ServiceTimeModel}: a fixed cost per
 * message handled plus a cost per log entry the message carries (an append's entries, a client's
 * write), and optional fixed costs for timers and disk completions. A client's read carries no
 * entry: served by ReadIndex or under a lease it never becomes one, and served through the log
 * (`readMode: "log"`) it is priced where it travels as an entry, in the appends that carry it. With a price on work, a
 * server handles one event at a time and the rest wait in its inbox, so offered load beyond what
 * the leader can handle turns into queueing delay: the knee of the latency-throughput curve.
 *
 * The model is the harness's, not the server's: the server never sees its own CPU time (the
 * kernel charges it between an event's arrival and its handler), so pricing work changes when
 * things happen, never what the protocol does.
 *
 * @example
 * ```ts
 * import { raftServiceTime } from "./service_time.ts";
 * import { Rng } from "../../sim/rng.ts";
 * const price = raftServiceTime({ messageUs: 40, entryUs: 10 });
 * const append = { type: "append", entries: [{}, {}, {}] };
 * price("message", append, Rng.fromSeed(1)); // 70: 40 for the message, 10 for each of 3 entries
 * ```
 * @module
 */
import { checkNumber } from "../../assert.ts";
import type { ServiceTimeModel } from "../../sim/mod.ts";

/** Prices of a server's work, in microseconds of CPU. */
export interface RaftServiceTimeOptions {
  /** Cost of handling any message (peer or client), before its entries. */
  messageUs: number;
  /** Cost of each log entry a message carries: an append's entries, a client's write. */
  entryUs: number;
  /** Cost of a timer firing (elections, heartbeats). Default 0. */
  timerUs?: number;
  /** Cost of handling a disk completion (an fsync that releases acknowledgements). Default 0. */
  diskUs?: number;
}

/**
 * A service-time model for Raft servers (pass it as `serverServiceTimeUs` to `runRaftCluster`).
 * Costs are constant, so a run's queueing comes from arrivals alone; every price must be finite
 * and at least 0.
 *
 * @param options the prices of a message, an entry, a timer and a disk completion
 * @returns a model that prices one event
 *
 * @example
 * ```ts
 * import { raftServiceTime } from "./service_time.ts";
 * import { Rng } from "../../sim/rng.ts";
 * const price = raftServiceTime({ messageUs: 40, entryUs: 10 });
 * price("message", { type: "request", f: "put" }, Rng.fromSeed(1)); // 50: a write carries its command
 * price("message", { type: "request", f: "get" }, Rng.fromSeed(1)); // 40: a read is a message only
 * ```
 */
export function raftServiceTime(options: RaftServiceTimeOptions): ServiceTimeModel {
  const messageUs = checkNumber("messageUs", options.messageUs, { min: 0 });
  const entryUs = checkNumber("entryUs", options.entryUs, { min: 0 });
  const timerUs = checkNumber("timerUs", options.timerUs ?? 0, { min: 0 });
  const diskUs = checkNumber("diskUs", options.diskUs ?? 0, { min: 0 });
  return (kind, payload) => {
    if (kind === "timer") return timerUs;
    if (kind === "disk") return diskUs;
    return messageUs + entryUs * entriesCarried(payload);
  };
}

/** Log entries a message carries: an append's, one for a client's write (not a read), none otherwise. */
export function entriesCarried(payload: unknown): number {
  const message = payload as { type?: string; entries?: unknown[]; f?: string } | null;
  if (message?.type === "append") return message.entries?.length ?? 0;
  return message?.type === "request" && message.f !== "get" ? 1 : 0;
}
