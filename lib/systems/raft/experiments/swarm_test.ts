// Proves the Raft swarm judges what it runs: with every bug off its runs pass every check, a run
// is the same to the byte for a seed, and planted bugs with no schedule written for them are found
// within a few seeds (the full detection matrix is `./faultline campaign raft`, see docs/chaos.md).
import assert from "node:assert/strict";
import { drawSwarm } from "../../../harness/mod.ts";
import { raftSwarmExperiment } from "./swarm.ts";

const failedOn = (bug: string, seed: number) =>
  raftSwarmExperiment.run({ bug }, seed).checks.filter((c) => c.valid === false).map((c) => c.checker);

Deno.test("raft-swarm: the correct server passes every check on seeds 1-8, whatever they drew", () => {
  for (let seed = 1; seed <= 8; seed++) assert.deepEqual(failedOn("none", seed), [], `seed ${seed}`);
});

Deno.test("raft-swarm: a seed gives the same draw and the same run", () => {
  const a = raftSwarmExperiment.run({ bug: "none" }, 5);
  const b = raftSwarmExperiment.run({ bug: "none" }, 5);
  assert.equal(a.traceHash, b.traceHash);
  assert.equal(a.figures.swarm, b.figures.swarm);
  assert.notEqual(a.figures.swarm, raftSwarmExperiment.run({ bug: "none" }, 6).figures.swarm);
});

for (const [bug, seedsMax] of [["ackBeforeFsync", 10], ["staleLeaderReads", 3]] as const) {
  Deno.test(`raft-swarm: planted bug ${bug} fails a check within ${seedsMax} seeds`, () => {
    const caught = Array.from({ length: seedsMax }, (_, i) => i + 1).find((seed) => failedOn(bug, seed).length > 0);
    assert.ok(caught !== undefined, `${bug} passed seeds 1-${seedsMax}`);
  });
}

Deno.test("raft-swarm: a run given its seed's draw is the run of that seed, to the trace hash, traced or not", () => {
  const swarm = raftSwarmExperiment.swarm!;
  const byDraw = swarm.run({ bug: "staleLeaderReads" }, 2, drawSwarm(swarm.space, 2), { trace: true });
  assert.equal(byDraw.traceHash, raftSwarmExperiment.run({ bug: "staleLeaderReads" }, 2).traceHash);
  assert.ok(byDraw.trace !== undefined && byDraw.trace.events.length > 0 && !byDraw.trace.truncated);
  assert.deepEqual(byDraw.trace.nodeNames.slice(0, 2), ["n0", "n1"]);
});

Deno.test("raft-swarm: another draw on the same seed is another run, and a draw the space cannot make is refused", () => {
  const swarm = raftSwarmExperiment.swarm!;
  const draw = drawSwarm(swarm.space, 2);
  const simpler = { ...draw, packages: draw.packages.slice(0, 1) };
  assert.notEqual(swarm.run({}, 2, simpler).traceHash, swarm.run({}, 2, draw).traceHash);
  assert.throws(() => swarm.run({}, 2, { ...draw, packages: ["meteors"] }), /unknown package "meteors"/);
  assert.throws(
    () => swarm.run({}, 2, { ...draw, knobs: { ...draw.knobs, servers: 4 } }),
    /knobs.servers must be one of 3, 5/,
  );
});
