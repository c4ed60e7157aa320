/**
 * Vega-Lite spec builders. Each takes plain rows (or an arquero table's objects) and returns a
 * plain spec the caller may tweak before rendering or displaying it.
 *
 * @example
 * ```ts
 * import { latencyTimeline } from "./charts.ts";
 * const spec = latencyTimeline([{ timeUs: 1000, latencyUs: 420, series: "seed 1" }]);
 * ```
 * @module
 */

import { rowsOf, type RowsOrTable } from "./_spec.ts";

/** A Vega-Lite top-level spec (kept loose: callers extend it freely). */
// deno-lint-ignore no-explicit-any
export type VegaLiteSpec = Record<string, any>;

/** A shaded interval on a timeline, such as a fault from start to heal. */
export interface Band {
  startUs: number;
  endUs: number;
  label: string;
}

/**
 * Latency of each request over time, one colour per series, on a log scale, with optional fault
 * bands shaded behind the points (as Jepsen's latency plots do).
 */
export function latencyTimeline(
  input: RowsOrTable<{ timeUs: number; latencyUs: number; series?: string }>,
  options: { bands?: Band[]; title?: string; width?: number; height?: number } = {},
): VegaLiteSpec {
  const rows = rowsOf(input);
  const points = rows.map((r) => ({ time_s: r.timeUs / 1e6, latency_ms: r.latencyUs / 1e3, series: r.series ?? "" }));
  const bands = (options.bands ?? []).map((b) => ({ start_s: b.startUs / 1e6, end_s: b.endUs / 1e6, fault: b.label }));
  const layers: VegaLiteSpec[] = [];
  if (bands.length > 0) {
    layers.push({
      data: { values: bands },
      mark: { type: "rect", opacity: 0.15, color: "#d62728" },
      encoding: { x: { field: "start_s", type: "quantitative" }, x2: { field: "end_s" } },
    });
  }
  layers.push({
    data: { values: points },
    mark: { type: "point", filled: true, size: 8, opacity: 0.5 },
    encoding: {
      x: { field: "time_s", type: "quantitative", title: "time (s, virtual)" },
      y: { field: "latency_ms", type: "quantitative", title: "latency (ms)", scale: { type: "log" } },
      color: { field: "series", type: "nominal", title: null },
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: options.title ?? "Request latency over time",
    width: options.width ?? 600,
    height: options.height ?? 250,
    layer: layers,
  };
}
