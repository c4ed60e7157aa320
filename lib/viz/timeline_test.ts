// Proves the throughput-and-latency timeline stacks two panels over one time axis with the fault
// bands in both, and renders to SVG with both panels' titles and the fault labels.
import assert from "node:assert/strict";
import { throughputLatencyTimeline } from "./timeline.ts";
import { toSvg } from "./render.ts";

const rows = Array.from({ length: 30 }, (_, i) => {
  const down = i >= 10 && i < 14;
  return {
    windowStartUs: i * 500_000,
    windowEndUs: (i + 1) * 500_000,
    throughputPerSecond: down ? 0 : 800 + (i % 3) * 50,
    latencyUsP99: down ? NaN : 2_000 + (i === 14 ? 250_000 : 0),
  };
});
const bands = [{ startUs: 5_000_000, endUs: 7_000_000, label: "crash n0" }];

Deno.test("throughputLatencyTimeline() stacks throughput over p99 latency with the faults shaded in both", async () => {
  const spec = throughputLatencyTimeline(rows, { bands });
  assert.equal(spec.vconcat.length, 2);
  for (const panel of spec.vconcat) {
    const rect = panel.layer.find((layer: { mark: { type: string } }) => layer.mark.type === "rect");
    assert.deepEqual(rect.data.values, [{ start_s: 5, end_s: 7, fault: "crash n0" }]);
  }
  assert.deepEqual(spec.resolve, { scale: { x: "shared" } });
  const [throughput, latency] = spec.vconcat.map((panel: { layer: { data: { values: unknown[] } }[] }) =>
    panel.layer[panel.layer.length - 1].data.values
  );
  assert.equal(throughput.length, 30, "a window with no throughput is drawn at 0");
  assert.equal(latency.length, 26, "a window with no completions has no p99 and is left out");
  const svg = await toSvg(spec);
  for (const text of ["throughput (ok/s)", "p99 latency (ms)", "time (s, virtual)", "crash n0"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
});

Deno.test("throughputLatencyTimeline() without bands renders series on a linear latency axis", async () => {
  const twoSeries = rows.flatMap((row) => [{ ...row, series: "reads" }, { ...row, series: "writes" }]);
  const spec = throughputLatencyTimeline(twoSeries, { latencyScale: "linear", title: "seed 7" });
  assert.equal(spec.vconcat[1].layer.length, 1);
  assert.deepEqual(spec.vconcat[1].layer[0].encoding.y.scale, {});
  const svg = await toSvg(spec);
  assert.ok(svg.includes("seed 7") && svg.includes("reads") && svg.includes("writes"));
});

Deno.test("throughputLatencyTimeline() refuses a band that ends before it starts", () => {
  assert.throws(
    () => throughputLatencyTimeline(rows, { bands: [{ startUs: 5, endUs: 1, label: "x" }] }),
    /band 0 \(x\) runs from 5 to 1 us/,
  );
});
