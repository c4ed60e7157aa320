/**
 * Renders Vega-Lite specs headlessly (no browser, no canvas): to SVG for reports, and to PNG for
 * notebooks, whose HTML export keeps a PNG but strips an SVG (see `display.ts`).
 *
 * @example
 * ```ts
 * import { toPng, toSvg } from "./render.ts";
 * const spec = { data: { values: [{ x: 1 }] }, mark: "point", encoding: { x: { field: "x" } } };
 * const svg = await toSvg(spec);
 * const { png, width } = await toPng(spec); // width in CSS pixels; png holds twice as many
 * ```
 * @module
 */
import { assert, checkNumber } from "../assert.ts";
import type { VegaLiteSpec } from "./charts.ts";

// Vega, Vega-Lite and resvg load when a chart is first rendered, not with the charts' modules:
// most importers (every system's experiments, so every sweep worker) build specs and never render
// one, and loading the renderers took a sweep worker's start-up about a fifth of a second. Vega's
// Node build also starts with a top-level await, which Node's require() (how tslab notebooks load
// a package) refuses in a module graph.
let renderers: Promise<[typeof import("vega"), typeof import("vega-lite")]> | undefined;
const loadRenderers = () => renderers ??= Promise.all([import("vega"), import("vega-lite")]);

/** Compiles and renders `spec` to an SVG string; `spec` and its rows are left as they were. */
export async function toSvg(spec: VegaLiteSpec): Promise<string> {
  // Vega tags every row it ingests with a symbol key: a copy keeps the caller's rows (and a spec
  // sent to a notebook alongside the rendering) untouched.
  const [vega, vegaLite] = await loadRenderers();
  // deno-lint-ignore no-explicit-any
  const compiled = vegaLite.compile(structuredClone(spec) as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A chart as a PNG image. */
export interface PngImage {
  /** The PNG file's bytes. */
  png: Uint8Array;
  /** Width in CSS pixels (the SVG's); the image holds `width * scale` pixels. */
  width: number;
  /** Height in CSS pixels (the SVG's). */
  height: number;
}

/** Options of {@linkcode toPng}. */
export interface PngOptions {
  /** Image pixels per CSS pixel; default 2, sharp on high-density screens. From 1 to 4. */
  scale?: number;
}

/** Pixels per CSS pixel beyond which a chart's PNG grows large for no visible gain. */
const pngScaleMax = 4;

// The rasteriser is WebAssembly with no access to system fonts: Vega's text ("sans-serif") is
// drawn with DejaVu Sans from an npm package, so a chart looks the same on every machine.
let rasteriser: Promise<{ fonts: Uint8Array[]; Resvg: typeof import("@resvg/resvg-wasm").Resvg }> | undefined;

function loadRasteriser(): Promise<{ fonts: Uint8Array[]; Resvg: typeof import("@resvg/resvg-wasm").Resvg }> {
  rasteriser ??= (async () => {
    const { initWasm, Resvg } = await import("@resvg/resvg-wasm");
    const read = (specifier: string) => Deno.readFile(new URL(import.meta.resolve(specifier)));
    await initWasm(read("@resvg/resvg-wasm/index_bg.wasm"));
    const fonts = await Promise.all(
      ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((name) => read(`dejavu-fonts-ttf/ttf/${name}`)),
    );
    return { fonts, Resvg };
  })();
  return rasteriser;
}

/** Renders `spec` to a PNG image (via its SVG), with fonts that ship with Faultline. */
export async function toPng(spec: VegaLiteSpec, options: PngOptions = {}): Promise<PngImage> {
  return svgToPng(await toSvg(spec), options);
}

/** Rasterises an SVG document (as {@linkcode toSvg} writes) to a PNG image. */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<PngImage> {
  const scale = checkNumber("toPng scale", options.scale ?? 2, { min: 1, max: pngScaleMax });
  const { fonts, Resvg } = await loadRasteriser();
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: {
      fontBuffers: fonts,
      loadSystemFonts: false,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  try {
    const image = resvg.render();
    try {
      assert(image.width > 0 && image.height > 0, "toPng: the chart rendered to an empty image");
      return { png: image.asPng(), width: Math.round(image.width / scale), height: Math.round(image.height / scale) };
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}
