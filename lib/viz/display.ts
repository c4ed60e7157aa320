/**
 * Display helpers for Deno's Jupyter kernel. A chart goes out as one bundle holding both the
 * Vega-Lite MIME type (drawn live by JupyterLab) and an SVG rendering (kept by `nbconvert --to
 * html`, which does not draw Vega-Lite), so charts survive export. Outside a kernel they do nothing.
 *
 * @module
 */
import type { VegaLiteSpec } from "./charts.ts";
import { toSvg } from "./render.ts";

interface JupyterApi {
  display(bundle: Record<string, unknown>, options: { raw: boolean }): Promise<void>;
}

function jupyter(): JupyterApi | undefined {
  // deno-lint-ignore no-explicit-any
  return (Deno as any).jupyter as JupyterApi | undefined;
}

/** Shows a chart in the notebook (Vega-Lite plus SVG fallback). Await it: see the kernel's limits. */
export async function showChart(spec: VegaLiteSpec): Promise<void> {
  const api = jupyter();
  if (api === undefined) return;
  const svg = await toSvg(spec);
  await api.display({ "application/vnd.vegalite.v5+json": spec, "image/svg+xml": svg }, { raw: true });
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
