/**
 * The latency-throughput curve of an open-loop load sweep, in two panels sharing the offered-load
 * axis: the throughput served against the load offered (with the line where they are equal), and
 * p50 and p99 latency on a log scale, with the knee marked in both.
 *
 * @example
 * ```ts
 * import { loadCurve } from "./load_curve.ts";
 * const spec = loadCurve([
 *   { offeredPerSecond: 100, throughputPerSecond: 100, latencyUsP50: 900, latencyUsP99: 2_000 },
 *   { offeredPerSecond: 400, throughputPerSecond: 260, latencyUsP50: 60_000, latencyUsP99: 90_000 },
 * ], { kneeOfferedPerSecond: 100 });
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import type { VegaLiteSpec } from "./charts.ts";
import { amountIn, type ChartOptions, numberIn, rowsOf, type RowsOrTable, schemaUrl } from "./_spec.ts";

/** One point of the curve, as the `raft-load` experiment's figures give it. */
export interface LoadCurvePoint {
  offeredPerSecond: number;
  throughputPerSecond: number;
  latencyUsP50: number;
  latencyUsP99: number;
}

/** Options of {@linkcode loadCurve}. */
export interface LoadCurveOptions extends ChartOptions {
  /** The knee's offered load (see `loadKnee` in lib/metrics/knee.ts), drawn as a rule; default none. */
  kneeOfferedPerSecond?: number;
  /** Scale of the offered-load axis; default `"linear"` (use `"log"` for loads spanning decades). */
  offeredScale?: "linear" | "log";
}

/**
 * Throughput against offered load (top) and latency percentiles against offered load (bottom).
 * Latencies that are NaN (no operation completed) or 0 are not drawn.
 *
 * @param input one row per offered load
 * @param options the knee, the offered-load scale, title, width and panel height
 * @returns a Vega-Lite `vconcat` spec; the top panel's data has `offered_per_s`, `per_s` and
 *   `series` (served, or offered for the diagonal), the bottom one's `offered_per_s`,
 *   `latency_ms` and `percentile`
 *
 * @example
 * ```ts
 * import { loadCurve } from "./load_curve.ts";
 * const rows = [250, 500, 1_000, 2_000].map((offeredPerSecond) => ({
 *   offeredPerSecond,
 *   throughputPerSecond: Math.min(offeredPerSecond, 1_400),
 *   latencyUsP50: offeredPerSecond < 1_400 ? 2_000 : 200_000,
 *   latencyUsP99: offeredPerSecond < 1_400 ? 6_000 : 400_000,
 * }));
 * const spec = loadCurve(rows, { kneeOfferedPerSecond: 1_000, offeredScale: "log" });
 * ```
 */
export function loadCurve(input: RowsOrTable<LoadCurvePoint>, options: LoadCurveOptions = {}): VegaLiteSpec {
  const rows = rowsOf(input);
  const served: { offered_per_s: number; per_s: number; series: string }[] = [];
  const latency: { offered_per_s: number; latency_ms: number; percentile: string }[] = [];
  rows.forEach((row, i) => {
    const record = row as unknown as Record<string, unknown>;
    const offered = amountIn(record, "offeredPerSecond", "loadCurve", i);
    served.push({
      offered_per_s: offered,
      per_s: amountIn(record, "throughputPerSecond", "loadCurve", i),
      series: "served",
    });
    served.push({ offered_per_s: offered, per_s: offered, series: "offered" });
    for (const [field, percentile] of [["latencyUsP50", "p50"], ["latencyUsP99", "p99"]]) {
      const us = numberIn(record, field, "loadCurve", i);
      if (Number.isFinite(us) && us > 0) latency.push({ offered_per_s: offered, latency_ms: us / 1e3, percentile });
    }
  });
  const knee = options.kneeOfferedPerSecond;
  if (knee !== undefined && !(Number.isFinite(knee) && knee >= 0)) {
    throw new InputError(`loadCurve: kneeOfferedPerSecond must be finite and at least 0, got ${knee}`);
  }
  const x = {
    field: "offered_per_s",
    type: "quantitative",
    title: "offered load (operations/s)",
    scale: options.offeredScale === "log" ? { type: "log" } : {},
  };
  const kneeLayers = knee === undefined ? [] : [{
    data: { values: [{ offered_per_s: knee, label: `knee: ${knee}/s` }] },
    mark: { type: "rule", color: "#555", strokeDash: [4, 3] },
    encoding: { x: { field: "offered_per_s", type: "quantitative" }, tooltip: [{ field: "label" }] },
  }];
  const width = options.width ?? 500;
  const height = options.height ?? 200;
  return {
    $schema: schemaUrl,
    title: options.title ?? "Latency and throughput against offered load (dashed: the knee)",
    vconcat: [
      {
        width,
        height,
        layer: [...kneeLayers, {
          data: { values: served },
          mark: { type: "line", point: true },
          encoding: {
            x,
            y: { field: "per_s", type: "quantitative", title: "operations/s" },
            color: { field: "series", type: "nominal", title: null },
            strokeDash: { field: "series", type: "nominal", legend: null },
          },
        }],
      },
      {
        width,
        height,
        layer: [...kneeLayers, {
          data: { values: latency },
          mark: { type: "line", point: true },
          encoding: {
            x,
            y: { field: "latency_ms", type: "quantitative", title: "latency (ms)", scale: { type: "log" } },
            color: { field: "percentile", type: "nominal", title: null },
          },
        }],
      },
    ],
    resolve: { scale: { x: "shared" } },
  };
}
