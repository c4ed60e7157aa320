// Proves the key-value store on Raft stays linearizable, with one leader per term, across hundreds
// of seeds of short runs under combined faults: crashes that lose unsynced writes, leader
// isolation, partitions, pauses, clock drift (skew in rate: servers time out on monotonic clocks,
// so a wall-clock offset means nothing to them) and disk stalls. Each seed draws its own fault
// times and targets, so the campaign covers far more interleavings than any scripted test.
import assert from "node:assert/strict";
import { runRaftCluster } from "./cluster.ts";
import { raftSchedule } from "./lab.ts";

const durationUs = 2_500_000;
const schedule = raftSchedule("combined", durationUs);

for (const [from, to] of [[1, 100], [101, 200], [201, 300]]) {
  Deno.test(`raft: linearizable with one leader per term under combined faults, seeds ${from}-${to}`, () => {
    const kinds = new Set<string>();
    for (let seed = from; seed <= to; seed++) {
      const run = runRaftCluster({ servers: 5, clients: 4, durationUs, bug: "none", schedule }, seed);
      for (const check of run.checks) assert.equal(check.valid, true, `seed ${seed}: ${check.message}`);
      assert.ok(run.figures.operationsOk > 100, `seed ${seed}: only ${run.figures.operationsOk} operations`);
      for (const fault of run.coverage.faults) if (fault.touched) kinds.add(fault.kind);
    }
    // The campaign is not vacuous: every kind in the schedule struck something in these seeds.
    assert.deepEqual([...kinds].sort(), [
      "clock-drift",
      "crash",
      "disk-stall",
      "isolate",
      "partition-halves",
      "pause",
    ]);
  });
}
