/**
 * Renders Vega-Lite specs to SVG headlessly (no browser, no canvas), for reports and for the SVG
 * fallback that keeps notebook charts visible in exported HTML.
 *
 * @example
 * ```ts
 * import { toSvg } from "./render.ts";
 * const svg = await toSvg({ data: { values: [{ x: 1 }] }, mark: "point", encoding: { x: { field: "x" } } });
 * ```
 * @module
 */
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import type { VegaLiteSpec } from "./charts.ts";

/** Compiles and renders `spec` to an SVG string. */
export async function toSvg(spec: VegaLiteSpec): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const compiled = vegaLite.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
