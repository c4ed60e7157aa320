/**
 * The latency-throughput curve of an open-loop load sweep, in two panels sharing the offered-load
 * axis: the throughput served against the load offered (with the line where they are equal), and
 * p50 and p99 latency on a log scale, with the knee marked in both.
 *
 * Encodings: every measured line is solid with a point per offered load (served; p50 and p99);
 * the reference line where served equals offered is thin, grey and without points, and named
 * "offered" in the legend; the knee is the only dashed line, a vertical rule in both panels, as the
 * default title says.
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

/** The knee rule's dash pattern: the only dashed line of the chart. */
const kneeDash = [4, 3];
/** The served line's colour (Vega-Lite's first category colour) and the grey of the reference diagonal. */
const servedColor = "#4c78a8";
const referenceColor = "#aaa";

/** One point of the curve, as the `raft-load` experiment's figures give it. */
export interface LoadCurvePoint {
  offeredPerSecond: number;
  throughputPerSecond: number;
  latencyUsP50: number;
  latencyUsP99: number;
}

/** Options of {@linkcode loadCurve}; the default title names the dashed knee when there is one. */
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
 * @returns a Vega-Lite `vconcat` spec; the top panel's layers are the knee (when given), the
 *   diagonal and the served line, with data `offered_per_s`, `per_s` and `series` ("offered" for
 *   the diagonal, "served"); the bottom one's, the knee and the percentiles, with `offered_per_s`,
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
  const diagonal: { offered_per_s: number; per_s: number; series: string }[] = [];
  const latency: { offered_per_s: number; latency_ms: number; percentile: string }[] = [];
  rows.forEach((row, i) => {
    const record = row as unknown as Record<string, unknown>;
    const offered = amountIn(record, "offeredPerSecond", "loadCurve", i);
    served.push({
      offered_per_s: offered,
      per_s: amountIn(record, "throughputPerSecond", "loadCurve", i),
      series: "served",
    });
    diagonal.push({ offered_per_s: offered, per_s: offered, series: "offered" });
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
    mark: { type: "rule", color: "#555", strokeDash: kneeDash },
    encoding: { x: { field: "offered_per_s", type: "quantitative" }, tooltip: [{ field: "label" }] },
  }];
  // One colour scale over both layers of the top panel, so the legend shows both lines as drawn.
  const seriesColor = {
    field: "series",
    type: "nominal",
    title: null,
    scale: { domain: ["served", "offered"], range: [servedColor, referenceColor] },
    legend: { symbolType: "stroke" },
  };
  const y = { field: "per_s", type: "quantitative", title: "operations/s" };
  const width = options.width ?? 500;
  const height = options.height ?? 200;
  return {
    $schema: schemaUrl,
    title: options.title ??
      `Latency and throughput against offered load${knee === undefined ? "" : " (dashed: the knee)"}`,
    vconcat: [
      {
        width,
        height,
        layer: [
          ...kneeLayers,
          {
            data: { values: diagonal },
            mark: { type: "line", strokeWidth: 1 },
            encoding: { x, y, color: seriesColor },
          },
          {
            data: { values: served },
            mark: { type: "line", point: true },
            encoding: { x, y, color: seriesColor },
          },
        ],
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
    // Each panel its own colours and legend: the served line and the diagonal above, p50 and p99 below.
    resolve: { scale: { x: "shared", color: "independent" }, legend: { color: "independent" } },
  };
}
