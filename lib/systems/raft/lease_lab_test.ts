// Proves what leader leases promise and where the promise ends (§6.4.1 of Ongaro's thesis): while
// clocks drift apart by less than the lease's allowance, lease reads are served locally and stay
// linearizable; beyond it a deposed leader answers stale reads, which ReadIndex never does; and the
// planted bug leaseIgnoresClockSkew is caught at a drift the correct lease survives.
import assert from "node:assert/strict";
import { resolveParams } from "../../params.ts";
import { raftLeaseExperiment } from "./lease_lab.ts";

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
