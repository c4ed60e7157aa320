/**
 * Helpers shared by the chart builders (private to lib/viz): the schema address, reading numbers
 * out of user rows with errors that name the row, series grouping in a deterministic order, and
 * the fault-band layers drawn behind timelines.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import type { Band, VegaLiteSpec } from "./charts.ts";

/** The Vega-Lite schema every builder's spec names (the notebook MIME type is v5's). */
export const schemaUrl = "https://vega.github.io/schema/vega-lite/v5.json";

/** Colour of the fault bands and of dropped messages, as in `latencyTimeline`. */
export const faultColor = "#d62728";

/** Size, title and common options every builder accepts. */
export interface ChartOptions {
  /** Chart title; each builder has its own default. */
  title?: string;
  /** Plot width in pixels; each builder has its own default. */
  width?: number;
  /** Plot height in pixels (per panel where there are several); each builder has its own default. */
  height?: number;
}

/**
 * The number in `row[field]`, refusing anything that is not a number (NaN is a number: callers
 * decide what a missing figure means). The error names the builder, the row and the field.
 */
export function numberIn(row: Record<string, unknown>, field: string, where: string, rowIndex: number): number {
  const value = row[field];
  if (typeof value !== "number") {
    throw new InputError(`${where}: row ${rowIndex} has ${field} = ${JSON.stringify(value)}, not a number`);
  }
  return value;
}

/** Like {@linkcode numberIn}, and the number must also be finite and at least 0. */
export function amountIn(row: Record<string, unknown>, field: string, where: string, rowIndex: number): number {
  const value = numberIn(row, field, where, rowIndex);
  if (!Number.isFinite(value) || value < 0) {
    throw new InputError(`${where}: row ${rowIndex} has ${field} = ${value}; it must be finite and at least 0`);
  }
  return value;
}

/** The series name of a row: `""` when absent, so one unnamed series is drawn. */
export function seriesOf(row: { series?: unknown }): string {
  return row.series === undefined || row.series === null ? "" : String(row.series);
}

/** Whether any row names a series (a colour legend is drawn only then). */
export function hasSeries(rows: readonly { series?: unknown }[]): boolean {
  return rows.some((row) => seriesOf(row) !== "");
}

/** The colour encoding of series, or a legend-less constant when there is only the unnamed one. */
export function seriesColor(named: boolean, title: string | null = null): VegaLiteSpec {
  return named ? { color: { field: "series", type: "nominal", title } } : {};
}

/** Refuses a band that ends before it starts or is not finite. */
export function checkBands(bands: readonly Band[], where: string): void {
  bands.forEach((band, i) => {
    if (!Number.isFinite(band.startUs) || !Number.isFinite(band.endUs) || band.endUs < band.startUs) {
      throw new InputError(`${where}: band ${i} (${band.label}) runs from ${band.startUs} to ${band.endUs} us`);
    }
  });
}

/** Shaded fault bands on an x axis of virtual seconds (field `time_s`), or none. */
export function bandLayers(bands: readonly Band[], options: { labels: boolean }): VegaLiteSpec[] {
  if (bands.length === 0) return [];
  const values = bands.map((b) => ({ start_s: b.startUs / 1e6, end_s: b.endUs / 1e6, fault: b.label }));
  const layers: VegaLiteSpec[] = [{
    data: { values },
    mark: { type: "rect", opacity: 0.15, color: faultColor },
    encoding: {
      x: { field: "start_s", type: "quantitative" },
      x2: { field: "end_s" },
      tooltip: [{ field: "fault", title: "fault" }, { field: "start_s", title: "start (s)" }, {
        field: "end_s",
        title: "end (s)",
      }],
    },
  }];
  if (options.labels) {
    layers.push({
      data: { values },
      mark: { type: "text", align: "left", baseline: "top", dx: 3, dy: 3, fontSize: 10, color: faultColor },
      encoding: { x: { field: "start_s", type: "quantitative" }, y: { value: 0 }, text: { field: "fault" } },
    });
  }
  return layers;
}

/** Rows or an arquero table (anything with `objects()`): every builder accepts both. */
export type RowsOrTable<T> = readonly T[] | { objects(): unknown[] };

/** The rows of `input`: an arquero table's objects, or the array itself. */
export function rowsOf<T>(input: RowsOrTable<T>): readonly T[] {
  return Array.isArray(input) ? input : (input as { objects(): unknown[] }).objects() as T[];
}
