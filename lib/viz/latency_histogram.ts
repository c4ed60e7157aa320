/**
 * A latency histogram: latencies counted in logarithmic bins (computed here, so the spec holds
 * one row per bar) and drawn as bars on a log latency axis, one colour per series.
 *
 * @example
 * ```ts
 * import { latencyHistogramChart } from "./latency_histogram.ts";
 * const spec = latencyHistogramChart([{ latencyUs: 900 }, { latencyUs: 1_100 }, { latencyUs: 40_000 }]);
 * ```
 * @module
 */
import { checkNumber } from "../assert.ts";
import type { VegaLiteSpec } from "./charts.ts";
import {
  amountIn,
  type ChartOptions,
  hasSeries,
  rowsOf,
  type RowsOrTable,
  schemaUrl,
  seriesColor,
  seriesOf,
} from "./_spec.ts";

/** One bin of a latency histogram. */
export interface LatencyBinRow {
  /** The bin's lower edge (inclusive), in microseconds. */
  latencyUsLow: number;
  /** The bin's upper edge (exclusive), in microseconds. */
  latencyUsHigh: number;
  count: number;
}

/**
 * Latencies counted in logarithmic bins, `binsPerDecade` to a factor of ten, from the bin holding
 * the smallest latency to the one holding the largest. Empty bins inside that range are kept, so
 * the rows draw as a histogram without gaps. Latencies under 1 µs count in the bin of 1 µs.
 *
 * @param latenciesUs the latencies (finite, at least 0)
 * @param binsPerDecade bins per factor of ten (1 to 100; default 10)
 * @returns the bins in order of latency; none for no latencies
 *
 * @example
 * ```ts
 * import { latencyBins } from "./latency_histogram.ts";
 * latencyBins([1_000, 1_100, 9_000], 1); // [{ latencyUsLow: 1000, latencyUsHigh: 10000, count: 3 }]
 * ```
 */
export function latencyBins(latenciesUs: readonly number[], binsPerDecade = 10): LatencyBinRow[] {
  checkNumber("binsPerDecade", binsPerDecade, { min: 1, max: 100, integer: true });
  if (latenciesUs.length === 0) return [];
  // A small epsilon keeps exact powers of ten (1000 µs) in the bin they open despite rounding.
  const binOf = (us: number) => Math.floor(Math.log10(Math.max(1, us)) * binsPerDecade + 1e-9);
  let low = Infinity;
  let high = -Infinity;
  for (const us of latenciesUs) {
    checkNumber("latencyUs", us, { min: 0 });
    low = Math.min(low, binOf(us));
    high = Math.max(high, binOf(us));
  }
  const counts = new Array<number>(high - low + 1).fill(0);
  for (const us of latenciesUs) counts[binOf(us) - low]++;
  // Engines round `**` differently in the last place (Node 20's V8 and Deno's disagree on 10^5.3):
  // edges rounded to 12 digits are the same everywhere, so a chart or table does not depend on it.
  const edge = (bin: number) => Number((10 ** (bin / binsPerDecade)).toPrecision(12));
  return counts.map((count, i) => ({ latencyUsLow: edge(low + i), latencyUsHigh: edge(low + i + 1), count }));
}

/** Options of {@linkcode latencyHistogramChart}. */
export interface LatencyHistogramChartOptions extends ChartOptions {
  /** Bins per factor of ten of latency; default 10. */
  binsPerDecade?: number;
}

/**
 * Bars of how many requests took each latency, on a log latency axis, one colour per series
 * (bars of several series overlap, half transparent).
 *
 * @param input one row per request: `latencyUs` (finite, at least 0) and an optional `series`
 * @param options bins per decade, title and size
 * @returns a Vega-Lite spec with data fields `low_ms`, `high_ms`, `count` and `series`
 *
 * @example
 * ```ts
 * import { latencyHistogramChart } from "./latency_histogram.ts";
 * const spec = latencyHistogramChart(
 *   [{ latencyUs: 2_000, series: "write" }, { latencyUs: 700, series: "read" }],
 *   { title: "commit latency", binsPerDecade: 5 },
 * );
 * ```
 */
export function latencyHistogramChart(
  input: RowsOrTable<{ latencyUs: number; series?: string }>,
  options: LatencyHistogramChartOptions = {},
): VegaLiteSpec {
  const rows = rowsOf(input);
  const bySeries = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const latencyUs = amountIn(row as unknown as Record<string, unknown>, "latencyUs", "latencyHistogramChart", i);
    const series = seriesOf(row);
    let values = bySeries.get(series);
    if (values === undefined) bySeries.set(series, values = []);
    values.push(latencyUs);
  });
  const values: { low_ms: number; high_ms: number; count: number; series: string }[] = [];
  for (const [series, latenciesUs] of bySeries) {
    for (const bin of latencyBins(latenciesUs, options.binsPerDecade ?? 10)) {
      values.push({ low_ms: bin.latencyUsLow / 1e3, high_ms: bin.latencyUsHigh / 1e3, count: bin.count, series });
    }
  }
  return {
    $schema: schemaUrl,
    title: options.title ?? "Latency histogram",
    width: options.width ?? 500,
    height: options.height ?? 250,
    data: { values },
    mark: { type: "rect", opacity: bySeries.size > 1 ? 0.6 : 0.9 },
    encoding: {
      x: { field: "low_ms", type: "quantitative", title: "latency (ms)", scale: { type: "log" } },
      x2: { field: "high_ms" },
      y: { field: "count", type: "quantitative", title: "requests" },
      y2: { datum: 0 },
      ...seriesColor(hasSeries(rows)),
    },
  };
}
