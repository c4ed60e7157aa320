// Proves what kv-replication measures is what happened: a durable configuration (N = 3, majority
// quorums) loses no acknowledged write under power losses, nor with one disk lost at a time, and its
// replacement nodes are filled again; N = 1 loses acknowledged writes with a disk, which is a figure
// and not a violation; and the invariant excuses only copies whose disk the kernel really replaced.
import assert from "node:assert/strict";
import { keyValueGenerator, type Phases, runSystem } from "../../../harness/mod.ts";
import type { Simulation } from "../../../sim/mod.ts";
import {
  kvReplicationExperiment,
  kvReplicationOptions,
  kvReplicationParams,
  quorumsOf,
  replicationFactorMax,
} from "./replication.ts";
import { kvSystem } from "./system.ts";

const run = (params: Record<string, unknown>, seed: number) =>
  kvReplicationExperiment.run({ durationUs: 3_000_000, keys: 500, ...params } as never, seed);
const failing = (output: ReturnType<typeof run>) =>
  output.checks.filter((c) => c.valid !== true).map((c) => `${c.checker}: ${c.message}`);

Deno.test("kv-replication: majority quorums are floor(N/2) + 1 for N = 1..5; one and all are 1 and N", () => {
  const majority = Array.from({ length: replicationFactorMax }, (_, i) => quorumsOf(i + 1, "majority").w);
  assert.deepEqual(majority, [1, 2, 2, 3, 3]);
  assert.deepEqual(quorumsOf(4, "one"), { r: 1, w: 1 });
  assert.deepEqual(quorumsOf(4, "all"), { r: 4, w: 4 });
});

Deno.test("kv-replication: N = 3 with majority quorums loses no acknowledged write under power losses (seeds 1-3)", () => {
  for (const seed of [1, 2, 3]) {
    const output = run({ n: 3, quorum: "majority", diskLossEveryUs: 0 }, seed);
    assert.deepEqual(failing(output), [], `seed ${seed}`);
    assert.ok(output.checks.some((c) => c.checker === "lost-session-writes"), "sessions are checked");
    assert.ok((output.figures.powerLosses as number) >= 2, `seed ${seed}: ${output.figures.powerLosses} power losses`);
    assert.ok((output.figures.acknowledgedWrites as number) > 1_000);
    assert.equal(output.figures.lostAcknowledgedWrites, 0, `seed ${seed}`);
  }
});

Deno.test("kv-replication: N = 3, majority, one disk lost at a time (N - W = 1): nothing acknowledged is lost and the replacement is filled again", () => {
  for (const seed of [1, 2]) {
    const output = run({ n: 3, quorum: "majority", durationUs: 4_000_000 }, seed);
    assert.deepEqual(failing(output), [], `seed ${seed}`);
    assert.ok((output.figures.disksLost as number) >= 2, `seed ${seed}: ${output.figures.disksLost} disks lost`);
    assert.equal(output.figures.lostAcknowledgedWrites, 0, `seed ${seed}`);
    // Converged after the heal: every key is back on all N of its home replicas, empty ones included.
    assert.equal(output.figures.copiesPerKey, 3, `seed ${seed}`);
    assert.ok((output.figures.antiEntropyBytes as number) > 0);
  }
});

Deno.test("kv-replication: N = 1 loses acknowledged writes with a lost disk: measured, and no check fails", () => {
  const output = run({ n: 1, keys: 2_000 }, 1);
  assert.deepEqual(failing(output), []);
  assert.equal(output.figures.disksLost, 1);
  const lost = output.figures.lostAcknowledgedWrites as number;
  assert.ok(lost > 0, "the writes held only by the lost disk are gone");
  assert.equal(output.figures.lostAcknowledgedWriteFraction, lost / (output.figures.acknowledgedWrites as number));
  assert.equal(output.figures.copiesPerKey, 1);
});

