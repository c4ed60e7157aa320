/**
 * The shape of one traced event, shared by the kernel that records it and the charts that draw
 * it (the space-time diagram pairs sends with deliveries).
 *
 * @example
 * ```ts
 * import type { TraceEvent } from "./trace_event.ts";
 * const send: TraceEvent = { timeUs: 0, kind: "send", node: 1, peer: 2, detail: "ping" };
 * ```
 * @module
 */

/** What happened: a message, a timer, a node's life, or a disk operation. */
export type TraceEventKind =
  | "send"
  | "deliver"
  | "drop"
  | "timer"
  | "start"
  | "crash"
  | "restart"
  | "pause"
  | "resume"
  | "disk-write"
  | "disk-fsync"
  | "disk-done"
  | "corrupt"
  | "disk-replaced";

/** One traced event. `peer` is the other node of a message (-1 otherwise). */
export interface TraceEvent {
  timeUs: number;
  kind: TraceEventKind;
  node: number;
  peer: number;
  detail: unknown;
}
