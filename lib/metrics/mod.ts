/**
 * The measurement layer: from a run's history and metric series to the figures people report.
 *
 * - {@linkcode operationLatencies}, {@linkcode latencyHistogram}: latency per operation.
 * - {@linkcode windowedSeries}: throughput, availability and latency percentiles per window.
 * - {@linkcode staleness}, {@linkcode freshnessCurve}: how stale reads were, and PBS t-visibility.
 * - {@linkcode parseSlo}, {@linkcode evaluateSlo}: objectives such as "p99 < 50 ms and
 *   availability > 99.9% in every 10 s window", judged per window.
 * - {@linkcode recoveryTimes}, {@linkcode recoveryPoint}: RTO per fault, and lost acknowledged writes.
 * - {@linkcode gaugeRows}, {@linkcode writeAmplification}: the well-known storage gauges.
 * - {@linkcode table}: any of these row lists as an arquero table.
 * - {@linkcode Histogram}: the log-linear histogram every percentile comes from.
 * - {@linkcode loadKnee}: the knee of a latency-throughput curve from an offered-load sweep.
 *
 * Every function takes the history's events (or the `History`) and returns plain tidy rows; times
 * are true microseconds and their names end in `Us`.
 *
 * @example
 * ```ts
 * import { runEcho } from "../systems/echo/experiments/mod.ts";
 * import { evaluateSlo, table, windowedSeries } from "./mod.ts";
 * const run = runEcho({ durationUs: 3_000_000, clients: 3, downtimeUs: 1_000_000 }, 1);
 * const windows = windowedSeries(run.history, { windowUs: 250_000, startUs: 0, endUs: 3_000_000 });
 * table(windows).select("windowStartUs", "throughputPerSecond", "latencyUsP99").print();
 * evaluateSlo(run.history, "p99 < 10 ms in every 500 ms window").worstWindow;
 * ```
 * @module
 */
export * from "./histogram.ts";
export * from "./latency.ts";
export * from "./windows.ts";
export * from "./staleness.ts";
export * from "./slo.ts";
export * from "./recovery.ts";
export * from "./gauges.ts";
export * from "./tables.ts";
export * from "./knee.ts";
export { type CompletedOperation, completedOperations } from "./_operations.ts";
