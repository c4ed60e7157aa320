/**
 * Charts of sweep results (one row per cell: parameters, seed and figures): a figure against one
 * parameter with a confidence band over seeds, and a two-parameter heatmap. The statistics are
 * computed here, so the spec carries one row per point drawn, not one per cell.
 *
 * @example
 * ```ts
 * import { percentileVsParameter } from "./sweep_charts.ts";
 * const rows = [
 *   { lossProbability: 0, seed: 1, latencyUsP99: 1_200 },
 *   { lossProbability: 0, seed: 2, latencyUsP99: 1_300 },
 *   { lossProbability: 0.1, seed: 1, latencyUsP99: 9_000 },
 *   { lossProbability: 0.1, seed: 2, latencyUsP99: 11_000 },
 * ];
 * const spec = percentileVsParameter(rows, { parameter: "lossProbability", metric: "latencyUsP99" });
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import type { VegaLiteSpec } from "./charts.ts";
import { type ChartOptions, numberIn, rowsOf, type RowsOrTable, schemaUrl } from "./_spec.ts";
import { meanConfidence95 } from "./_stats.ts";

/** A sweep row, as `runSweep` returns it or an arquero table's `.objects()` gives it. */
export type SweepRowLike = Record<string, unknown>;

/** Which columns of the sweep rows to plot. */
export interface ParameterColumns {
  /** The swept parameter on the x axis, e.g. `"lossProbability"`. */
  parameter: string;
  /** The figure on the y axis, e.g. `"latencyUsP99"`. */
  metric: string;
  /** A column whose values name one line each (e.g. `"system"`); default: one line. */
  series?: string;
}

/** The mean of a metric over the seeds of one (series, parameter value) point. */
export interface ParameterMeanRow {
  /** The parameter's value (a number, or any other value shown as a category). */
  parameter: unknown;
  /** The series' value as text; `""` without a series column. */
  series: string;
  mean: number;
  /** Lower end of the 95% confidence interval of the mean (the mean itself for one seed). */
  lower: number;
  /** Upper end of the 95% confidence interval of the mean (the mean itself for one seed). */
  upper: number;
  /** Rows with a finite metric that went into the mean. */
  count: number;
}

/**
 * The mean of `metric` per (series, parameter value) with its 95% confidence interval, mean ±
 * t(0.975, n−1)·s/√n over the rows (seeds) of that point. Rows whose metric is missing, null, NaN
 * or infinite (a failed cell, a percentile of no operations) are left out; a point with none left
 * is not returned; a metric column that no row has is refused as a likely typo. Points
 * come in order of first appearance, which for sweep rows is the sweep's cell order.
 *
 * @param rows sweep rows
 * @param columns the parameter, metric and optional series columns
 * @returns one row per point
 *
 * @example
 * ```ts
 * import { meanConfidenceRows } from "./sweep_charts.ts";
 * meanConfidenceRows(
 *   [{ n: 3, p99: 10, seed: 1 }, { n: 3, p99: 14, seed: 2 }],
 *   { parameter: "n", metric: "p99" },
 * ); // [{ parameter: 3, series: "", mean: 12, lower: -13.4…, upper: 37.4…, count: 2 }]
 * ```
 */
export function meanConfidenceRows(rows: readonly SweepRowLike[], columns: ParameterColumns): ParameterMeanRow[] {
  const groups = new Map<string, { parameter: unknown; series: string; values: number[] }>();
  rows.forEach((row, i) => {
    if (!(columns.parameter in row)) {
      throw new InputError(`percentileVsParameter: row ${i} has no parameter column "${columns.parameter}"`);
    }
    const parameter = row[columns.parameter];
    const series = columns.series === undefined ? "" : String(row[columns.series]);
    const key = JSON.stringify([series, parameter]);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, group = { parameter, series, values: [] });
    const value = figureIn(row, columns.metric, "percentileVsParameter", i);
    if (value !== undefined) group.values.push(value);
  });
  checkColumnPresent(rows, columns.metric, "percentileVsParameter");
  return [...groups.values()].filter((g) => g.values.length > 0).map((g) => ({
    parameter: g.parameter,
    series: g.series,
    ...meanConfidence95(g.values),
  }));
}

