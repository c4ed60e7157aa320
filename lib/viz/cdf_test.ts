// Proves the latency CDF's numbers (ends at 0 and 1, never decreases, thinned to its bound with
// both ends and the tail kept) and that its spec compiles and renders to SVG.
import assert from "node:assert/strict";
import { cdfPointsPerSeriesMax, empiricalCdf, latencyCdf, thinCdf } from "./cdf.ts";
import { toSvg } from "./render.ts";

function assertMonotone(points: { latencyUs: number; probability: number }[]): void {
  for (let i = 1; i < points.length; i++) {
    assert.ok(points[i].latencyUs >= points[i - 1].latencyUs, `latency decreases at ${i}`);
    assert.ok(points[i].probability >= points[i - 1].probability, `probability decreases at ${i}`);
  }
}

/** A skewed, deterministic latency sample: most requests fast, a long tail (no Math.random). */
function skewedLatenciesUs(count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round(500 + 100_000 * ((i * 7919) % count / count) ** 8));
}

Deno.test("empiricalCdf() starts at 0, ends at 1 and never decreases", () => {
  const points = empiricalCdf(skewedLatenciesUs(2_000));
  assert.equal(points[0].probability, 0);
  assert.equal(points[points.length - 1].probability, 1);
  assert.equal(points[0].latencyUs, 500);
  assertMonotone(points);
});

Deno.test("empiricalCdf() makes one point per distinct value, counting ties", () => {
  assert.deepEqual(empiricalCdf([30, 10, 10, 20]), [
    { latencyUs: 10, probability: 0 },
    { latencyUs: 10, probability: 0.5 },
    { latencyUs: 20, probability: 0.75 },
    { latencyUs: 30, probability: 1 },
  ]);
  assert.deepEqual(empiricalCdf([]), []);
});

Deno.test("thinCdf() keeps the first and last point and at most its bound, monotone", () => {
  const points = empiricalCdf(Array.from({ length: 100_000 }, (_, i) => i + 1));
  for (const pointsMax of [2, 3, 10, 500]) {
    const thinned = thinCdf(points, pointsMax);
    assert.ok(thinned.length <= pointsMax, `${thinned.length} > ${pointsMax}`);
    assert.deepEqual(thinned[0], points[0]);
    assert.deepEqual(thinned[thinned.length - 1], points[points.length - 1]);
    assertMonotone(thinned);
  }
});

Deno.test("thinCdf() keeps the tail: points near p99 and p99.9 survive thinning to 500", () => {
  const points = empiricalCdf(Array.from({ length: 100_000 }, (_, i) => i + 1));
  const thinned = thinCdf(points, 500);
  const near = (p: number) => thinned.some((point) => Math.abs(point.probability - p) < 0.0002);
  assert.ok(near(0.99) && near(0.999) && near(0.5));
});

Deno.test("thinCdf() leaves a short CDF as it is", () => {
  const points = empiricalCdf([1, 2, 3]);
  assert.deepEqual(thinCdf(points, 500), points);
});

Deno.test("latencyCdf() draws at most the point bound per series and renders with series names", async () => {
  const rows = [
    ...skewedLatenciesUs(20_000).map((latencyUs) => ({ latencyUs, series: "leader reads" })),
    ...skewedLatenciesUs(3_000).map((latencyUs) => ({ latencyUs: latencyUs * 3, series: "quorum reads" })),
  ];
  const spec = latencyCdf(rows);
  const values = spec.data.values as { series: string; probability: number }[];
  for (const series of ["leader reads", "quorum reads"]) {
    const mine = values.filter((v) => v.series === series);
    assert.ok(mine.length <= cdfPointsPerSeriesMax && mine.length > 100);
    assert.equal(mine[0].probability, 0);
    assert.equal(mine[mine.length - 1].probability, 1);
  }
  assert.equal(spec.encoding.x.scale.type, "log");
  const svg = await toSvg(spec);
  for (const text of ["latency (ms)", "fraction of requests at most this latency", "leader reads", "quorum reads"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
});

Deno.test("latencyCdf() draws latencies of 0 at 1 us on the log axis and refuses negative ones", async () => {
  const spec = latencyCdf([{ latencyUs: 0 }, { latencyUs: 2_000 }], { pointsPerSeriesMax: 10, title: "zeros" });
  assert.deepEqual(spec.data.values.map((v: { latency_ms: number }) => v.latency_ms), [0.001, 0.001, 2]);
  assert.equal(spec.encoding.color, undefined, "one unnamed series needs no legend");
  assert.ok((await toSvg(spec)).includes("zeros"));
  assert.throws(() => latencyCdf([{ latencyUs: -5 }]), /latencyCdf: row 0 has latencyUs = -5/);
});
