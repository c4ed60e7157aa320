// The design's claims, one scripted fault at a time. The central one is KIP-101's: two brokers
// (partition 0's leader among them) lose power together and come back; without leader epochs they
// cut their logs back to a stale high watermark and one of them is elected, losing acknowledged
// records; with epochs they keep what they flushed and nothing is lost. Also: an isolated leader
// acknowledges nothing after it is replaced, and unclean election loses acknowledged records.
import assert from "node:assert/strict";
import type { Schedule } from "../../../faults/mod.ts";
import { type HarnessRun, runSystem } from "../../../harness/mod.ts";
import { logEosOptions, logEosParams, logEosWorkload, logSystem } from "./mod.ts";

function scenario(
  faults: Schedule["faults"],
  given: Record<string, string | number | boolean> = {},
  seed = 1,
): HarnessRun {
  const params = logEosParams.resolve({ consumerCrashProbability: 0, ...given });
  return runSystem({
    system: logSystem,
    options: logEosOptions(params),
    workload: logEosWorkload(params),
    schedule: { faults, recoveryUs: 0 },
    phases: { warmupUs: 300_000, durationUs: 2_000_000, recoveryBoundUs: 3_000_000 },
    seed,
  });
}

const failing = (run: HarnessRun) => run.checks.filter((c) => c.valid !== true).map((c) => c.checker);
const lost = (run: HarnessRun) =>
  (run.checks.find((c) => c.checker === "delivery")?.details as { counts: { lost: number } }).counts.lost;

/** Brokers 0 and 1 (partition 0's first two replicas, its leader among them) lose power for 30 ms, four times. */
const powerLossOfTwo: Schedule["faults"] = [400_000, 700_000, 1_000_000, 1_300_000].map((at) => ({
  at,
  fault: { kind: "crash", targets: { nodes: [0, 1] }, unsyncedOnCrash: "lose", durationUs: 30_000 },
}));

Deno.test("log: power: brokers 0 and 1 lose power together, without leader epochs (pre-KIP-101): acknowledged records are lost", () => {
  const run = scenario(powerLossOfTwo, { bug: "truncateToHighWatermark" });
  assert.ok(lost(run) > 0, JSON.stringify(run.checks.map((c) => [c.checker, c.valid, c.message])));
  assert.ok(failing(run).includes("delivery"));
});

Deno.test("log: power: brokers 0 and 1 lose power together, with leader epochs (KIP-101): nothing acknowledged is lost", () => {
  const run = scenario(powerLossOfTwo);
  assert.deepEqual(failing(run), [], JSON.stringify(run.checks.map((c) => [c.checker, c.valid, c.message])));
});

Deno.test("log: network: isolate partition 0's leader for 600 ms (its producers still reach it): a new leader is elected and every check holds", () => {
  const run = scenario([{ at: 500_000, fault: { kind: "isolate", targets: { role: "leader" }, durationUs: 600_000 } }]);
  assert.deepEqual(failing(run), [], JSON.stringify(run.checks.map((c) => [c.checker, c.valid, c.message])));
  assert.ok(run.cluster.figures!().logRecoveries !== undefined);
});

/**
 * Brokers 1 and 2 are cut off long enough to leave the ISR, so broker 0 leads alone (with
 * min.insync.replicas 1) and acknowledges records no one else has; then broker 0 crashes for a
 * second while the other two come back.
 */
const leaderAloneThenGone: Schedule["faults"] = [
  { at: 400_000, fault: { kind: "isolate", targets: { nodes: [1, 2] }, durationUs: 400_000 } },
  { at: 700_000, fault: { kind: "crash", targets: { nodes: [0] }, durationUs: 1_000_000 } },
];

Deno.test("log: unclean leader election makes an out-of-sync replica leader and loses records broker 0 acknowledged alone", () => {
  const run = scenario(leaderAloneThenGone, { minInsyncReplicas: 1, unclean: true });
  assert.ok(lost(run) > 0, JSON.stringify(run.checks.map((c) => [c.checker, c.valid, c.message])));
});

Deno.test("log: without unclean election the same faults lose nothing: the partitions wait offline for broker 0", () => {
  const run = scenario(leaderAloneThenGone, { minInsyncReplicas: 1 });
  assert.deepEqual(failing(run), [], JSON.stringify(run.checks.map((c) => [c.checker, c.valid, c.message])));
});

/** Sums a client metric of a run. */
function total(run: HarnessRun, metric: string): number {
  return run.sim.metrics.series(metric).value.reduce((a, b) => a + b, 0);
}

Deno.test("log: transactional producers restart mid-run: every zombie is fenced and nothing is delivered twice", () => {
  const run = scenario([], { producerRestartProbability: 0.2 });
  assert.ok(total(run, "txn_zombie_fenced") > 0, "no producer restarted");
  assert.equal(total(run, "txn_zombie_committed"), 0);
  assert.deepEqual(failing(run), [], JSON.stringify(run.checks.map((c) => [c.checker, c.valid, c.message])));
});

Deno.test("log: without zombie fencing (planted bug noZombieFencing) a zombie commits work its successor redid: duplicates", () => {
  const run = scenario([], { producerRestartProbability: 0.2, bug: "noZombieFencing" });
  assert.ok(total(run, "txn_zombie_committed") > 0);
  assert.ok(failing(run).includes("delivery"));
});
