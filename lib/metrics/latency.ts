/**
 * Operation latencies from a history: one tidy row per completed client operation, and a
 * histogram of the rows you choose.
 *
 * Latency is the true time from invocation to completion. For an `ok` or `fail` it is how long
 * the client waited for an answer; for an `info` it is how long the client waited before it gave
 * up (the operation's fate is unknown). Operations still pending at the end have no latency and
 * are left out.
 *
 * @example
 * ```ts
 * import { latencyHistogram, operationLatencies } from "./latency.ts";
 * const rows = operationLatencies([
 *   { process: 0, type: "invoke", f: "read", value: null, time: 0 },
 *   { process: 0, type: "ok", f: "read", value: 3, time: 1_200 },
 * ]);
 * rows[0].latencyUs; // 1200
 * latencyHistogram(rows, { type: "ok" }).quantile(0.99); // 1200
 * ```
 * @module
 */
import { assert } from "../assert.ts";
import { Histogram } from "../base/mod.ts";
import { completedOperations, type Events, eventsOf } from "./_operations.ts";

/** How a client operation completed: happened, did not happen, or unknown. */
export type CompletionType = "ok" | "fail" | "info";

/** One completed client operation. */
export interface LatencyRow {
  process: number;
  f: string;
  /** The operation's key; null for a single register (no key in the history). */
  key: string | null;
  invokeUs: number;
  completeUs: number;
  latencyUs: number;
  type: CompletionType;
}

/**
 * One row per completed client operation (ok, fail or info), in completion order.
 *
 * @param events the history's events, or the `History` itself
 * @returns tidy rows, one per completed operation
 *
 * @example
 * ```ts
 * import { operationLatencies } from "./latency.ts";
 * operationLatencies([
 *   { process: 1, type: "invoke", f: "write", value: 7, time: 10 },
 *   { process: 1, type: "fail", f: "write", value: 7, time: 30 },
 * ]); // [{ process: 1, f: "write", key: null, invokeUs: 10, completeUs: 30, latencyUs: 20, type: "fail" }]
 * ```
 */
export function operationLatencies(events: Events): LatencyRow[] {
  return completedOperations(eventsOf(events)).map(({ invocation, completion }) => {
    const latencyUs = completion.time - invocation.time;
    assert(latencyUs >= 0, `operation of process ${invocation.process} completed before it was invoked`);
    return {
      process: invocation.process as number,
      f: invocation.f,
      key: invocation.key ?? null,
      invokeUs: invocation.time,
      completeUs: completion.time,
      latencyUs,
      type: completion.type as CompletionType,
    };
  });
}

/** Which rows a latency histogram counts; each given field must match (a list matches any of its values). */
export interface LatencyFilter {
  type?: CompletionType | CompletionType[];
  f?: string | string[];
  key?: string | null | (string | null)[];
  process?: number | number[];
}

/**
 * A histogram of the latencies of `rows` that pass `filter` (every row when no filter is given).
 * Most reports want `{ type: "ok" }`: the latency of operations that happened.
 *
 * @param rows rows from {@linkcode operationLatencies}
 * @param filter fields to match, or a predicate
 * @returns a histogram of `latencyUs`
 *
 * @example
 * ```ts
 * import { latencyHistogram, operationLatencies } from "./latency.ts";
 * const rows = operationLatencies([
 *   { process: 0, type: "invoke", f: "read", value: null, time: 0 },
 *   { process: 0, type: "ok", f: "read", value: 3, time: 900 },
 * ]);
 * latencyHistogram(rows, (row) => row.f === "read").summary().p50; // 900
 * ```
 */
export function latencyHistogram(
  rows: readonly LatencyRow[],
  filter: LatencyFilter | ((row: LatencyRow) => boolean) = {},
): Histogram {
  const keep = typeof filter === "function" ? filter : matcher(filter);
  const histogram = new Histogram();
  for (const row of rows) if (keep(row)) histogram.record(row.latencyUs);
  return histogram;
}

function matcher(filter: LatencyFilter): (row: LatencyRow) => boolean {
  const allowed = <T>(wanted: T | T[] | undefined, value: T) =>
    wanted === undefined || (Array.isArray(wanted) ? wanted.includes(value) : wanted === value);
  return (row) =>
    allowed(filter.type, row.type) && allowed(filter.f, row.f) && allowed(filter.key, row.key) &&
    allowed(filter.process, row.process);
}
