// Proves latency bins are logarithmic, contiguous and count every latency once, and that the
// histogram chart carries one bar per bin and series and renders with its axis titles.
import assert from "node:assert/strict";
import { latencyBins, latencyHistogramChart } from "./latency_histogram.ts";
import { toSvg } from "./render.ts";

Deno.test("latencyBins() counts each latency once in contiguous bins of a tenth of a decade", () => {
  const latencies = [1_000, 1_100, 1_300, 2_000, 9_999, 10_000, 250_000];
  const bins = latencyBins(latencies);
  assert.equal(bins.reduce((sum, bin) => sum + bin.count, 0), latencies.length);
  assert.ok(Math.abs(bins[0].latencyUsLow - 1_000) < 1e-6, "the first bin opens at the smallest latency's edge");
  for (let i = 1; i < bins.length; i++) assert.equal(bins[i].latencyUsLow, bins[i - 1].latencyUsHigh);
  assert.equal(bins[0].count, 2, "1000 and 1100 µs share the bin [1000, 1259)");
  assert.equal(bins.at(-1)!.count, 1, "250 ms is alone in the last bin");
  assert.deepEqual(latencyBins([]), []);
});

Deno.test("latencyBins() edges are 12-digit numbers, the same on engines whose 10^x differs in the last place", () => {
  // Node 20's V8 computes 10 ** 5.3 as 199526.23149688786, Deno's as 199526.2314968879.
  const bins = latencyBins([150_000, 199_600]);
  assert.deepEqual(bins.map((b) => [b.latencyUsLow, b.latencyUsHigh]), [
    [125892.541179, 158489.319246],
    [158489.319246, 199526.231497],
    [199526.231497, 251188.643151],
  ]);
});

Deno.test("latencyBins() with one bin per decade puts a power of ten in the bin it opens", () => {
  assert.deepEqual(latencyBins([1_000, 9_000, 10_000], 1).map((b) => b.count), [2, 1]);
  assert.throws(() => latencyBins([1], 0), /binsPerDecade/);
});

Deno.test("latencyHistogramChart() draws one bar per bin and series and renders", async () => {
  const rows = [
    ...[900, 1_000, 1_200, 3_000].map((latencyUs) => ({ latencyUs, series: "write" })),
    ...[400, 500].map((latencyUs) => ({ latencyUs, series: "read" })),
  ];
  const spec = latencyHistogramChart(rows, { title: "commit latency", binsPerDecade: 2 });
  assert.deepEqual(spec.data.values.map((v: { series: string; count: number }) => [v.series, v.count]), [
    ["write", 1],
    ["write", 3],
    ["read", 2],
  ], "edges at 316, 1000 and 3162 µs: 900 alone below 1000, then 1000, 1200 and 3000");
  const svg = await toSvg(spec);
  for (const text of ["commit latency", "latency (ms)", "requests", "write", "read"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
});
