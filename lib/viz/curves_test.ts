// Proves the staleness and reclaim curves carry the right points (bins with no reads left out,
// marks kept) and that both specs compile and render to SVG with their axis titles and labels.
import assert from "node:assert/strict";
import { reclaimCurve, stalenessCurve } from "./curves.ts";
import { toSvg } from "./render.ts";

Deno.test("stalenessCurve() draws one line per series and leaves out bins with no reads", async () => {
  const rows = [0, 5_000, 10_000, 15_000, 20_000].flatMap((sinceWriteUs, i) => [
    { sinceWriteUs, freshProbability: Math.min(1, 0.3 + 0.2 * i), series: "R=1, W=1" },
    { sinceWriteUs, freshProbability: i === 2 ? NaN : 1, series: "R=2, W=2" },
  ]);
  const spec = stalenessCurve(rows);
  assert.equal(spec.data.values.length, 9);
  assert.deepEqual(spec.encoding.y.scale.domain, [0, 1]);
  assert.equal(spec.data.values[2].since_write_ms, 5);
  const svg = await toSvg(spec);
  for (const text of ["P(read is fresh)", "time since the latest acknowledged write (ms)", "R=1, W=1", "R=2, W=2"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
});

Deno.test("stalenessCurve() refuses a probability outside [0, 1]", () => {
  assert.throws(() => stalenessCurve([{ sinceWriteUs: 0, freshProbability: 1.5 }]), /outside \[0, 1\]/);
});

Deno.test("reclaimCurve() draws bytes over time with a labelled rule per compaction or retention event", async () => {
  const rows = Array.from({ length: 40 }, (_, i) => ({
    timeUs: i * 250_000,
    bytes: (i % 10) * 8_000_000 + 1_000_000,
    series: "node 0",
  }));
  const marks = [{ timeUs: 2_400_000, label: "compaction 1" }, { timeUs: 7_400_000, label: "retention cut" }];
  const spec = reclaimCurve(rows, { marks, title: "WAL bytes" });
  assert.equal(spec.layer.length, 3);
  assert.deepEqual(spec.layer[1].data.values, [{ time_s: 2.4, label: "compaction 1" }, {
    time_s: 7.4,
    label: "retention cut",
  }]);
  const svg = await toSvg(spec);
  for (const text of ["WAL bytes", "disk bytes", "time (s, virtual)", "compaction 1", "retention cut", "node 0"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
  assert.ok(svg.includes("70M"), "the bytes axis uses SI prefixes");
});

Deno.test("reclaimCurve() without marks is a single line layer, and refuses negative bytes", async () => {
  const spec = reclaimCurve([{ timeUs: 0, bytes: 0 }, { timeUs: 1_000_000, bytes: 4096 }]);
  assert.equal(spec.layer.length, 1);
  assert.ok((await toSvg(spec)).includes("Disk bytes over time"));
  assert.throws(() => reclaimCurve([{ timeUs: 0, bytes: -1 }]), /reclaimCurve: row 0 has bytes = -1/);
});
