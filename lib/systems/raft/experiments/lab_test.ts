// Proves the raft-chaos experiment runs through the lab: its figures and checks come back, and
// its schedules put faults where the run can feel them.
import assert from "node:assert/strict";
import { raftInvariantNames } from "../mod.ts";
import { resolveParams } from "../../../params.ts";
import { raftChaosExperiment, raftSchedule } from "./lab.ts";
import { packageSchedule, runSystem, standardFaultPackageNames, standardFaultPackages } from "../../../harness/mod.ts";
import { raftSystem } from "./system.ts";
import { raftWorkload } from "./workload.ts";

Deno.test("raft-chaos runs with its defaults shortened, touches the cluster with faults and passes its checks", () => {
  const params = resolveParams(raftChaosExperiment.params, { durationUs: 3_000_000, clients: 3 });
  const output = raftChaosExperiment.run(params, 5);
  assert.equal(output.coverage?.vacuous, false);
  assert.deepEqual(output.checks.map((c) => [c.checker, c.valid]), [
    ...raftInvariantNames.map((name) => [name, true]),
    ["liveness", true],
    ["linearizability (kv)", true],
    ["lost-committed-writes", true],
  ]);
  assert.ok((output.figures.operationsOk as number) > 200);
});

Deno.test("raft-chaos: an append in flight when the clients stop is in the final read (storage faults, reconfiguring, seed 2)", () => {
  // 30 clients keep appends in flight at the end of the run; a final read once began while an append
  // was in flight and was ordered before it, so the append, acknowledged after, looked lost.
  const params = resolveParams(raftChaosExperiment.params, {
    servers: 3,
    clients: 30,
    readMode: "log",
    snapshotEveryEntries: 100,
    faults: "storage",
    membership: true,
    transfers: true,
    durationUs: 3_000_000,
  });
  const output = raftChaosExperiment.run(params, 2);
  for (const check of output.checks) assert.equal(check.valid, true, `${check.checker}: ${check.message}`);
  // The final reads start only once every operation the clients began has ended.
  const events = output.history.events;
  const finalRead = events.find((op) => op.process === 900_000_000 && op.type === "invoke");
  assert.ok(finalRead !== undefined);
  const open = new Map<unknown, number>();
  let lastEndUs = 0;
  for (const op of events) {
    if (op.process === "nemesis" || op.process === 900_000_000) continue;
    if (op.type === "invoke") open.set(op.process, op.time);
    else if (open.delete(op.process)) lastEndUs = Math.max(lastEndUs, op.time);
  }
  assert.ok(lastEndUs <= finalRead.time, `an operation ended at ${lastEndUs} us, after the final read began`);
});

Deno.test("raft-chaos with 30 clients ends its linearizability check with a verdict, not unknown", () => {
  // Each key's appends and reads are judged by append order: the search once ran out of budget
  // here (about 37 million steps and a minute, for one simulated second).
  const params = resolveParams(raftChaosExperiment.params, { durationUs: 1_000_000, clients: 30, bug: "none" });
  const output = raftChaosExperiment.run(params, 1);
  const check = output.checks.find((c) => c.checker === "linearizability (kv)");
  assert.equal(check?.valid, true, check?.message);
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

Deno.test("raft: every standard fault package of the harness, aimed at the leader: the correct cluster passes every check", () => {
  const packages = standardFaultPackages({ focus: "leader" });
  for (const name of standardFaultPackageNames) {
    const run = runSystem({
      system: raftSystem,
      options: { servers: 3, bug: "none" },
      workload: raftWorkload({ clients: 3, keys: 3, lostWritesFrom: "final" }),
      schedule: packageSchedule([packages[name]], { durationUs: 3_000_000, recoveryUs: 1_500_000 }),
      phases: { warmupUs: 300_000, durationUs: 3_000_000, recoveryBoundUs: 1_500_000 },
      seed: 2,
    });
    const failed = run.checks.filter((c) => c.valid !== true);
    assert.deepEqual(failed, [], `${name}: ${JSON.stringify(failed)}`);
    assert.ok(run.coverage.faultsTouched > 0, `${name}: no fault touched the cluster`);
  }
});
