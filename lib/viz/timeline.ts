/**
 * Throughput and latency over a run, in two stacked panels sharing the time axis, with the
 * faults shaded in both, as Jepsen's rate and latency plots are read together.
 *
 * @example
 * ```ts
 * import { throughputLatencyTimeline } from "./timeline.ts";
 * const spec = throughputLatencyTimeline(
 *   [{ windowStartUs: 0, throughputPerSecond: 950, latencyUsP99: 3_100 }],
 *   { bands: [{ startUs: 0, endUs: 500_000, label: "partition n1" }] },
 * );
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import type { Band, VegaLiteSpec } from "./charts.ts";
import {
  bandLayers,
  type ChartOptions,
  checkBands,
  hasSeries,
  numberIn,
  rowsOf,
  type RowsOrTable,
  schemaUrl,
  seriesColor,
  seriesOf,
} from "./_spec.ts";

/** One window of figures, as `windowedSeries` in lib/metrics returns it. */
export interface WindowFigures {
  windowStartUs: number;
  /** Ok completions per second in the window. */
  throughputPerSecond: number;
  /** p99 latency of the window's completions; NaN when none completed (not drawn). */
  latencyUsP99: number;
  series?: string;
}

/** Options of {@linkcode throughputLatencyTimeline}. */
export interface ThroughputLatencyTimelineOptions extends ChartOptions {
  /** Faults to shade in both panels (see `faultBandsFromHistory`); default none. */
  bands?: readonly Band[];
  /** Scale of the latency panel; default `"log"`, where latencies of 0 are not drawn. */
  latencyScale?: "log" | "linear";
}

/**
 * Throughput (top) and p99 latency (bottom) per window over virtual time, one line per series,
 * with fault bands shaded in both panels and labelled in the top one. Each window's figure holds
 * from its start to the next window's (step-after). The panels share the time axis.
 *
 * @param rows windows from `windowedSeries` (lib/metrics/windows.ts), with an optional `series`
 * @param options fault bands, latency scale, title, width and the height of each panel
 * @returns a Vega-Lite `vconcat` spec; each panel's data has `time_s` and `series`, with
 *   `throughput_per_s` in the top one and `latency_p99_ms` in the bottom one
 *
 * @example
 * ```ts
 * import { throughputLatencyTimeline } from "./timeline.ts";
 * const rows = [0, 1, 2, 3].map((i) => ({
 *   windowStartUs: i * 1_000_000,
 *   throughputPerSecond: i === 2 ? 0 : 1_000,
 *   latencyUsP99: i === 2 ? NaN : 2_000,
 * }));
 * const spec = throughputLatencyTimeline(rows, {
 *   bands: [{ startUs: 1_800_000, endUs: 3_100_000, label: "crash n0" }],
 *   title: "seed 7: rate and latency",
 * });
 * ```
 */
export function throughputLatencyTimeline(
  input: RowsOrTable<WindowFigures>,
  options: ThroughputLatencyTimelineOptions = {},
): VegaLiteSpec {
  const rows = rowsOf(input);
  const bands = options.bands ?? [];
  checkBands(bands, "throughputLatencyTimeline");
  const logLatency = (options.latencyScale ?? "log") === "log";
  const throughput: { time_s: number; throughput_per_s: number; series: string }[] = [];
  const latency: { time_s: number; latency_p99_ms: number; series: string }[] = [];
  rows.forEach((row, i) => {
    const record = row as unknown as Record<string, unknown>;
    const startUs = numberIn(record, "windowStartUs", "throughputLatencyTimeline", i);
    if (!Number.isFinite(startUs)) {
      throw new InputError(`throughputLatencyTimeline: row ${i} has windowStartUs ${startUs}`);
    }
    const time_s = startUs / 1e6;
    const series = seriesOf(row);
    const perSecond = numberIn(record, "throughputPerSecond", "throughputLatencyTimeline", i);
    if (Number.isFinite(perSecond)) throughput.push({ time_s, throughput_per_s: perSecond, series });
    const p99Us = numberIn(record, "latencyUsP99", "throughputLatencyTimeline", i);
    if (Number.isFinite(p99Us) && (!logLatency || p99Us > 0)) {
      latency.push({ time_s, latency_p99_ms: p99Us / 1e3, series });
    }
  });
  const color = seriesColor(hasSeries(rows));
  const width = options.width ?? 600;
  const height = options.height ?? 180;
  const panel = (values: VegaLiteSpec[], field: string, title: string, scale: VegaLiteSpec, labels: boolean) => ({
    width,
    height,
    layer: [
      ...bandLayers(bands, { labels }),
      {
        data: { values },
        mark: { type: "line", interpolate: "step-after", point: values.length <= 60 },
        encoding: {
          x: { field: "time_s", type: "quantitative", title: "time (s, virtual)" },
          y: { field, type: "quantitative", title, scale },
          ...color,
        },
      },
    ],
  });
  return {
    $schema: schemaUrl,
    title: options.title ?? "Throughput and p99 latency over time (shaded: faults)",
    vconcat: [
      panel(throughput, "throughput_per_s", "throughput (ok/s)", {}, true),
      panel(latency, "latency_p99_ms", "p99 latency (ms)", logLatency ? { type: "log" } : {}, false),
    ],
    resolve: { scale: { x: "shared" } },
  };
}
