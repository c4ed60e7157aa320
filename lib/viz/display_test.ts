// Proves what a notebook chart is made of: live Vega-Lite plus a PNG drawn with Faultline's own
// fonts at twice the chart's size, and that the display helpers are harmless outside a kernel.
import assert from "node:assert/strict";
import { chartDisplay, showChart, showTable, vegaLiteMimeType } from "./display.ts";
import { svgToPng, toPng, toSvg } from "./render.ts";

const spec = (title: string) => ({
  title,
  width: 200,
  height: 100,
  data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }] },
  mark: "line",
  encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
});

function pngSize(png: Uint8Array): [number, number] {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG signature");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

Deno.test("toPng draws a chart at twice its SVG size, and reports the size in CSS pixels", async () => {
  const svg = await toSvg(spec("latency"));
  const [, svgWidth, svgHeight] = svg.match(/<svg[^>]*width="(\d+)" height="(\d+)"/)!.map(Number);
  const image = await toPng(spec("latency"));
  assert.deepEqual([image.width, image.height], [svgWidth, svgHeight]);
  assert.deepEqual(pngSize(image.png), [2 * svgWidth, 2 * svgHeight]);
  assert.deepEqual(pngSize((await svgToPng(svg, { scale: 1 })).png), [svgWidth, svgHeight]);
  await assert.rejects(svgToPng(svg, { scale: 0 }), /toPng scale must be between 1 and 4, got 0/);
});

Deno.test("toPng draws text with the fonts it ships: two titles give two images", async () => {
  const a = await toPng(spec("aaaa"));
  const b = await toPng(spec("WWWW"));
  assert.notDeepEqual(a.png, b.png);
});

Deno.test("a notebook chart carries its Vega-Lite spec, a PNG sized for the page, and a text line, but no SVG", async () => {
  const content = await chartDisplay(spec("latency"));
  assert.deepEqual(Object.keys(content.data).sort(), [vegaLiteMimeType, "image/png", "text/plain"].sort());
  assert.deepEqual(content.data[vegaLiteMimeType], spec("latency"), "Vega's row tags are not in the spec sent");
  assert.equal(content.data["text/plain"], "<chart: latency>");
  const png = Uint8Array.from(atob(content.data["image/png"] as string), (c) => c.charCodeAt(0));
  const { width, height } = content.metadata["image/png"] as { width: number; height: number };
  assert.deepEqual(pngSize(png), [2 * width, 2 * height]);
});

Deno.test("showChart and showTable do nothing outside a Jupyter kernel", async () => {
  await showChart(spec("latency"));
  await showTable([{ a: 1 }]);
});