Deno.test("kv-replication: N = 3, two disks lost at once (beyond N - W): a copy whose answer was in flight when its disk went is measured, not a violation", () => {
  // Seed 1 acknowledges a write on a replica's answer that arrives after that replica's disk was lost.
  const output = run({ n: 3, quorum: "majority", diskLossNodes: 2, durationUs: 4_000_000 }, 1);
  assert.deepEqual(failing(output), []);
  assert.ok((output.figures.disksLost as number) >= 3, `${output.figures.disksLost} disks lost`);
});

Deno.test("kv-replication: storage grows with N, about N copies of every key, and the figures are all there", () => {
  const one = run({ n: 1, diskLossEveryUs: 0, powerLossIntervalUsMean: 0, durationUs: 1_000_000 }, 1);
  const three = run({ n: 3, diskLossEveryUs: 0, powerLossIntervalUsMean: 0, durationUs: 1_000_000 }, 1);
  for (const output of [one, three]) {
    for (
      const name of [
        "availability",
        "getLatencyUsP50",
        "getLatencyUsP99",
        "putLatencyUsP50",
        "putLatencyUsP99",
        "storageBytesPerUserByte",
        "storageBytesPerKey",
        "readRepairs",
        "hintsDelivered",
      ]
    ) {
      assert.equal(typeof output.figures[name], "number", name);
    }
  }
  assert.equal(three.figures.copiesPerKey, 3);
  const ratio = (three.figures.storageBytesPerKey as number) / (one.figures.storageBytesPerKey as number);
  assert.ok(ratio > 2.5 && ratio < 3.5, `N = 3 stores ${ratio} times what N = 1 does per key`);
});

Deno.test("kv-replication: impossible settings are refused, naming what is wrong", () => {
  assert.throws(() => kvReplicationExperiment.validate!({ n: 5, servers: 3 }), /n 5 is above servers 3/);
  assert.throws(
    () => kvReplicationExperiment.validate!({ diskLossNodes: 6, servers: 5 }),
    /diskLossNodes 6 .* servers 5/,
  );
  assert.throws(() => kvReplicationExperiment.validate!({ n: 6 }), /parameter n must be in \[1, 5\], got 6/);
  assert.throws(() => kvReplicationExperiment.validate!({ quorum: "most" }), /one of majority, one, all/);
});

/** Runs N = 1 without faults; at 1 s node 0 crashes and restarts after `wipe` empties its disk. */
function runWiped(wipe: (sim: Simulation, node: number) => void) {
  const params = kvReplicationParams.resolve({ n: 1, keys: 2_000, durationUs: 2_000_000 });
  const phases: Phases = { warmupUs: 300_000, durationUs: params.durationUs, recoveryBoundUs: 2_000_000 };
  return runSystem({
    system: kvSystem,
    options: kvReplicationOptions(params),
    workload: {
      processes: 4,
      thinkTimeUsMean: 2_000,
      generator: keyValueGenerator({ keys: params.keys, readFraction: 0, writeF: "put" }),
      checkers: [],
    },
    schedule: { faults: [], recoveryUs: 0 },
    phases,
    seed: 1,
    probe: (sim) =>
      sim.at(1_000_000, () => {
        sim.crash(0, { unsyncedOnCrash: "lose" });
        wipe(sim, 0);
        sim.restart(0);
      }),
  });
}

Deno.test("acknowledged-copies excuses a copy only when the kernel replaced its disk, not when the node's log vanished by itself", () => {
  const replaced = runWiped((sim, node) => sim.replaceDisk(node));
  const invariant = (r: typeof replaced) => r.checks.find((c) => c.checker === "acknowledged-copies")!;
  assert.equal(invariant(replaced).valid, true, invariant(replaced).message);
  assert.ok(replaced.cluster.acknowledgedWrites().lost > 0, "the replaced disk took acknowledged writes with it");
  // The same loss with no disk replaced (a store that dropped its own log) breaks the invariant.
  const vanished = runWiped((sim, node) => {
    const files = sim.files(node);
    for (const file of files.list()) if (/^(wal|run)-/.test(file)) files.delete(file);
  });
  assert.equal(invariant(vanished).valid, false);
  assert.match(invariant(vanished).message, /its disk holds neither it nor anything newer/);
});
