// Proves kv-tombstones judges no-resurrected-deletes only when the node is back within gc_grace,
// passes it then with the correct store, shows Cassandra's resurrection after a longer outage (and
// after a short one with the planted bug), and reports the reclaim over time as a table and a chart.
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

Deno.test("kv-tombstones: down longer than gc_grace, the deletes it missed are undone once the others collect them (measured, not judged)", () => {
  for (const seed of [1, 2]) {
    const output = kvTombstonesExperiment.run(
      { durationUs: 4_000_000, downAtUs: 1_000_000, downtimeUs: 2_000_000 },
      seed,
    );
    assert.ok(!output.checks.some((c) => c.checker === "no-resurrected-deletes"));
    assert.ok(Number(output.figures.resurrectedKeys) > 0, `seed ${seed}: ${output.figures.resurrectedKeys}`);
    // Seed 2 has the rejoining node hand over an older tombstone after the newer one was collected.
    assert.deepEqual(
      output.checks.filter((c) => c.valid !== true),
      [],
      `seed ${seed}: ${JSON.stringify(output.checks)}`,
    );
  }
});

Deno.test("kv-tombstones: with tombstonesBeforeSeen a short outage resurrects deleted values too, and the check catches it", () => {
  const caught = [1, 2].some((seed) =>
    kvTombstonesExperiment.run({
      durationUs: 4_000_000,
      downAtUs: 1_000_000,
      downtimeUs: 500_000,
      bug: "tombstonesBeforeSeen",
    }, seed)
      .checks.some((c) => c.checker === "no-resurrected-deletes" && c.valid === false)
  );
  assert.ok(caught);
});
