// Proves the key-value store on Raft stays linearizable, with one leader per term, across hundreds
// of seeds of short runs under combined faults: crashes that lose unsynced writes, leader
// isolation, partitions, pauses, clock drift (skew in rate: servers time out on monotonic clocks,
// so a wall-clock offset means nothing to them) and disk stalls. Each seed draws its own fault
// times and targets, so the campaign covers far more interleavings than any scripted test.
import assert from "node:assert/strict";
import { runRaftCluster } from "./experiments/mod.ts";
import { raftSchedule } from "./experiments/mod.ts";

const durationUs = 2_500_000;
const schedule = raftSchedule("combined", durationUs);

/** The third hundred also reconfigures while the faults strike: transfers and membership changes. */
const reconfiguring = {
  spares: 1,
  membershipChanges: [
    { atUs: 600_000, change: "add" as const, server: 5 },
    { atUs: 1_200_000, change: "remove" as const, server: 0 },
  ],
  transfers: [{ atUs: 900_000, target: -1 }, { atUs: 1_600_000, target: -1 }],
};

for (const [from, to] of [[1, 100], [101, 200], [201, 300]]) {
  const extra = from > 200 ? reconfiguring : {};
  const what = from > 200 ? ", with leadership transfers and membership changes" : "";
  Deno.test(`raft: linearizable with one leader per term under combined faults${what}, seeds ${from}-${to}`, () => {
    const kinds = new Set<string>();
    let promoted = 0;
    let transferred = 0;
    for (let seed = from; seed <= to; seed++) {
      const run = runRaftCluster({ servers: 5, clients: 4, durationUs, bug: "none", schedule, ...extra }, seed);
      for (const check of run.checks) assert.equal(check.valid, true, `seed ${seed}: ${check.message}`);
      assert.ok(run.figures.operationsOk > 100, `seed ${seed}: only ${run.figures.operationsOk} operations`);
      for (const fault of run.coverage.faults) if (fault.touched) kinds.add(fault.kind);
      if (run.sim.metrics.count("raft_membership_promote") > 0) promoted++;
      if (run.sim.metrics.count("raft_transfer_started") > 0) transferred++;
    }
    if (from > 200) {
      // Not vacuous either: most seeds really reconfigured under the faults.
      assert.ok(promoted > 50 && transferred > 50, `promoted in ${promoted} seeds, transferred in ${transferred}`);
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
