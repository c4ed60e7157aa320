/**
 * Tidy rows as arquero tables, the tables notebooks filter, group and plot.
 *
 * @example
 * ```ts
 * import { table } from "./tables.ts";
 * table([{ windowStartUs: 0, availability: 1 }]).numRows(); // 1
 * ```
 * @module
 */
import * as aq from "arquero";

/** An arquero table. */
export type Table = ReturnType<typeof aq.from>;

/**
 * An arquero table of `rows`, one column per field of the first row (arquero's `from`).
 *
 * @param rows tidy rows from any metrics function
 * @returns a column table with one row per element of `rows`
 *
 * @example
 * ```ts
 * import { table } from "./tables.ts";
 * const t = table([{ f: "read", latencyUs: 900 }, { f: "write", latencyUs: 2_100 }]);
 * t.columnNames(); // ["f", "latencyUs"]
 * ```
 */
export function table<Row extends object>(rows: readonly Row[]): Table {
  return aq.from(rows as Row[]);
}
