// Proves shrinking works on a real failure: a raft-swarm run that a planted bug makes fail is
// simplified to a fixture no larger in any dimension that still fails the same check, the same
// way every time; a passing run, or a check the run does not fail, is refused before any variant.
import assert from "node:assert/strict";
import { drawSwarm, fixtureSize, runFixture, shrinkFixture, type SwarmFixture } from "../../../harness/mod.ts";
import { raftSwarmExperiment } from "./swarm.ts";

const fixtureOf = (bug: string, seed: number): SwarmFixture => ({
  experiment: "raft-swarm",
  seed,
  params: { bug },
  draw: drawSwarm(raftSwarmExperiment.swarm!.space, seed),
});
const check = "linearizability (kv)";

Deno.test("shrink: staleLeaderReads on seed 1 shrinks to a smaller fixture that still fails linearizability", () => {
  const original = fixtureOf("staleLeaderReads", 1);
  const result = shrinkFixture(raftSwarmExperiment, original, { checks: [check], attemptsMax: 14 });
  const before = fixtureSize(raftSwarmExperiment, original);
  const after = fixtureSize(raftSwarmExperiment, result.minimal);
  assert.ok(result.steps.length > 0 && result.attempts <= 14);
  assert.ok(after.packages < before.packages, `${after.packages} packages, was ${before.packages}`);
  assert.ok(result.minimal.draw.packages.every((p) => original.draw.packages.includes(p)));
  assert.ok(after.meanIntervalUs >= before.meanIntervalUs);
  assert.ok(after.durationUs! <= before.durationUs!);
  for (const [knob, index] of Object.entries(after.knobIndex)) assert.ok(index <= before.knobIndex[knob], knob);
  assert.equal(result.minimal.seed, original.seed, "the seed is never changed");
  // The minimal fixture is a repro on its own, and records what it showed.
  const rerun = runFixture(raftSwarmExperiment, result.minimal);
  assert.equal(rerun.checks.find((c) => c.checker === check)?.valid, false);
  assert.equal(rerun.traceHash, result.minimal.expected?.traceHash);
  // Deterministic: the same fixture and budget take the same steps.
  const again = shrinkFixture(raftSwarmExperiment, original, { checks: [check], attemptsMax: 14 });
  assert.deepEqual(again.steps, result.steps);
});

Deno.test("shrink: a passing run is refused, and so is a check the run does not fail", () => {
  assert.throws(
    () => shrinkFixture(raftSwarmExperiment, fixtureOf("none", 2)),
    /passes every check; shrinking needs a run that fails one/,
  );
  assert.throws(
    () => shrinkFixture(raftSwarmExperiment, fixtureOf("staleLeaderReads", 1), { checks: ["liveness"] }),
    /does not fail liveness; it fails linearizability \(kv\)/,
  );
  assert.throws(() => shrinkFixture(raftSwarmExperiment, fixtureOf("none", 2), { attemptsMax: -1 }), /budget/);
});
