// Proves what leader leases promise and where the promise ends (§6.4.1 of Ongaro's thesis): while
// clocks drift apart by less than the lease's allowance, lease reads are served locally and stay
// linearizable; beyond it a deposed leader answers stale reads, which ReadIndex never does; the
// planted bug leaseIgnoresClockSkew is caught at a drift the correct lease survives; and the skew
// schedule fits its rounds to the run, ending with about a quiet second and never past the run.
import assert from "node:assert/strict";
import { compileSchedule } from "../../../faults/mod.ts";
import { resolveParams } from "../../../params.ts";
import { Rng } from "../../../sim/mod.ts";
import { raftLeaseExperiment, skewSchedule } from "./lease_lab.ts";

const seeds = [1, 2, 3, 4, 5, 6];

function campaign(params: Record<string, unknown>) {
  const resolved = resolveParams(raftLeaseExperiment.params, { durationUs: 4_000_000, ...params });
  const caught: number[] = [];
  let leaseReads = 0;
  for (const seed of seeds) {
    const output = raftLeaseExperiment.run(resolved, seed);
    assert.equal(output.coverage?.vacuous, false, `seed ${seed}: the faults touched nothing`);
    assert.ok(
      output.checks.find((c) => c.checker === "election-safety")?.valid,
      `seed ${seed}: two leaders in a term`,
    );
    if (output.checks.some((c) => c.valid === false)) caught.push(seed);
    leaseReads += output.figures.leaseReads as number;
  }
  return { caught, leaseReads };
}

Deno.test("raft-lease: with drift inside the 10% allowance, reads are served under the lease and stay linearizable", () => {
  const { caught, leaseReads } = campaign({ readMode: "lease", driftPpm: 50_000 });
  assert.deepEqual(caught, []);
  assert.ok(leaseReads > 1000, `only ${leaseReads} reads were served under the lease`);
});

Deno.test("raft-lease: with drift beyond the allowance, lease reads go stale while ReadIndex stays linearizable", () => {
  const lease = campaign({ readMode: "lease", driftPpm: 200_000 });
  assert.ok(lease.caught.length > 0, "no stale lease read was seen in 6 seeds at 20% drift");
  const readIndex = campaign({ readMode: "readIndex", driftPpm: 200_000 });
  assert.deepEqual(readIndex.caught, []);
  assert.equal(readIndex.leaseReads, 0);
});

Deno.test("raft-lease: planted bug leaseIgnoresClockSkew is caught at 8% drift, which the correct lease survives", () => {
  const buggy = campaign({ readMode: "lease", driftPpm: 80_000, bug: "leaseIgnoresClockSkew" });
  assert.ok(buggy.caught.length > 0, "the linearizability checker never caught the skew-blind lease");
  assert.deepEqual(campaign({ readMode: "lease", driftPpm: 80_000 }).caught, []);
});

Deno.test("skewSchedule() fits whole rounds into the run, leaves about a quiet second, and never runs past it", () => {
  for (const durationUs of [1_500_000, 2_200_000, 2_500_000, 4_000_000, 6_000_000, 6_400_000, 10_000_000]) {
    const compiled = compileSchedule(skewSchedule(80_000, durationUs), Rng.fromSeed(1), 5);
    const isolations = compiled.faults.filter((f) => f.fault.kind === "isolate");
    const quietUs = durationUs - compiled.healAtUs;
    assert.equal(compiled.endUs, durationUs, `${durationUs} us: the schedule ends at ${compiled.endUs} us`);
    assert.ok(quietUs >= 500_000 && quietUs < 1_500_000, `${durationUs} us: ${quietUs} us quiet at the end`);
    // A round a second from 300 ms, each healed 700 ms after it starts.
    assert.equal(compiled.healAtUs, isolations.length * 1_000_000);
  }
  // Six seconds hold five rounds and a quiet second; one and a half, one round and half a second.
  assert.equal(compileSchedule(skewSchedule(80_000, 6_000_000), Rng.fromSeed(1), 5).healAtUs, 5_000_000);
  assert.equal(compileSchedule(skewSchedule(80_000, 1_500_000), Rng.fromSeed(1), 5).healAtUs, 1_000_000);
  // Too short for a round and its recovery: no faults, as the other named schedules.
  assert.deepEqual(skewSchedule(80_000, 1_000_000), { faults: [], recoveryUs: 0 });
});

Deno.test("raft-lease: the shortest run (1.5 s) ends on time, with its one round of skew and isolation", () => {
  const output = raftLeaseExperiment.run(resolveParams(raftLeaseExperiment.params, { durationUs: 1_500_000 }), 1);
  const events = output.history.events;
  assert.ok(events.at(-1)!.time <= 1_500_000, `the run went on to ${events.at(-1)!.time} us`);
  const faults = events.filter((op) => op.process === "nemesis");
  assert.ok(faults.some((op) => op.f === "isolate"), "the leader was never cut off");
  assert.equal(output.coverage?.vacuous, false);
});
