// Proves which charts a sweep's report draws: its headline figures against what it swept, a second
// swept parameter as lines, a seeds-only sweep against the seed, and never a parameter as a figure.
import assert from "node:assert/strict";
import { chartableFigures, sweepReportCharts, sweptParameters } from "./sweep_report.ts";

const rows = [1, 2].flatMap((seed) =>
  [2, 6].flatMap((clients) =>
    ["raft", "chain"].map((system) => ({
      cell: 0,
      seed,
      clients,
      system,
      durationUs: 300_000,
      operationsOk: 10 * clients,
      latencyUsP99: 1_000 * clients + seed,
      throughputPerS: null,
      verdict: true,
      key: "k",
    }))
  )
);
const parameters = ["clients", "system", "durationUs"];

Deno.test("a sweep's report charts tail latency against the first swept parameter, one line per value of the second", () => {
  const spec = { grid: { clients: [2, 6] }, zip: { system: ["raft", "chain"] }, fixed: { durationUs: 300_000 } };
  const charts = sweepReportCharts({ rows, parameters, manifest: { spec } });
  assert.deepEqual(Object.keys(charts), ["latencyUsP99 vs clients"], "throughputPerS is null everywhere");
  const chart = charts["latencyUsP99 vs clients"];
  assert.equal(chart.encoding.x.title, "clients");
  assert.equal(chart.encoding.color.field, "series");
  assert.deepEqual(new Set(chart.data.values.map((v: { series: string }) => v.series)), new Set(["raft", "chain"]));
});

Deno.test("a sweep over seeds alone is charted against the seed; without a preferred figure, the first numeric one", () => {
  const plain = rows.map(({ latencyUsP99: _, ...rest }) => rest);
  const charts = sweepReportCharts({ rows: plain, parameters, manifest: { spec: { seeds: [1, 2] } } });
  assert.deepEqual(Object.keys(charts), ["operationsOk vs seed"]);
});

Deno.test("parameters, cell bookkeeping, text and all-missing columns are not figures to chart", () => {
  const withText = rows.map((r) => ({ ...r, note: "x" }));
  assert.deepEqual(chartableFigures(withText, parameters), ["operationsOk", "latencyUsP99"]);
  assert.deepEqual(sweptParameters({ grid: { a: [1] }, zip: { b: [1] }, sample: { ranges: { c: [0, 1] } } }), [
    "a",
    "b",
    "c",
  ]);
  assert.deepEqual(sweepReportCharts({ rows: [], parameters, manifest: { spec: {} } }), {});
});
