// Proves the load curve draws served against offered (with the diagonal), p50 and p99 against
// offered with missing latencies left out, marks the knee in both panels, and renders.
import assert from "node:assert/strict";
import { loadCurve } from "./load_curve.ts";
import { toSvg } from "./render.ts";

const rows = [250, 500, 1_000, 2_000, 4_000].map((offeredPerSecond) => ({
  offeredPerSecond,
  throughputPerSecond: Math.min(offeredPerSecond, 1_400),
  latencyUsP50: offeredPerSecond < 1_400 ? 2_000 : 200_000,
  latencyUsP99: offeredPerSecond === 4_000 ? NaN : offeredPerSecond < 1_400 ? 6_000 : 400_000,
}));

Deno.test("loadCurve() draws served and offered per load, latency percentiles, and the knee in both panels", async () => {
  const spec = loadCurve(rows, { kneeOfferedPerSecond: 1_000, offeredScale: "log" });
  const [top, bottom] = spec.vconcat;
  const served = top.layer[1].data.values.filter((v: { series: string }) => v.series === "served");
  assert.deepEqual(served.map((v: { per_s: number }) => v.per_s), [250, 500, 1_000, 1_400, 1_400]);
  assert.equal(bottom.layer[1].data.values.length, 9, "five p50s and four p99s: the NaN p99 is left out");
  assert.equal(top.layer[0].mark.type, "rule");
  assert.equal(bottom.layer[0].data.values[0].offered_per_s, 1_000);
  const svg = await toSvg(spec);
  for (const text of ["offered load (operations/s)", "latency (ms)", "p99", "served"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
});

Deno.test("loadCurve() without a knee draws no rule, and refuses a negative offered load", () => {
  const spec = loadCurve(rows);
  assert.equal(spec.vconcat[0].layer.length, 1);
  assert.throws(() => loadCurve([{ ...rows[0], offeredPerSecond: -1 }]), /offeredPerSecond/);
});
