// Proves the sweep charts: means and 95% intervals over seeds per parameter point and series, the
// heatmap's cell means, and that both specs compile and render to SVG with their titles and names.
import assert from "node:assert/strict";
import { heatmap, meanConfidenceRows, percentileVsParameter } from "./sweep_charts.ts";
import { toSvg } from "./render.ts";

/** Sweep rows as runSweep makes them: parameters, seed and figures, one row per cell. */
function sweepRows(seeds: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const system of ["raft", "chain"]) {
    for (const lossProbability of [0, 0.05, 0.1]) {
      for (let seed = 1; seed <= seeds; seed++) {
        const base = (system === "raft" ? 2_000 : 3_000) + lossProbability * 100_000;
        rows.push({ cell: rows.length, seed, system, lossProbability, latencyUsP99: base + (seed % 2 ? 150 : -150) });
      }
    }
  }
  return rows;
}

Deno.test("meanConfidenceRows() gives the mean over seeds with an interval that contains it", () => {
  const points = meanConfidenceRows(sweepRows(4), {
    parameter: "lossProbability",
    metric: "latencyUsP99",
    series: "system",
  });
  assert.equal(points.length, 6);
  const raftLossy = points.find((p) => p.series === "raft" && p.parameter === 0.1)!;
  assert.equal(raftLossy.mean, 12_000);
  assert.equal(raftLossy.count, 4);
  // s = √(4·150²/3), t(0.975, 3) = 3.182446, n = 4.
  const halfWidth = 3.182446 * Math.sqrt(4 * 150 ** 2 / 3) / 2;
  assert.ok(Math.abs(raftLossy.upper - raftLossy.mean - halfWidth) < 1e-6);
  for (const p of points) assert.ok(p.lower <= p.mean && p.mean <= p.upper);
});

Deno.test("meanConfidenceRows() narrows the interval as seeds are added", () => {
  const width = (seeds: number) => {
    const [point] = meanConfidenceRows(sweepRows(seeds), { parameter: "lossProbability", metric: "latencyUsP99" });
    return point.upper - point.lower;
  };
  assert.ok(width(2) > width(4) && width(4) > width(8) && width(8) > width(30));
});

Deno.test("meanConfidenceRows() leaves out NaN and missing figures and refuses a misspelt metric", () => {
  const rows = [
    { n: 3, seed: 1, p99: 10 },
    { n: 3, seed: 2, p99: NaN },
    { n: 3, seed: 3, error: "worker died" },
    { n: 5, seed: 1, p99: NaN },
  ];
  assert.deepEqual(meanConfidenceRows(rows, { parameter: "n", metric: "p99" }), [
    { parameter: 3, series: "", mean: 10, lower: 10, upper: 10, count: 1 },
  ]);
  assert.throws(() => meanConfidenceRows(rows, { parameter: "n", metric: "p999" }), /no row has a column "p999"/);
  assert.throws(() => meanConfidenceRows(rows, { parameter: "m", metric: "p99" }), /no parameter column "m"/);
  assert.throws(() => meanConfidenceRows([{ n: 1, p99: "slow" }], { parameter: "n", metric: "p99" }), /not a number/);
});

Deno.test("percentileVsParameter() renders one line per series with the parameter and metric as axis titles", async () => {
  const spec = percentileVsParameter(sweepRows(3), {
    parameter: "lossProbability",
    metric: "latencyUsP99",
    series: "system",
  });
  assert.equal(spec.data.values.length, 6);
  assert.equal(spec.encoding.x.type, "quantitative");
  const svg = await toSvg(spec);
  for (const text of ["lossProbability", "latencyUsP99", "raft", "chain", "95% CI"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
});

Deno.test("percentileVsParameter() shows a non-numeric parameter as categories in sweep order", async () => {
  const rows = ["one-zone", "three-zones", "two-regions"].flatMap((placement, i) =>
    [1, 2].map((seed) => ({ placement, seed, availability: 0.99 - i * 0.01 - seed * 0.001 }))
  );
  const spec = percentileVsParameter(rows, { parameter: "placement", metric: "availability", metricScale: "log" });
  assert.equal(spec.encoding.x.type, "ordinal");
  assert.deepEqual(spec.data.values.map((v: { parameter: string }) => v.parameter), [
    "one-zone",
    "three-zones",
    "two-regions",
  ]);
  const svg = await toSvg(spec);
  assert.ok(svg.includes("two-regions") && svg.includes("availability"));
});

Deno.test("heatmap() colours and labels each cell with the mean over its seeds", async () => {
  const rows = [3, 5, 7].flatMap((nodes) =>
    [0, 0.1, 0.2].flatMap((lossProbability) =>
      [1, 2].map((seed) => ({
        nodes,
        lossProbability,
        seed,
        commitsPerSecond: 1000 * nodes - 1000 * lossProbability + seed,
      }))
    )
  );
  const spec = heatmap(rows, { x: "nodes", y: "lossProbability", value: "commitsPerSecond" });
  const values = spec.data.values as { x: string; y: string; value: number; count: number }[];
  assert.equal(values.length, 9);
  const cell = values.find((v) => v.x === "5" && v.y === "0.1")!;
  assert.equal(cell.value, 4901.5);
  assert.equal(cell.count, 2);
  assert.deepEqual(spec.encoding.x.sort, ["3", "5", "7"]);
  assert.deepEqual(spec.encoding.y.sort, ["0.2", "0.1", "0"], "y grows upwards");
  const svg = await toSvg(spec);
  for (const text of ["nodes", "lossProbability", "commitsPerSecond", "4,900", "6,900"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
});

Deno.test("builders take an arquero table as well as rows", async () => {
  const aq = await import("arquero");
  const rows = [1, 2, 3].flatMap((clients) =>
    [1, 2].map((seed) => ({ clients, seed, latencyUsP99: clients * 100 + seed }))
  );
  const fromTable = percentileVsParameter(aq.from(rows), { parameter: "clients", metric: "latencyUsP99" });
  const fromRows = percentileVsParameter(rows, { parameter: "clients", metric: "latencyUsP99" });
  assert.deepEqual(fromTable, fromRows);
});
