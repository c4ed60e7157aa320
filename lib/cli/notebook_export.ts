/**
 * Checks that a notebook exported to HTML still shows its charts: every output of the executed
 * notebook that holds a chart must be an image a browser can draw in the exported page. An
 * exporter that sanitises its output (nbconvert's `clean_html`) can otherwise leave a blank box
 * where a chart was, with no error anywhere.
 *
 * @example
 * ```ts
 * import { chartsLost } from "./notebook_export.ts";
 * const notebook = { cells: [{ cell_type: "code", outputs: [{ output_type: "display_data", data: { "image/png": "" } }] }] };
 * chartsLost(JSON.stringify(notebook), "<html></html>"); // "1 chart in the notebook, 0 visible in the HTML ..."
 * ```
 * @module
 */

/** MIME types of an output that is a chart (or any image). */
const chartMimeTypes = ["application/vnd.vegalite.v5+json", "image/svg+xml", "image/png", "image/jpeg"];

/** Marks the start of one output in the HTML of nbconvert's default (lab) template. */
const outputMarker = 'class="jp-OutputArea-child';

/** An image smaller than this on either side is an icon or a stripped placeholder, not a chart. */
const imageSideMin = 16;

interface NotebookOutput {
  data?: Record<string, unknown>;
}

interface Notebook {
  cells?: { cell_type?: string; outputs?: NotebookOutput[] }[];
}

/** The 1-based positions of the code cells of `notebookText` (a .ipynb's JSON) that hold a chart, one per chart. */
export function chartCells(notebookText: string): number[] {
  const notebook = JSON.parse(notebookText) as Notebook;
  const cells: number[] = [];
  (notebook.cells ?? []).forEach((cell, index) => {
    for (const output of cell.outputs ?? []) {
      if (chartMimeTypes.some((type) => output.data?.[type] !== undefined)) cells.push(index + 1);
    }
  });
  return cells;
}

/** How many outputs in an exported page show an image: one with pixels or drawing, not an empty box. */
export function visibleOutputImages(html: string): number {
  return html.split(outputMarker).slice(1).filter(showsImage).length;
}

function showsImage(outputHtml: string): boolean {
  const dataImages = [...outputHtml.matchAll(/<img\b[^>]*?\bsrc="data:image\/(png|jpeg);base64,([^"]*)"/g)];
  if (dataImages.some(([, type, payload]) => imageHasPixels(type, payload))) return true;
  // An inline SVG counts only with something drawn in it: a sanitiser that strips its elements
  // leaves the <svg> tag and the text of its labels.
  const svgs = outputHtml.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
  return svgs.some((svg) => /<(path|rect|line|circle|ellipse|polygon|polyline|image)\b/.test(svg));
}

function imageHasPixels(type: string, payload: string): boolean {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(payload.replace(/\s/g, "")), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  if (type === "jpeg") return bytes.length > 100 && bytes[0] === 0xff && bytes[1] === 0xd8;
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) return false;
  // The IHDR chunk comes first: width and height are big-endian at bytes 16 and 20.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(16) >= imageSideMin && view.getUint32(20) >= imageSideMin;
}

/**
 * Why the exported page shows fewer charts than the notebook holds, or undefined when it shows
 * them all.
 *
 * @param notebookText the executed notebook's JSON
 * @param html the page `jupyter nbconvert --to html` made from it
 */
export function chartsLost(notebookText: string, html: string): string | undefined {
  const cells = chartCells(notebookText);
  const visible = visibleOutputImages(html);
  if (visible >= cells.length) return undefined;
  const plural = cells.length === 1 ? "chart" : "charts";
  return `${cells.length} ${plural} in the notebook, ${visible} visible in the HTML (charts in cells ${
    [...new Set(cells)].join(", ")
  }): the export left blank charts`;
}
