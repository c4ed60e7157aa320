// Proves the raft-chaos experiment runs through the lab: its figures and checks come back, and
// its schedules put faults where the run can feel them.
import assert from "node:assert/strict";
import { resolveParams } from "../../params.ts";
import { raftChaosExperiment, raftSchedule } from "./lab.ts";

Deno.test("raft-chaos runs with its defaults shortened, touches the cluster with faults and passes its checks", () => {
  const params = resolveParams(raftChaosExperiment.params, { durationUs: 3_000_000, clients: 3 });
  const output = raftChaosExperiment.run(params, 5);
  assert.equal(output.coverage?.vacuous, false);
  assert.deepEqual(output.checks.map((c) => [c.checker, c.valid]), [["election-safety", true], [
    "linearizability (kv)",
    true,
  ]]);
  assert.ok((output.figures.operationsOk as number) > 200);
});

Deno.test("raft-chaos refuses an unknown bug naming the planted ones", () => {
  assert.throws(
    () => resolveParams(raftChaosExperiment.params, { bug: "typo" }),
    /bug must be one of none, ackBeforeFsync, forgetVote, commitPreviousTerm/,
  );
});

Deno.test("schedules end their faults before the recovery period, and 'none' has none", () => {
  assert.deepEqual(raftSchedule("none", 5_000_000).faults, []);
  const power = raftSchedule("power", 5_000_000);
  assert.equal(power.recoveryUs, 1_000_000);
  assert.ok("repeat" in power.faults[0]);
});
