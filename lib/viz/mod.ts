/**
 * Charts: Vega-Lite spec builders, headless SVG rendering and notebook display.
 *
 * Every builder takes plain rows (an arquero table's `.objects()` will do) and returns a plain
 * spec to tweak before `toSvg` or `showChart`. Figures that need arithmetic (CDFs, means with
 * confidence intervals, message pairing) are computed in TypeScript, so a spec carries one row
 * per point drawn.
 *
 * - `latencyTimeline` (charts.ts): each request's latency over time, faults shaded.
 * - `latencyCdf` (cdf.ts): latency CDF per series on a log axis, thinned.
 * - `throughputLatencyTimeline` (timeline.ts): throughput and p99 panels, faults shaded in both.
 * - `percentileVsParameter`, `heatmap` (sweep_charts.ts): sweep figures with 95% CIs over seeds.
 * - `stalenessCurve`, `reclaimCurve` (curves.ts): freshness vs time since write; disk bytes.
 * - `tradeOffCurve` (trade_off.ts): two sweep figures against each other, a point per parameter value.
 * - `spaceTimeDiagram` (spacetime.ts): messages between nodes of a short traced run, paired by
 *   `pairMessages` (message_pairing.ts).
 * - `faultBandsFromHistory` (bands.ts): the bands for the timelines, from a history.
 * - `latencyHistogramChart`, `latencyBins` (latency_histogram.ts): latency counts in log bins.
 * - `loadCurve` (load_curve.ts): throughput and latency against offered load, with the knee.
 *
 * @example
 * ```ts
 * import { latencyCdf, toSvg } from "./mod.ts";
 * const svg = await toSvg(latencyCdf([{ latencyUs: 1_000 }, { latencyUs: 3_000 }]));
 * ```
 * @module
 */
export * from "./charts.ts";
export * from "./cdf.ts";
export * from "./timeline.ts";
export * from "./sweep_charts.ts";
export * from "./curves.ts";
export * from "./trade_off.ts";
export * from "./spacetime.ts";
export * from "./message_pairing.ts";
export * from "./bands.ts";
export * from "./latency_histogram.ts";
export * from "./load_curve.ts";
export * from "./render.ts";
export * from "./display.ts";
export * from "./detection.ts";
