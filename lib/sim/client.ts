/**
 * How a client node performs operations for a workload: the interface a system's client
 * implements and the restricted node API it is given. The harness drives it (it draws the
 * operations and records them in the history), so a client only speaks its system's protocol.
 *
 * @example
 * ```ts
 * import type { SystemClient } from "./client.ts";
 * const always: SystemClient<never> = {
 *   perform: (_request, done) => done({ type: "ok" }),
 *   onMessage: () => {},
 * };
 * ```
 * @module
 */
import type { Rng } from "./rng.ts";

/** What a client may do: the node API without history access (the harness records operations). */
export interface ClientContext<M> {
  /** The node's id. */
  readonly id: number;
  /**
   * The client process's number, unique in the run: a system keys its client sessions on it
   * (a node may host several processes, each its own session).
   */
  readonly session: number;
  readonly rng: Rng;
  send(to: number, message: M, sizeBytes?: number): void;
  /** Fires the client's `onTimer(tag)` after `delayUs` of its monotonic clock. */
  setTimer(delayUs: number, tag: unknown): number;
  cancelTimer(timerId: number): boolean;
  monotonicUs(): number;
  record(name: string, value: number): void;
}

/** One operation a workload asks for: Jepsen's `f`, an optional key, and a value. */
export interface Request {
  f: string;
  key?: string;
  value: unknown;
  /** For a write, the key's time to live, where the system supports one (not recorded in the history). */
  ttlUs?: number;
  /**
   * The consistency level of this request, where the system lets a request choose one (the
   * system's own names, e.g. the leaderless store's `one`, `quorum`, `all`); absent: the run's.
   */
  consistency?: string;
}

/**
 * How an operation ended, in Jepsen's vocabulary: `ok` happened (with the value read, if any),
 * `fail` definitely did not happen, `info` may or may not have happened.
 */
export type Outcome =
  /** `version`: what the store versioned the value read or written as, where it says (see `Op.version`). */
  | { type: "ok"; value?: unknown; version?: number }
  | { type: "fail"; value?: unknown }
  | { type: "info" };

/**
 * A system's client, driven by the harness: one per client process node. It performs one
 * operation at a time (the harness never calls `perform` before `done` of the previous one).
 */
export interface SystemClient<M> {
  /** Starts `request`; calls `done` exactly once with the outcome. */
  perform(request: Request, done: (outcome: Outcome) => void): void;
  onMessage(from: number, message: M): void;
  onTimer?(tag: unknown): void;
}
