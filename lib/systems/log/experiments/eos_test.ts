// log-eos through the lab's parameters, as a user runs it: the correct system passes every check
// under every fault package, with transactional producers (the default) and without; each planted
// bug is caught by the delivery checker within five seeds of the default mix, a seed replays to
// the same trace, and contradictory parameters are refused.
import assert from "node:assert/strict";
import { resolveParams } from "../../../params.ts";
import { logDeliveryBugNames } from "../mod.ts";
import { logEosExperiment, logEosParams, logFaultPackages } from "./mod.ts";

const seeds = [1, 2, 3, 4, 5];

function failingSeeds(params: Record<string, unknown>): number[] {
  const resolved = resolveParams(logEosExperiment.params, { durationUs: 3_000_000, ...params });
  return seeds.filter((seed) => logEosExperiment.run(resolved, seed).checks.some((c) => c.valid !== true));
}

for (const bug of logDeliveryBugNames) {
  Deno.test(`log-eos bug=${bug} is caught within seeds 1-5 of the default fault mix`, () => {
    const caught = failingSeeds({ bug });
    assert.ok(caught.length > 0, `${bug} was not caught on seeds 1-5`);
  });
}

for (const faults of logFaultPackages) {
  Deno.test(`log-eos faults=${faults}: the correct system passes every check on seeds 1-5`, () => {
    assert.deepEqual(failingSeeds({ faults }), []);
  });
}

Deno.test("log-eos transactional=false (idempotent producers, read_uncommitted): the correct system passes on seeds 1-5", () => {
  assert.deepEqual(failingSeeds({ transactional: false }), []);
});

Deno.test("log-eos rebalance=cooperative: the correct system passes every check on seeds 1-5, and the commit-first bug is caught", () => {
  assert.deepEqual(failingSeeds({ rebalance: "cooperative" }), []);
  assert.ok(failingSeeds({ rebalance: "cooperative", bug: "consumerCommitsBeforeProcessing" }).length > 0);
});

Deno.test("log-eos: consumers leaving and rejoining rebalance the group; cooperative takes fewer partitions away than eager", () => {
  const unownedIntervals = (rebalance: string) => {
    const params = resolveParams(logEosExperiment.params, {
      durationUs: 2_000_000,
      faults: "none",
      consumerCrashProbability: 0,
      rebalance,
    });
    const figures = logEosExperiment.run(params, 1).figures;
    assert.ok((figures.rebalances as number) > 5, `${rebalance}: ${figures.rebalances} rebalances`);
    return figures.partitionsUnowned as number;
  };
  const eager = unownedIntervals("eager"), cooperative = unownedIntervals("cooperative");
  assert.ok(cooperative < eager, `cooperative left partitions unowned ${cooperative} times, eager ${eager}`);
});

Deno.test("log-eos: one seed gives the same trace hash twice", () => {
  const params = resolveParams(logEosExperiment.params, { durationUs: 2_000_000 });
  assert.equal(logEosExperiment.run(params, 7).traceHash, logEosExperiment.run(params, 7).traceHash);
});

Deno.test("log-eos refuses a replication factor above the brokers, and min.insync.replicas above it", () => {
  assert.throws(() => logEosParams.resolve({ servers: 2 }), /replicationFactor 3 is above servers 2/);
  assert.throws(
    () => logEosParams.resolve({ minInsyncReplicas: 3, replicationFactor: 2 }),
    /minInsyncReplicas 3 is above replicationFactor 2/,
  );
});

Deno.test("log-eos rebalance=cooperative seed 4: a cluster that transactional clients write to without pause converges after the heal", () => {
  const params = resolveParams(logEosExperiment.params, { rebalance: "cooperative" });
  const liveness = logEosExperiment.run(params, 4).checks.find((c) => c.checker === "liveness")!;
  assert.equal(liveness.valid, true, liveness.message);
});
