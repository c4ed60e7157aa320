/**
 * A trade-off curve: two figures of sweep rows plotted against each other, one point per value of
 * the swept parameter (the mean over seeds), joined in the parameter's order and labelled with it.
 * Where {@linkcode percentileVsParameter} shows what one figure does as a knob turns, this shows
 * what one figure costs in another: recovery time against WAL bytes as the snapshot cadence moves.
 *
 * @example
 * ```ts
 * import { tradeOffCurve } from "./trade_off.ts";
 * const rows = [100, 1000, 10_000].flatMap((cadence) =>
 *   [1, 2].map((seed) => ({ cadence, seed, walBytesMax: cadence * 80, recoveryUs: 2_000 + cadence * 3 + seed }))
 * );
 * const spec = tradeOffCurve(rows, { parameter: "cadence", x: "walBytesMax", y: "recoveryUs" });
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import type { VegaLiteSpec } from "./charts.ts";
import { type ChartOptions, rowsOf, type RowsOrTable, schemaUrl } from "./_spec.ts";
import { meanConfidenceRows, type SweepRowLike } from "./sweep_charts.ts";

/** Options of {@linkcode tradeOffCurve}. */
export interface TradeOffCurveOptions extends ChartOptions {
  /** The swept parameter: one point per value, labelled with it, e.g. `"snapshotEveryEntries"`. */
  parameter: string;
  /** The figure on the x axis, e.g. `"walBytesMax"`. */
  x: string;
  /** The figure on the y axis, e.g. `"recoveryUs"`. */
  y: string;
  /** Axis titles; default the figure names. */
  xTitle?: string;
  yTitle?: string;
  /** Scales of the axes; default `"linear"`. */
  xScale?: "linear" | "log";
  yScale?: "linear" | "log";
  /** A point's label from its parameter value; default `parameter=value`. */
  label?: (value: unknown) => string;
}

/** One point of a trade-off curve: the means over seeds of both figures at one parameter value. */
export interface TradeOffPoint {
  parameter: unknown;
  x: number;
  y: number;
  /** Seeds with both figures finite. */
  count: number;
}

/**
 * The points of a trade-off curve: per parameter value, the mean of `x` and of `y` over the rows
 * (seeds) where both are finite. Values where no row has both are left out; points come in the
 * order of first appearance (a sweep's cell order).
 *
 * @param rows sweep rows, one per cell
 * @param columns the parameter and the two figures
 * @returns one point per parameter value
 *
 * @example
 * ```ts
 * import { tradeOffPoints } from "./trade_off.ts";
 * tradeOffPoints(
 *   [{ n: 1, a: 1, b: 10 }, { n: 1, a: 3, b: 30 }, { n: 2, a: 5, b: null }],
 *   { parameter: "n", x: "a", y: "b" },
 * ); // [{ parameter: 1, x: 2, y: 20, count: 2 }]
 * ```
 */
export function tradeOffPoints(
  rows: readonly SweepRowLike[],
  columns: { parameter: string; x: string; y: string },
): TradeOffPoint[] {
  // Only rows with both figures count, so each point's x and y come from the same seeds.
  const both = rows.filter((row) => finite(row[columns.x]) && finite(row[columns.y]));
  for (const column of [columns.x, columns.y]) {
    if (rows.length > 0 && !rows.some((row) => column in row)) {
      throw new InputError(
        `tradeOffCurve: no row has a column "${column}" (columns: ${Object.keys(rows[0]).join(", ")})`,
      );
    }
  }
  const xs = meanConfidenceRows(both, { parameter: columns.parameter, metric: columns.x });
  const ys = meanConfidenceRows(both, { parameter: columns.parameter, metric: columns.y });
  return xs.map((point, i) => ({ parameter: point.parameter, x: point.mean, y: ys[i].mean, count: point.count }));
}

/**
 * Two figures of sweep rows against each other, one labelled point per value of the swept
 * parameter (the means over seeds, see {@linkcode tradeOffPoints}), joined in the parameter's
 * order: increasing for numbers, the rows' order otherwise (so a value that means "never" can be
 * given as text and put last).
 *
 * @param input sweep rows, one per cell
 * @param options the parameter, the two figures, axis titles and scales, title and size
 * @returns a Vega-Lite spec with data fields `parameter`, `label`, `x`, `y`, `count`, `order`
 *
 * @example
 * ```ts
 * import { tradeOffCurve } from "./trade_off.ts";
 * const spec = tradeOffCurve(
 *   [{ cadence: 0, throughput: 900, recoveryUs: 90_000 }, { cadence: 100, throughput: 850, recoveryUs: 3_000 }],
 *   { parameter: "cadence", x: "recoveryUs", y: "throughput" },
 * );
 * ```
 */
export function tradeOffCurve(input: RowsOrTable<SweepRowLike>, options: TradeOffCurveOptions): VegaLiteSpec {
  const points = tradeOffPoints(rowsOf(input), options);
  const numeric = points.every((p) => typeof p.parameter === "number");
  const ordered = numeric ? [...points].sort((a, b) => (a.parameter as number) - (b.parameter as number)) : points;
  const values = ordered.map((p, order) => ({
    parameter: p.parameter,
    label: options.label === undefined ? `${options.parameter}=${p.parameter}` : options.label(p.parameter),
    x: p.x,
    y: p.y,
    count: p.count,
    order,
  }));
  const scale = (type: "linear" | "log" | undefined) => (type === "log" ? { type: "log" } : { zero: false });
  const x = { field: "x", type: "quantitative", title: options.xTitle ?? options.x, scale: scale(options.xScale) };
  const y = { field: "y", type: "quantitative", title: options.yTitle ?? options.y, scale: scale(options.yScale) };
  return {
    $schema: schemaUrl,
    title: options.title ?? `${options.y} against ${options.x} as ${options.parameter} varies (mean over seeds)`,
    width: options.width ?? 500,
    height: options.height ?? 300,
    data: { values },
    encoding: { x, y },
    layer: [
      {
        mark: { type: "line", point: true },
        encoding: {
          order: { field: "order", type: "quantitative" },
          tooltip: [
            { field: "parameter", title: options.parameter },
            { field: "x", title: options.x, format: ",.4~r" },
            { field: "y", title: options.y, format: ",.4~r" },
            { field: "count", title: "seeds" },
          ],
        },
      },
      { mark: { type: "text", align: "left", dx: 6, dy: -6, fontSize: 10 }, encoding: { text: { field: "label" } } },
    ],
  };
}

function finite(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value);
}
