/**
 * Display helpers for Deno's Jupyter kernel. A chart goes out as one bundle holding the Vega-Lite
 * MIME type (drawn live, and interactive, by JupyterLab and VS Code) and a PNG rendering of it.
 * The PNG is for `jupyter nbconvert --to html` and the classic notebook, which do not draw
 * Vega-Lite: nbconvert's sanitiser (`clean_html`, lxml's Cleaner) strips an inline SVG's drawing
 * elements and any `data:image/svg+xml` address, leaving a blank chart, while it copies a PNG
 * output as is. Outside a kernel the helpers do nothing.
 *
 * @module
 */
import type { VegaLiteSpec } from "./charts.ts";
import { toPng } from "./render.ts";

interface JupyterApi {
  display(bundle: Record<string, unknown>, options: { raw: boolean }): Promise<void>;
  broadcast(type: string, content: Record<string, unknown>): Promise<void>;
}

function jupyter(): JupyterApi | undefined {
  try {
    // deno-lint-ignore no-explicit-any
    return (Deno as any).jupyter as JupyterApi | undefined;
  } catch {
    // Deno throws on reading `Deno.jupyter` outside `deno jupyter`: no kernel, nothing to show.
    return undefined;
  }
}

/** The MIME type of a Vega-Lite v5 spec, as JupyterLab's renderer expects it. */
export const vegaLiteMimeType = "application/vnd.vegalite.v5+json";

/** A Jupyter `display_data` message's content: representations by MIME type, and their metadata. */
export interface DisplayContent {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/**
 * What {@linkcode showChart} sends for `spec`: the spec itself, a PNG (base64, with its size in
 * CSS pixels so a high-density image is shown at the chart's size) and a line of text.
 *
 * @example
 * ```ts
 * import { chartDisplay } from "./display.ts";
 * const content = await chartDisplay({ data: { values: [{ x: 1 }] }, mark: "point", encoding: { x: { field: "x" } } });
 * Object.keys(content.data); // ["application/vnd.vegalite.v5+json", "image/png", "text/plain"]
 * ```
 */
export async function chartDisplay(spec: VegaLiteSpec): Promise<DisplayContent> {
  const { png, width, height } = await toPng(spec);
  const title = typeof spec.title === "string" ? spec.title : "";
  return {
    data: {
      [vegaLiteMimeType]: spec,
      "image/png": encodeBase64(png),
      "text/plain": title === "" ? "<chart>" : `<chart: ${title}>`,
    },
    metadata: { "image/png": { width, height } },
  };
}

/** Shows a chart in the notebook (Vega-Lite plus a PNG for export). Await it: see the kernel's limits. */
export async function showChart(spec: VegaLiteSpec): Promise<void> {
  const api = jupyter();
  if (api === undefined) return;
  // `display` sends no per-MIME metadata, which the PNG's size needs; this is the message it sends.
  await api.broadcast("display_data", { ...await chartDisplay(spec), transient: {} });
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

/** Shows rows as an HTML table (with a plain-text fallback). */
export async function showTable(rows: Record<string, unknown>[], options: { rowsMax?: number } = {}): Promise<void> {
  const api = jupyter();
  if (api === undefined) return;
  const shown = rows.slice(0, options.rowsMax ?? 20);
  const columns = shown.length === 0 ? [] : Object.keys(shown[0]);
  const cell = (v: unknown) => escapeHtml(typeof v === "number" ? formatNumber(v) : String(v));
  const html = `<table><thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead><tbody>` +
    shown.map((r) => `<tr>${columns.map((c) => `<td>${cell(r[c])}</td>`).join("")}</tr>`).join("") +
    `</tbody></table>${rows.length > shown.length ? `<p>${rows.length - shown.length} more rows</p>` : ""}`;
  const text = shown.map((r) => columns.map((c) => String(r[c])).join("\t")).join("\n");
  await api.display({ "text/html": html, "text/plain": text }, { raw: true });
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
