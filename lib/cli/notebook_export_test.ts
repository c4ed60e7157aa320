// Proves that a chart shown in a notebook survives `jupyter nbconvert --to html` (the exporter the
// suite installs: its sanitiser blanks an SVG), and that the suite's check tells a blank chart from
// a drawn one. The export tests need Jupyter and are skipped without it; `./faultline test`
// installs it and exports every notebook as well.
import assert from "node:assert/strict";
import { chartDisplay, toSvg, vegaLiteMimeType } from "../viz/mod.ts";
import { exportNotebookHtml } from "./jupyter.ts";
import { chartCells, chartsLost, visibleOutputImages } from "./notebook_export.ts";

const spec = {
  title: "latency",
  data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }, { x: 3, y: 1 }] },
  mark: "line",
  encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
};

async function hasNbconvert(): Promise<boolean> {
  try {
    return (await new Deno.Command("jupyter", { args: ["nbconvert", "--version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}
const noJupyter = !(await hasNbconvert());

/** A one-cell executed notebook whose cell displayed `content`, as the Deno kernel records it. */
function notebookWith(content: { data: Record<string, unknown>; metadata: Record<string, unknown> }): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: [{
      cell_type: "code",
      id: "chart",
      metadata: {},
      execution_count: 1,
      source: ["await showChart(spec);"],
      outputs: [{ output_type: "display_data", ...content }],
    }],
  });
}

async function exported(notebookText: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "faultline-export-test-" });
  try {
    await Deno.writeTextFile(`${dir}/chart.ipynb`, notebookText);
    return await Deno.readTextFile(await exportNotebookHtml(`${dir}/chart.ipynb`, dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "a chart shown by showChart is still visible after nbconvert exports the notebook to HTML",
  ignore: noJupyter,
  async fn() {
    const content = await chartDisplay(spec);
    assert.deepEqual(content.data[vegaLiteMimeType], spec, "the live, interactive Vega-Lite is kept");
    const notebook = notebookWith(content);
    const html = await exported(notebook);
    assert.equal(chartsLost(notebook, html), undefined);
    assert.equal(visibleOutputImages(html), 1);
  },
});

Deno.test({
  name: "the export check catches the blank chart nbconvert leaves of an SVG output",
  ignore: noJupyter,
  async fn() {
    const notebook = notebookWith({
      data: { [vegaLiteMimeType]: spec, "image/svg+xml": await toSvg(spec) },
      metadata: {},
    });
    const html = await exported(notebook);
    assert.match(html, /<svg/, "the SVG tag is there...");
    assert.equal(visibleOutputImages(html), 0, "...but nothing is drawn in it");
    assert.match(
      chartsLost(notebook, html) ?? "",
      /^1 chart in the notebook, 0 visible in the HTML \(charts in cells 1\)/,
    );
  },
});

Deno.test("only outputs with pixels or drawing count as visible: not a stripped SVG, an empty image or a stylesheet icon", () => {
  const png = (width: number, height: number) => {
    const bytes = new Uint8Array(33);
    bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    new DataView(bytes.buffer).setUint32(16, width);
    new DataView(bytes.buffer).setUint32(20, height);
    return btoa(String.fromCharCode(...bytes));
  };
  const output = (inner: string) => `<div class="jp-OutputArea-child">${inner}</div>`;
  const page = `<style>.icon{background:url(data:image/png;base64,${png(48, 12)})}</style>` + [
    output(`<img src="data:image/png;base64,${png(738, 314)}" width=738>`),
    output(`<svg class="marks" width="738" height="314">0.0 0.5 1.0 time (s)</svg>`),
    output(`<img src="">`),
    output(`<img src="data:image/png;base64,${png(8, 8)}">`),
    output(`<svg width="10" height="10"><path d="M0,0L10,10"></path></svg>`),
    output(`<table><tr><td>1</td></tr></table>`),
  ].join("");
  assert.equal(visibleOutputImages(page), 2);
  const notebook = JSON.stringify({
    cells: [
      { cell_type: "markdown", source: [] },
      { cell_type: "code", outputs: [{ data: { "text/html": "<table></table>" } }, { data: { "image/png": "" } }] },
      { cell_type: "code", outputs: [{ data: { [vegaLiteMimeType]: {} } }, { data: { "image/svg+xml": "" } }] },
    ],
  });
  assert.deepEqual(chartCells(notebook), [2, 3, 3]);
  assert.match(
    chartsLost(notebook, page) ?? "",
    /^3 charts in the notebook, 2 visible in the HTML \(charts in cells 2, 3\)/,
  );
});
