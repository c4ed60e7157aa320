// Proves the store's swarm judges what it runs: the correct store passes every check whatever a
// seed draws, and each planted bug fails a check within a few seeds with no schedule written for
// it (the full detection matrix is `./faultline campaign kv`, see docs/chaos.md).
import assert from "node:assert/strict";
import { kvBugNames } from "../mod.ts";
import { kvSwarmExperiment } from "./swarm.ts";

const failedOn = (bug: string, seed: number) =>
  kvSwarmExperiment.run({ bug }, seed).checks.filter((c) => c.valid === false).map((c) => c.checker);

Deno.test("kv-swarm: the correct store passes every check on seeds 1-4, whatever they drew", () => {
  for (let seed = 1; seed <= 4; seed++) assert.deepEqual(failedOn("none", seed), [], `seed ${seed}`);
});

Deno.test("kv-swarm: every planted bug fails a check within 20 seeds", () => {
  for (const bug of kvBugNames) {
    const caught = Array.from({ length: 20 }, (_, i) => i + 1).find((seed) => failedOn(bug, seed).length > 0);
    assert.ok(caught !== undefined, `${bug} passed seeds 1-20`);
  }
});

Deno.test("kv-swarm: a replica's late answer to a request from before its coordinator's power loss never counts toward a new write", () => {
  // Request ids restarted at 1 in each incarnation: on these seeds (found by `./faultline campaign
  // kv` over 1,000 seeds, each with majority power losses) an answer to an old request matched a
  // new one, and a write was acknowledged on a replica whose copy was not yet durable.
  for (const seed of [295, 488, 614, 683]) assert.deepEqual(failedOn("none", seed), [], `seed ${seed}`);
});
