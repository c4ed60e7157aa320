/**
 * The contract between the kernel and a simulated system: what a node implements and what the
 * kernel hands it.
 *
 * @module
 */
import type { DiskCompletion } from "./disk.ts";
import type { Op } from "../history/mod.ts";
import type { Rng } from "../base/mod.ts";

/** What a node receives; used by CPU service-time models to price work. */
export type NodeEventKind = "message" | "timer" | "disk";

/**
 * A node's behaviour: a state machine the kernel drives. Handlers run one at a time, at the
 * virtual instant their event completes; everything they do goes through the {@linkcode NodeApi}.
 * A crash discards the object; a restart builds a new one from the factory and calls
 * `onRecover`, which must rebuild state from the node's disk alone.
 */
export interface NodeLogic<M = unknown> {
  /** First start of the node. */
  onStart?(): void;
  /** Start after a crash: volatile state is gone, the disk holds what was durable. Defaults to `onStart`. */
  onRecover?(): void;
  /** A message from node `from`. */
  onMessage(from: number, message: M): void;
  /** A timer set with `setTimer` fired. */
  onTimer?(tag: unknown, timerId: number): void;
  /** A disk write or fsync completed. */
  onDisk?(completion: DiskCompletion): void;
}

/** Builds a node's logic for one incarnation. */
export type NodeFactory<M = unknown> = (api: NodeApi<M>) => NodeLogic<M>;

/** The disk as a node sees it: its own files on its host's device. */
export interface NodeDiskApi {
  /** Appends `bytes` to `file`; `onDisk` reports completion. Data is in the page cache, not durable. */
  append(file: string, bytes: Uint8Array, tag?: unknown): void;
  /** Writes `bytes` at `offset` of `file` (at most at its end). */
  write(file: string, offset: number, bytes: Uint8Array, tag?: unknown): void;
  /** Makes the completed writes of `file` durable; `onDisk` reports completion. */
  fsync(file: string, tag?: unknown): void;
  /** A copy of `file`'s bytes as the page cache holds them now. */
  read(file: string, offset?: number, length?: number): Uint8Array;
  size(file: string): number;
  exists(file: string): boolean;
  list(): string[];
  /** Metadata operations are immediate and durable. */
  truncate(file: string, length: number): void;
  rename(from: string, to: string): void;
  delete(file: string): void;
}

/** What the kernel hands a node: its only way to act on the world. */
export interface NodeApi<M = unknown> {
  /** This node's id (dense, from 0). */
  readonly id: number;
  readonly name: string;
  /** How many times this node has been started (1 on first start). */
  readonly incarnation: number;
  /** The node's wall-clock reading in microseconds: skewed, drifting and jumping as faults say. */
  now(): number;
  /** The node's monotonic clock in microseconds: drifts with the wall clock, never jumps. */
  monotonicUs(): number;
  /** Sends `message` to node `to`. `sizeBytes` feeds bandwidth and byte counts (default 64). */
  send(to: number, message: M, sizeBytes?: number): void;
  /** Fires `onTimer(tag)` after `delayUs` of this node's monotonic clock; returns the timer id. */
  setTimer(delayUs: number, tag?: unknown): number;
  /** Cancels a pending timer; returns whether it was pending. */
  cancelTimer(timerId: number): boolean;
  /** This node's random stream (survives restarts, so runs stay reproducible). */
  readonly rng: Rng;
  readonly disk: NodeDiskApi;
  /** Records one observation of metric `name` at the current instant. */
  record(name: string, value: number): void;
  /**
   * Reports `cpuUs` microseconds of CPU work this handler did beyond its service time (replaying a
   * log, rebuilding an index). Call it from a handler (`onStart`, `onRecover`, `onMessage`,
   * `onTimer`, `onDisk`); calls in one handler add up. When the handler returns, the work holds the
   * node's CPU as a service time does: it waits for a core of the host (fair share, caps), and the
   * node's later events queue behind it and run in arrival order once it is done. The handler's own
   * effects (sends, timers, disk operations) still happen at its instant; to act after the work,
   * set a timer of 0 us, which fires now and waits behind it. Counted in `cpuUsedUs`. A crash
   * discards work not yet done.
   *
   * @param cpuUs CPU time in microseconds: finite and at least 0 (rounded to a whole microsecond)
   * @throws InputError outside a handler of this incarnation, or for a negative or non-finite time
   */
  work(cpuUs: number): void;
  /** Number of nodes in the simulation. */
  nodeCount(): number;
  /**
   * Records a client operation's invocation in the run's history (at the true instant, which the
   * node does not see). `process` defaults to this node's id; a process runs one operation at a time.
   */
  invoke(f: string, value: unknown, options?: { key?: string; process?: number }): Op;
  /** Records the completion of an invocation: ok (happened), fail (did not happen), info (unknown). */
  complete(invocation: Op, type: "ok" | "fail" | "info", value?: unknown, version?: number): void;
}

/** Prices one event in CPU time: returns microseconds of service. */
export type ServiceTimeModel = (kind: NodeEventKind, payload: unknown, rng: Rng) => number;
