/**
 * Windowed series of a history: throughput, availability and latency percentiles per fixed
 * window of true time, the figures Jepsen plots as rate and latency graphs with fault bands.
 *
 * Definitions:
 * - An operation belongs to the window its completion falls in. Windows are half-open
 *   `[windowStartUs, windowEndUs)`, except that the last also holds completions at exactly `endUs`.
 *   Every window of the run appears, with zero counts when nothing completed in it.
 * - `operations` counts completions (ok + fail + info); pending operations never complete.
 * - `throughputPerSecond` is ok completions per second of window.
 * - `availability` is ok / operations: a `fail` and an `info` both mean the client was not
 *   served. It is NaN when nothing completed (no evidence either way).
 * - Latency percentiles are of ok operations only (NaN when there were none), by nearest rank
 *   from the log-linear {@linkcode Histogram} (within 0.4%); `latencyUsMax` is exact.
 *
 * @example
 * ```ts
 * import { windowedSeries } from "./windows.ts";
 * const rows = windowedSeries([
 *   { process: 0, type: "invoke", f: "read", value: null, time: 0 },
 *   { process: 0, type: "ok", f: "read", value: 1, time: 400_000 },
 *   { process: 0, type: "invoke", f: "read", value: null, time: 1_200_000 },
 *   { process: 0, type: "fail", f: "read", value: null, time: 1_300_000 },
 * ], { windowUs: 1_000_000, startUs: 0, endUs: 2_000_000 });
 * rows.map((row) => row.availability); // [1, 0]
 * ```
 * @module
 */
import { assert, InputError } from "../assert.ts";
import { Histogram } from "../base/mod.ts";
import { type LatencyRow, operationLatencies } from "./latency.ts";
import { type Events, eventsOf } from "./_operations.ts";
import { bucketByWindow, type WindowGrid, windowGrid } from "./_windowing.ts";

/** Options of {@linkcode windowedSeries}. */
export interface WindowOptions {
  /** Window length in microseconds (at least 1). */
  windowUs: number;
  /** Start of the first window; default: the first event's time. */
  startUs?: number;
  /** End of the series; default: the last event's time. The last window may extend past it. */
  endUs?: number;
  /** `"f"`: one row per window and operation function; default: one row per window. */
  by?: "f";
}

/** The figures of one window (and one function, when grouped by f). */
export interface WindowRow {
  windowStartUs: number;
  windowEndUs: number;
  /** The operation function, present only when grouped by f. */
  f?: string;
  /** Completed operations: ok + fail + info. */
  operations: number;
  ok: number;
  fail: number;
  info: number;
  /** Ok completions per second. */
  throughputPerSecond: number;
  /** ok / operations; NaN when nothing completed. */
  availability: number;
  latencyUsP50: number;
  latencyUsP90: number;
  latencyUsP99: number;
  latencyUsP999: number;
  latencyUsMax: number;
}

/**
 * One row of figures per window of `windowUs` (and per f when `by: "f"`), windows in time order.
 *
 * @param events the history's events, or the `History` itself
 * @param options window length, bounds and grouping
 * @returns tidy rows, one per window (per f)
 *
 * @example
 * ```ts
 * import { windowedSeries } from "./windows.ts";
 * const events = [
 *   { process: 0, type: "invoke" as const, f: "write", value: 1, time: 0 },
 *   { process: 0, type: "ok" as const, f: "write", value: 1, time: 2_000 },
 * ];
 * windowedSeries(events, { windowUs: 1_000_000, by: "f" })[0].f; // "write"
 * ```
 */
export function windowedSeries(events: Events, options: WindowOptions): WindowRow[] {
  if (options.by !== undefined && options.by !== "f") {
    throw new InputError(`by must be "f" or left out, got ${JSON.stringify(options.by)}`);
  }
  const ops = eventsOf(events);
  const grid = windowGrid(ops, options);
  const rows = operationLatencies(ops);
  const histogram = new Histogram();
  if (options.by === undefined) return seriesOf(grid, rows, histogram);
  const fs = [...new Set(rows.map((row) => row.f))].sort();
  const perF = fs.map((f) => seriesOf(grid, rows.filter((row) => row.f === f), histogram, f));
  // Window-major order: every function's row for window 0, then window 1, and so on.
  const out: WindowRow[] = [];
  for (let i = 0; i < grid.count; i++) for (const series of perF) out.push(series[i]);
  return out;
}

/** The rows of one series (all operations, or one function's) on `grid`. */
function seriesOf(grid: WindowGrid, rows: readonly LatencyRow[], histogram: Histogram, f?: string): WindowRow[] {
  const buckets = bucketByWindow(grid, rows, (row) => row.completeUs);
  return buckets.map((bucket, index) => windowRow(grid, index, bucket, histogram, f));
}

function windowRow(grid: WindowGrid, index: number, bucket: LatencyRow[], histogram: Histogram, f?: string): WindowRow {
  histogram.clear();
  let fail = 0;
  let info = 0;
  for (const row of bucket) {
    if (row.type === "ok") histogram.record(row.latencyUs);
    else if (row.type === "fail") fail++;
    else info++;
  }
  const ok = histogram.count;
  assert(ok + fail + info === bucket.length, "every completion is ok, fail or info");
  const windowStartUs = grid.startUs + index * grid.windowUs;
  const head = { windowStartUs, windowEndUs: windowStartUs + grid.windowUs };
  return {
    ...head,
    ...(f === undefined ? {} : { f }),
    operations: bucket.length,
    ok,
    fail,
    info,
    throughputPerSecond: ok / (grid.windowUs / 1e6),
    availability: bucket.length === 0 ? NaN : ok / bucket.length,
    latencyUsP50: histogram.quantile(0.5),
    latencyUsP90: histogram.quantile(0.9),
    latencyUsP99: histogram.quantile(0.99),
    latencyUsP999: histogram.quantile(0.999),
    latencyUsMax: histogram.max,
  };
}