/** Options of {@linkcode percentileVsParameter}. */
export interface PercentileVsParameterOptions extends ParameterColumns, ChartOptions {
  /** Scale of the parameter axis when its values are numbers; default `"linear"`. */
  parameterScale?: "linear" | "log";
  /** Scale of the metric axis; default `"linear"`. */
  metricScale?: "linear" | "log";
}

/**
 * A figure of sweep rows (such as `latencyUsP99`) against a swept parameter: one line per series
 * through the mean over seeds, with the 95% confidence interval of the mean shaded (see
 * {@linkcode meanConfidenceRows}). A numeric parameter gets a quantitative axis; any other is
 * shown as categories in sweep order.
 *
 * @param rows sweep rows, one per cell
 * @param options the columns to plot, axis scales, title and size
 * @returns a Vega-Lite spec with data fields `parameter`, `series`, `mean`, `lower`, `upper`, `count`
 *
 * @example
 * ```ts
 * import { percentileVsParameter } from "./sweep_charts.ts";
 * const rows = [1, 2, 3].flatMap((seed) =>
 *   [0, 0.05, 0.1].flatMap((lossProbability) =>
 *     ["raft", "chain"].map((system) => ({
 *       system, lossProbability, seed, latencyUsP99: 1_000 + lossProbability * 50_000 + seed * 10,
 *     }))
 *   )
 * );
 * const spec = percentileVsParameter(rows, { parameter: "lossProbability", metric: "latencyUsP99", series: "system" });
 * ```
 */
export function percentileVsParameter(
  input: RowsOrTable<SweepRowLike>,
  options: PercentileVsParameterOptions,
): VegaLiteSpec {
  const rows = rowsOf(input);
  const points = meanConfidenceRows(rows, options);
  const numeric = points.every((p) => typeof p.parameter === "number");
  const x = numeric
    ? { field: "parameter", type: "quantitative", title: options.parameter, scale: scaleOf(options.parameterScale) }
    : { field: "parameter", type: "ordinal", title: options.parameter, sort: null };
  const named = options.series !== undefined;
  const color = named ? { color: { field: "series", type: "nominal", title: options.series } } : {};
  const y = { type: "quantitative", scale: options.metricScale === "log" ? { type: "log" } : { zero: false } };
  return {
    $schema: schemaUrl,
    title: options.title ?? `${options.metric} vs ${options.parameter} (mean over seeds, 95% CI)`,
    width: options.width ?? 500,
    height: options.height ?? 300,
    data: { values: points.map((p) => ({ ...p, parameter: numeric ? p.parameter : String(p.parameter) })) },
    encoding: { x, ...color },
    layer: [
      {
        mark: { type: "area", opacity: 0.2 },
        encoding: { y: { ...y, field: "lower", title: options.metric }, y2: { field: "upper" } },
      },
      {
        mark: { type: "line", point: true },
        encoding: {
          y: { ...y, field: "mean", title: options.metric },
          tooltip: [
            { field: "series", title: options.series ?? "series" },
            { field: "parameter", title: options.parameter },
            { field: "mean", title: `${options.metric} (mean)`, format: ",.4~r" },
            { field: "lower", title: "95% CI low", format: ",.4~r" },
            { field: "upper", title: "95% CI high", format: ",.4~r" },
            { field: "count", title: "seeds" },
          ],
        },
      },
    ],
  };
}

/**
 * The finite figure in `row[column]`, or undefined when the row has none: the column is absent
 * or null (a cell that failed to run) or the figure is NaN or infinite (a percentile of no
 * operations). Anything else that is not a number is refused.
 */
function figureIn(row: SweepRowLike, column: string, where: string, rowIndex: number): number | undefined {
  if (row[column] === undefined || row[column] === null) return undefined;
  const value = numberIn(row, column, where, rowIndex);
  return Number.isFinite(value) ? value : undefined;
}

/** Refuses a figure column that no row has: most likely a misspelt name. */
function checkColumnPresent(rows: readonly SweepRowLike[], column: string, where: string): void {
  if (rows.length === 0 || rows.some((row) => row[column] !== undefined)) return;
  throw new InputError(`${where}: no row has a column "${column}" (columns: ${Object.keys(rows[0]).join(", ")})`);
}

function scaleOf(type: "linear" | "log" | undefined): VegaLiteSpec {
  return type === "log" ? { type: "log" } : {};
}

