/**
 * The log-linear latency histogram, now in `lib/base/` (the kernel's recorder keeps one without
 * depending on the metrics layer); kept here so existing imports keep working.
 *
 * @example
 * ```ts
 * import { Histogram } from "./histogram.ts";
 * const latency = new Histogram();
 * latency.record(120);
 * ```
 * @module
 */
export { Histogram, type HistogramSummary } from "../base/mod.ts";
