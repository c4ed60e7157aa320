// Proves the load curve draws served against offered (with the diagonal), p50 and p99 against
// offered with missing latencies left out, marks the knee in both panels, and renders with the
// encodings its title and legend name: the knee is the only dashed line.
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
  const [, diagonal, served] = top.layer;
  assert.deepEqual(served.data.values.map((v: { per_s: number }) => v.per_s), [250, 500, 1_000, 1_400, 1_400]);
  assert.ok(diagonal.data.values.every((v: { offered_per_s: number; per_s: number }) => v.per_s === v.offered_per_s));
  assert.equal(bottom.layer[1].data.values.length, 9, "five p50s and four p99s: the NaN p99 is left out");
  assert.equal(top.layer[0].mark.type, "rule");
  assert.equal(bottom.layer[0].data.values[0].offered_per_s, 1_000);
  const svg = await toSvg(spec);
  for (const text of ["offered load (operations/s)", "latency (ms)", "p99", "served"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
});

Deno.test("loadCurve() draws what its title and legend say: solid measured lines, a grey diagonal, the knee dashed", async () => {
  const spec = loadCurve(rows, { kneeOfferedPerSecond: 1_000 });
  assert.match(spec.title, /dashed: the knee/);
  const svg = await toSvg(spec);
  // The dashed strokes in the picture are the knee's rule in each panel, and nothing else.
  const dashed = [...svg.matchAll(/<(\w+)[^>]*stroke-dasharray="([^"]*)"[^>]*>/g)]
    .filter(([, , pattern]) => pattern.split(",").map(Number).some((dash, i) => i % 2 === 1 && dash > 0));
  assert.deepEqual(dashed.map(([element]) => /aria-roledescription="([^"]*)"/.exec(element)?.[1]), [
    "rule mark",
    "rule mark",
  ]);
  assert.ok(dashed.every(([element]) => element.includes("knee: 1000/s")));
  // The served line is drawn solid in its colour; the diagonal thin and grey; the legend names both.
  const line = (series: string) =>
    [...svg.matchAll(/<path [^>]*aria-roledescription="line mark"[^>]*>/g)].map(([e]) => e)
      .find((e) => e.includes(`series: ${series}`))!;
  assert.match(line("served"), /stroke="#4c78a8" stroke-width="2"/);
  assert.match(line("offered"), /stroke="#aaa" stroke-width="1"/);
  for (const name of ["served", "offered", "p50", "p99"]) {
    assert.ok(svg.includes(`>${name}</text>`), `no legend entry ${name}`);
  }
});

Deno.test("loadCurve() without a knee draws no rule and does not promise one, and refuses a negative offered load", () => {
  const spec = loadCurve(rows);
  assert.equal(spec.vconcat[0].layer.length, 2, "the diagonal and the served line");
  assert.doesNotMatch(spec.title, /knee/);
  assert.throws(() => loadCurve([{ ...rows[0], offeredPerSecond: -1 }]), /offeredPerSecond/);
});