/** Options of {@linkcode heatmap}. */
export interface HeatmapOptions extends ChartOptions {
  /** The column on the x axis. */
  x: string;
  /** The column on the y axis. */
  y: string;
  /** The figure shown as colour and text; its mean when several rows (seeds) share a cell. */
  value: string;
  /** d3-format of the text in each cell; default `",.3~r"` (three significant digits). */
  format?: string;
  /** Vega colour scheme; default `"viridis"` (dark for low values: the text turns white there). */
  colorScheme?: string;
}

/**
 * A two-parameter sweep as a heatmap: one cell per (x, y) pair, coloured by the mean of `value`
 * over the rows sharing it (seeds) and labelled with that mean. Numeric parameters are sorted,
 * increasing rightwards and upwards; others keep sweep order. Rows whose value is missing or not
 * finite are left out, and a cell with none left is blank.
 *
 * @param rows sweep rows
 * @param options the columns, text format, colour scheme, title and size
 * @returns a Vega-Lite spec with data fields `x`, `y`, `value` (the mean) and `count`
 *
 * @example
 * ```ts
 * import { heatmap } from "./sweep_charts.ts";
 * const rows = [1, 3, 5].flatMap((nodes) =>
 *   [0, 0.1].map((lossProbability) => ({ nodes, lossProbability, availability: 1 - lossProbability / nodes }))
 * );
 * const spec = heatmap(rows, { x: "nodes", y: "lossProbability", value: "availability", format: ".1%" });
 * ```
 */
export function heatmap(input: RowsOrTable<SweepRowLike>, options: HeatmapOptions): VegaLiteSpec {
  const rows = rowsOf(input);
  const cells = new Map<string, { x: unknown; y: unknown; values: number[] }>();
  rows.forEach((row, i) => {
    for (const column of [options.x, options.y]) {
      if (!(column in row)) throw new InputError(`heatmap: row ${i} has no column "${column}"`);
    }
    const key = JSON.stringify([row[options.x], row[options.y]]);
    let cell = cells.get(key);
    if (cell === undefined) cells.set(key, cell = { x: row[options.x], y: row[options.y], values: [] });
    const value = figureIn(row, options.value, "heatmap", i);
    if (value !== undefined) cell.values.push(value);
  });
  checkColumnPresent(rows, options.value, "heatmap");
  const values = [...cells.values()].filter((c) => c.values.length > 0).map((c) => ({
    x: String(c.x),
    y: String(c.y),
    value: c.values.reduce((sum, v) => sum + v, 0) / c.values.length,
    count: c.values.length,
  }));
  const means = values.map((v) => v.value);
  const middle = means.length === 0 ? 0 : (Math.min(...means) + Math.max(...means)) / 2;
  const cellList = [...cells.values()];
  const x = {
    field: "x",
    type: "ordinal",
    title: options.x,
    sort: axisOrder(cellList.map((c) => c.x), false),
    axis: { labelAngle: 0 },
  };
  const y = { field: "y", type: "ordinal", title: options.y, sort: axisOrder(cellList.map((c) => c.y), true) };
  const format = options.format ?? ",.3~r";
  return {
    $schema: schemaUrl,
    title: options.title ?? `${options.value} by ${options.x} and ${options.y}`,
    width: options.width ?? 400,
    height: options.height ?? 300,
    data: { values },
    encoding: { x, y },
    layer: [
      {
        mark: { type: "rect" },
        encoding: {
          color: {
            field: "value",
            type: "quantitative",
            title: options.value,
            scale: { scheme: options.colorScheme ?? "viridis" },
          },
          tooltip: [
            { field: "x", title: options.x },
            { field: "y", title: options.y },
            { field: "value", title: `${options.value} (mean)`, format },
            { field: "count", title: "rows" },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: 11 },
        encoding: {
          text: { field: "value", type: "quantitative", format },
          color: { condition: { test: `datum.value < ${middle}`, value: "white" }, value: "black" },
        },
      },
    ],
  };
}

/**
 * The order of an axis's categories: numbers sorted (descending for y, so values grow upwards, as
 * on a numeric axis), anything else in order of first appearance. Returned as text, as the
 * categories are in the data.
 */
function axisOrder(values: readonly unknown[], isY: boolean): string[] {
  const distinct = [...new Set(values)];
  if (distinct.every((v) => typeof v === "number")) {
    (distinct as number[]).sort((a, b) => isY ? b - a : a - b);
  }
  return distinct.map(String);
}
