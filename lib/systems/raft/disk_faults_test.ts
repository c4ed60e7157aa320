// Proves that a failing disk takes down only the server it strikes, never the simulation: a server
// whose WAL write fails on a full disk fail-stops (no apply, snapshot or compaction after it) and its
// supervisor restarts it to recover from what is durable; a server whose WAL was damaged refuses to
// start and stays down, counted in the run's figures, while the others go on.
import assert from "node:assert/strict";
import type { Schedule } from "../../faults/mod.ts";
import { runRaftCluster } from "./experiments/mod.ts";
import { WalCorruptionError } from "./wal/mod.ts";

const diskFull: Schedule = {
  faults: [{ at: 400_000, fault: { kind: "disk-full", targets: { random: "one" }, durationUs: 200_000 } }],
  recoveryUs: 500_000,
};

Deno.test("raft: a 200 ms full disk fail-stops the server it strikes, which restarts and catches up (seeds 1-6)", () => {
  let failStops = 0;
  for (let seed = 1; seed <= 6; seed++) {
    // Snapshots every 100 entries: the struck server would otherwise compact its WAL over the hole.
    const run = runRaftCluster(
      { servers: 3, clients: 8, durationUs: 1_500_000, bug: "none", schedule: diskFull, snapshotEveryEntries: 100 },
      seed,
    );
    for (const check of run.checks) assert.equal(check.valid, true, `seed ${seed}: ${check.checker}: ${check.message}`);
    // Every server is back and applying: the struck one did not stay silent to the end.
    const applied = run.servers.map((s) => run.instance(s)?.applied ?? 0);
    assert.ok(Math.min(...applied) > Math.max(...applied) - 100, `seed ${seed}: applied ${applied.join(", ")}`);
    failStops += run.figures.walFailStops;
    assert.equal(run.figures.serversRefusedToStart, 0, `seed ${seed}`);
  }
  assert.ok(failStops > 0, "no WAL write failed: the schedule proved nothing");
});

Deno.test("raft: a bit flip in the middle of one server's WAL keeps that server down after a restart; the cluster goes on", () => {
  const schedule: Schedule = {
    faults: [
      { at: 400_000, fault: { kind: "bitflip", targets: { nodes: ["n1"] }, file: "wal", fromByte: 0, toByte: 64 } },
      { at: 450_000, fault: { kind: "restart", targets: { nodes: ["n1"] } } },
    ],
    recoveryUs: 500_000,
  };
  const run = runRaftCluster({ servers: 3, clients: 4, durationUs: 1_500_000, bug: "none", schedule }, 1);
  assert.equal(run.figures.serversRefusedToStart, 1);
  assert.ok(run.instance(run.servers[1])!.refusedToStart instanceof WalCorruptionError);
  for (const check of run.checks) assert.equal(check.valid, true, `${check.checker}: ${check.message}`);
  assert.ok(run.figures.operationsOk > 100, `only ${run.figures.operationsOk} operations`);
});
