// The planted-bug matrix, run through the lab as a user would: `raft-chaos` with `bug` set, under
// the fault schedule that exposes it, catches each bug within ten seeds, and with all bugs off the
// same campaign finds nothing. Three bugs need an exact interleaving no random schedule hits in a
// bounded number of seeds; their scripted schedules live beside the code they test:
// forgetVote in vote_test.ts, truncateBeforeSnapshotDurable in snapshot_order_test.ts and
// commitPreviousTerm (the paper's Figure 8) in figure8_test.ts.
import assert from "node:assert/strict";
import { resolveParams } from "../../../params.ts";
import { raftChaosExperiment } from "./lab.ts";

const seeds = Array.from({ length: 10 }, (_, i) => i + 1);

/** The seeds on which a checker failed. */
function campaign(params: Record<string, unknown>): number[] {
  const resolved = resolveParams(raftChaosExperiment.params, { durationUs: 4_000_000, clients: 6, ...params });
  return seeds.filter((seed) => {
    const output = raftChaosExperiment.run(resolved, seed);
    assert.equal(output.coverage?.vacuous, false, `seed ${seed}: the faults touched nothing`);
    return output.checks.some((c) => c.valid === false);
  });
}

const matrix: { bug: string; params: Record<string, unknown>; why: string }[] = [
  {
    bug: "ackBeforeFsync",
    params: { faults: "power" },
    why: "majority power failures lose writes a majority acknowledged but never made durable",
  },
  {
    bug: "staleLeaderReads",
    params: { faults: "skew" },
    why: "a leader cut off from the other servers keeps answering its readers after a successor wrote",
  },
  {
    bug: "leaseIgnoresClockSkew",
    params: { faults: "skew", readMode: "lease" },
    why: "8% drift outlasts a lease that allows for none, though it is within the correct lease's 10%",
  },
];

for (const { bug, params, why } of matrix) {
  Deno.test(`raft-chaos bug=${bug} (${JSON.stringify(params)}) is caught within 10 seeds; without it nothing is: ${why}`, () => {
    const caught = campaign({ ...params, bug });
    assert.ok(caught.length > 0, `${bug} was not caught on seeds 1-10`);
    assert.deepEqual(campaign({ ...params, bug: "none" }), [], "the correct server failed the same campaign");
  });
}
