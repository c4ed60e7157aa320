/**
 * Latency CDFs: the empirical distribution function of latencies, computed here rather than with
 * Vega transforms, thinned so a chart of a million requests stays a small spec, and drawn per
 * series on a log axis.
 *
 * @example
 * ```ts
 * import { latencyCdf } from "./cdf.ts";
 * const spec = latencyCdf([{ latencyUs: 900, series: "leader" }, { latencyUs: 4_200, series: "follower" }]);
 * ```
 * @module
 */
import { assert, checkNumber } from "../assert.ts";
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

/** One point of an empirical CDF: the fraction of values at most `latencyUs`. */
export interface CdfPoint {
  latencyUs: number;
  probability: number;
}

/**
 * The empirical CDF of `latenciesUs`: a point (smallest value, 0), then one point per distinct
 * value v with the fraction of values ≤ v. Drawn with step-after interpolation it is the exact
 * staircase; the first point is 0 and the last is 1, and both coordinates never decrease.
 *
 * @param latenciesUs finite values (any order; not modified)
 * @returns the points in increasing order, or none for no values
 *
 * @example
 * ```ts
 * import { empiricalCdf } from "./cdf.ts";
 * empiricalCdf([30, 10, 10, 20]);
 * // [{ latencyUs: 10, probability: 0 }, { latencyUs: 10, probability: 0.5 },
 * //  { latencyUs: 20, probability: 0.75 }, { latencyUs: 30, probability: 1 }]
 * ```
 */
export function empiricalCdf(latenciesUs: readonly number[]): CdfPoint[] {
  if (latenciesUs.length === 0) return [];
  const sorted = Float64Array.from(latenciesUs).sort();
  assert(sorted.every(Number.isFinite), "CDF values must be finite");
  const count = sorted.length;
  const points: CdfPoint[] = [{ latencyUs: sorted[0], probability: 0 }];
  for (let i = 0; i < count; i++) {
    // Only the last of a run of equal values makes a point: its height counts all of them.
    if (i + 1 < count && sorted[i + 1] === sorted[i]) continue;
    points.push({ latencyUs: sorted[i], probability: (i + 1) / count });
  }
  assert(points[points.length - 1].probability === 1, "an empirical CDF ends at 1");
  return points;
}

/** The default bound on the points drawn per series. */
export const cdfPointsPerSeriesMax = 500;

/**
 * At most `pointsMax` of the CDF's points, always including the first and the last. Half the
 * budget is spread evenly over probability (the body of the distribution), half geometrically
 * over the tail mass 1 − p (so p99 and p99.9 stay visible when a million requests are thinned to
 * 500 points). Every kept point is an exact point of the CDF.
 *
 * @param points points of {@linkcode empiricalCdf}
 * @param pointsMax the bound, at least 2
 * @returns a subsequence of `points`
 *
 * @example
 * ```ts
 * import { empiricalCdf, thinCdf } from "./cdf.ts";
 * const points = empiricalCdf(Array.from({ length: 10_000 }, (_, i) => i + 1));
 * thinCdf(points, 100).length; // at most 100, from (1, 0) to (10000, 1)
 * ```
 */
export function thinCdf(points: readonly CdfPoint[], pointsMax: number): CdfPoint[] {
  checkNumber("pointsMax", pointsMax, { min: 2, integer: true });
  if (points.length <= pointsMax) return points.slice();
  const last = points.length - 1;
  const kept = new Set<number>([0, last]);
  const bodyCount = Math.floor((pointsMax - 2) / 2);
  const tailCount = pointsMax - 2 - bodyCount;
  for (let j = 1; j <= bodyCount; j++) {
    kept.add(firstIndexWith(points, (p) => p.probability >= j / (bodyCount + 1)));
  }
  // The smallest tail mass short of the end: geometric steps from 1 down to it.
  const tailMassMin = 1 - points[last - 1].probability;
  for (let j = 1; j <= tailCount; j++) {
    const tailMass = tailMassMin ** (j / tailCount);
    kept.add(firstIndexWith(points, (p) => 1 - p.probability <= tailMass));
  }
  const thinned = [...kept].sort((a, b) => a - b).map((i) => points[i]);
  assert(thinned.length <= pointsMax, `thinning kept ${thinned.length} points, more than ${pointsMax}`);
  assert(thinned[0] === points[0] && thinned[thinned.length - 1] === points[last], "thinning keeps both ends");
  return thinned;
}

/** The first index whose point satisfies `test`, which must be monotone (false … then true). */
function firstIndexWith(points: readonly CdfPoint[], test: (point: CdfPoint) => boolean): number {
  let low = 0;
  let high = points.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (test(points[middle])) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Options of {@linkcode latencyCdf}. */
export interface LatencyCdfOptions extends ChartOptions {
  /** The most points drawn per series (at least 2); default {@linkcode cdfPointsPerSeriesMax}. */
  pointsPerSeriesMax?: number;
  /** Axis titles, for CDFs of other durations; defaults "latency (ms)" and "fraction of requests at most this latency". */
  xTitle?: string;
  yTitle?: string;
}

/**
 * The empirical CDF of request latency, one line per series, on a log latency axis. The CDF is
 * computed here per series ({@linkcode empiricalCdf}) and thinned to `pointsPerSeriesMax` points
 * ({@linkcode thinCdf}). A log axis cannot show 0, so latencies under 1 µs are drawn at 1 µs
 * (they still count in the probabilities).
 *
 * @param rows one row per request: `latencyUs` (finite, at least 0) and an optional `series`
 * @param options title, size and the point bound
 * @returns a Vega-Lite spec with data fields `latency_ms`, `probability` and `series`
 *
 * @example
 * ```ts
 * import { latencyCdf } from "./cdf.ts";
 * const spec = latencyCdf(
 *   [{ latencyUs: 800 }, { latencyUs: 1_200 }, { latencyUs: 95_000 }],
 *   { title: "echo: latency CDF", pointsPerSeriesMax: 200 },
 * );
 * ```
 */
export function latencyCdf(
  input: RowsOrTable<{ latencyUs: number; series?: string }>,
  options: LatencyCdfOptions = {},
): VegaLiteSpec {
  const rows = rowsOf(input);
  const pointsMax = options.pointsPerSeriesMax ?? cdfPointsPerSeriesMax;
  const bySeries = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const latencyUs = amountIn(row as unknown as Record<string, unknown>, "latencyUs", "latencyCdf", i);
    const series = seriesOf(row);
    let values = bySeries.get(series);
    if (values === undefined) bySeries.set(series, values = []);
    values.push(latencyUs);
  });
  const values: { latency_ms: number; probability: number; series: string }[] = [];
  for (const [series, latenciesUs] of bySeries) {
    for (const point of thinCdf(empiricalCdf(latenciesUs), pointsMax)) {
      values.push({ latency_ms: Math.max(point.latencyUs, 1) / 1e3, probability: point.probability, series });
    }
  }
  return {
    $schema: schemaUrl,
    title: options.title ?? "Latency CDF",
    width: options.width ?? 500,
    height: options.height ?? 300,
    data: { values },
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: { field: "latency_ms", type: "quantitative", title: options.xTitle ?? "latency (ms)", scale: { type: "log" } },
      y: {
        field: "probability",
        type: "quantitative",
        title: options.yTitle ?? "fraction of requests at most this latency",
        scale: { domain: [0, 1] },
      },
      ...seriesColor(hasSeries(rows)),
    },
  };
}
