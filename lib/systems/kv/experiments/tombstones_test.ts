// Proves kv-tombstones judges no-resurrected-deletes only when the node is back within gc_grace,
// passes it then with the correct store, and reports the reclaim over time as a table and a chart.
import assert from "node:assert/strict";
import { kvTombstonesExperiment } from "./tombstones.ts";

Deno.test("kv-tombstones: a node down shorter than gc_grace resurrects nothing; tombstones are collected and bytes reclaimed", () => {
  const output = kvTombstonesExperiment.run({ durationUs: 3_000_000, downAtUs: 1_000_000, downtimeUs: 500_000 }, 1);
  assert.deepEqual(output.checks.filter((c) => c.valid !== true), [], JSON.stringify(output.checks));
  assert.ok(output.checks.some((c) => c.checker === "no-resurrected-deletes"), "the check is judged");
  assert.equal(output.figures.resurrectedKeys, 0);
  assert.ok(Number(output.figures.recordsCollected) > 0, "compaction collected tombstones");
  assert.ok(Number(output.figures.bytesReclaimed) > 0);
  assert.ok(output.tables.reclaim.length > 0 && output.charts?.reclaim !== undefined);
});

Deno.test("kv-tombstones: down longer than gc_grace, resurrection is measured, not judged", () => {
  const output = kvTombstonesExperiment.run({ durationUs: 2_000_000, downAtUs: 500_000, downtimeUs: 1_500_000 }, 1);
  assert.ok(!output.checks.some((c) => c.checker === "no-resurrected-deletes"));
  assert.equal(typeof output.figures.resurrectedKeys, "number");
});
