/**
 * The charts of a sweep's report: its headline figures against the parameter it swept, as mean
 * over seeds with a 95% confidence band, so the page shows the trend the table only lists.
 *
 * @example
 * ```ts
 * import { sweepReportCharts } from "./sweep_report.ts";
 * const rows = [1, 2].flatMap((seed) => [4, 8].map((clients) => ({ seed, clients, latencyUsP99: clients * 100 })));
 * const charts = sweepReportCharts({ rows, parameters: ["clients"], manifest: { spec: { grid: { clients: [4, 8] } } } });
 * Object.keys(charts); // ["latencyUsP99 vs clients"]
 * ```
 * @module
 */
import { percentileVsParameter, type VegaLiteSpec } from "../viz/mod.ts";
import type { LoadedResults } from "./load.ts";

/** The figures a report charts first, when the experiment has them: tail latency, then rates. */
const figuresPreferred = ["latencyUsP99", "throughputPerS", "availability"];

/** Columns of a sweep row that describe the cell rather than measure it. */
const cellColumns = new Set(["cell", "seed", "verdict", "error", "traceHash", "events", "key"]);

/** A second swept parameter is drawn as one line per value only while the legend stays readable. */
const seriesValuesMax = 8;

/** The parameters a sweep spec varies, in the order the spec gives them (grid, zip, sampled ranges). */
export function sweptParameters(spec: unknown): string[] {
  const s = (spec ?? {}) as { grid?: object; zip?: object; sample?: { ranges?: object } };
  return [...Object.keys(s.grid ?? {}), ...Object.keys(s.zip ?? {}), ...Object.keys(s.sample?.ranges ?? {})];
}

/**
 * The figures of `rows` that can be charted: columns, other than parameters and cell
 * bookkeeping, whose values are numbers (or missing) and that have at least one finite number.
 */
export function chartableFigures(rows: readonly Record<string, unknown>[], parameters: readonly string[]): string[] {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return columns.filter((column) => {
    if (cellColumns.has(column) || parameters.includes(column)) return false;
    const values = rows.map((r) => r[column]).filter((v) => v !== null && v !== undefined && v !== "");
    return values.every((v) => typeof v === "number") && values.some((v) => Number.isFinite(v as number));
  });
}

/**
 * Charts for a sweep's report, by title: each preferred figure the rows have (or else the first
 * chartable one) against the first swept parameter, one line per value of a second swept
 * parameter when it has few values. A sweep over seeds alone is drawn against the seed.
 *
 * @param results the sweep's rows, its parameter columns, and its manifest (whose spec names what was swept)
 * @returns Vega-Lite specs keyed by a title; empty when no figure is numeric
 */
export function sweepReportCharts(
  results: Pick<LoadedResults, "rows" | "parameters" | "manifest">,
): Record<string, VegaLiteSpec> {
  const { rows } = results;
  const swept = sweptParameters(results.manifest.spec).filter((p) => rows.some((r) => p in r));
  const parameter = swept[0] ?? "seed";
  const figures = chartableFigures(rows, results.parameters);
  const preferred = figuresPreferred.filter((f) => figures.includes(f));
  const chosen = preferred.length > 0 ? preferred : figures.slice(0, 1);
  const second = swept[1];
  const series = second !== undefined && new Set(rows.map((r) => r[second])).size <= seriesValuesMax
    ? second
    : undefined;
  const charts: Record<string, VegaLiteSpec> = {};
  for (const metric of chosen) {
    charts[`${metric} vs ${parameter}`] = percentileVsParameter([...rows], { parameter, metric, series });
  }
  return charts;
}
