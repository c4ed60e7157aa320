// Proves the Raft cluster elects one leader per term, commits client operations, recovers its log
// from the WAL after a crash, and keeps the key-value store linearizable under combined faults
// (crashes, leader isolation, partitions, pauses, clock drift, disk stalls) across seeds.
import assert from "node:assert/strict";
import type { Schedule } from "../../faults/mod.ts";
import { runRaftCluster } from "./experiments/mod.ts";
import { raftSchedule } from "./experiments/mod.ts";

const quiet: Schedule = { faults: [], recoveryUs: 0 };

Deno.test("raft: a quiet five-server cluster elects one leader and commits every client operation", () => {
  const run = runRaftCluster({ servers: 5, clients: 3, durationUs: 1_500_000, bug: "none", schedule: quiet }, 1);
  assert.equal(run.leadersByTerm.size, 1, "one election, no churn");
  assert.ok(run.figures.operationsOk > 500);
  assert.equal(run.figures.operationsInfo, 0);
  for (const check of run.checks) assert.equal(check.valid, true, check.message);
});

Deno.test("raft: after the leader is isolated, a new leader of a higher term takes over and commits", () => {
  const schedule: Schedule = {
    faults: [{ at: 600_000, fault: { kind: "isolate", targets: { role: "leader" }, durationUs: 1_000_000 } }],
    recoveryUs: 800_000,
  };
  const run = runRaftCluster({ servers: 5, clients: 3, durationUs: 2_400_000, bug: "none", schedule }, 2);
  assert.ok(run.leadersByTerm.size >= 2, "a second leader was elected");
  assert.equal(run.coverage.faults[0].leaderCutFromMajority, true);
  const during = run.sim.history.events.filter((op) => op.type === "ok" && op.time > 1_000_000 && op.time < 1_600_000);
  assert.ok(during.length > 50, `service resumed during the isolation (${during.length} operations)`);
  for (const check of run.checks) assert.equal(check.valid, true, check.message);
});

Deno.test("raft: a restarted server recovers its log from the WAL and catches up", () => {
  const schedule: Schedule = {
    faults: [{
      at: 800_000,
      fault: { kind: "crash", targets: { nodes: ["n3"] }, unsyncedOnCrash: "lose", durationUs: 500_000 },
    }],
    recoveryUs: 700_000,
  };
  const run = runRaftCluster({ servers: 5, clients: 3, durationUs: 2_000_000, bug: "none", schedule }, 3);
  const recovered = run.sim.metrics.series("raft_recovered_entries");
  const atRestart = [...recovered.value].filter((_, i) =>
    recovered.node[i] === run.servers[3] && recovered.timeUs[i] > 0
  );
  assert.ok(atRestart.length === 1 && atRestart[0] > 100, `n3 recovered ${atRestart} entries from its WAL`);
  for (const check of run.checks) assert.equal(check.valid, true, check.message);
});

Deno.test("raft: planted bug ackBeforeFsync loses acknowledged appends under power failures, within 20 seeds; without it none do", () => {
  const caught: number[] = [];
  for (let seed = 1; seed <= 20; seed++) {
    const options = { servers: 5, clients: 5, durationUs: 4_000_000, schedule: raftSchedule("power", 4_000_000) };
    const buggy = runRaftCluster({ ...options, bug: "ackBeforeFsync" }, seed);
    if (buggy.checks.some((c) => c.valid === false)) caught.push(seed);
    const correct = runRaftCluster({ ...options, bug: "none" }, seed);
    for (const check of correct.checks) {
      assert.equal(check.valid, true, `seed ${seed} without the bug: ${check.message}`);
    }
  }
  assert.ok(caught.length > 0, "the linearizability checker never caught ack-before-fsync");
});

Deno.test("raft: a follower cut off past the compacted log catches up through InstallSnapshot", () => {
  const schedule: Schedule = {
    faults: [{ at: 300_000, fault: { kind: "isolate", targets: { nodes: ["n4"] }, durationUs: 2_500_000 } }],
    recoveryUs: 1_500_000,
  };
  const run = runRaftCluster(
    { servers: 5, clients: 5, durationUs: 4_500_000, bug: "none", schedule, snapshotEveryEntries: 200 },
    4,
  );
  assert.ok(run.sim.metrics.series("raft_snapshots_sent").value.length > 0, "the leader sent a snapshot");
  const installed = run.sim.metrics.series("raft_snapshot_index");
  assert.ok([...installed.node].includes(run.servers[4]), "n4 made a snapshot durable");
  for (const check of run.checks) assert.equal(check.valid, true, check.message);
});

Deno.test("raft: InstallSnapshot goes in chunks, survives lost chunks, and the follower installs only the whole snapshot", () => {
  const schedule: Schedule = {
    faults: [
      { at: 300_000, fault: { kind: "isolate", targets: { nodes: ["n4"] }, durationUs: 2_000_000 } },
      {
        at: 2_300_000,
        fault: { kind: "link-degrade", targets: { nodes: ["n4"] }, lossProbability: 0.3, durationUs: 1_000_000 },
      },
    ],
    recoveryUs: 1_000_000,
  };
  const run = runRaftCluster(
    {
      servers: 5,
      clients: 5,
      durationUs: 4_500_000,
      bug: "none",
      schedule,
      snapshotEveryEntries: 200,
      snapshotChunkBytes: 256,
    },
    4,
  );
  const n4 = run.servers[4];
  const chunks = run.sim.metrics.rows("raft_snapshot_chunk_bytes").filter((r) => r.node === n4);
  assert.ok(chunks.length > 5, `n4 wrote ${chunks.length} chunks`);
  assert.ok(chunks.every((r) => r.value <= 256));
  assert.equal(run.coverage.faults[1].touched, true, "the lossy link dropped messages");
  const installed = run.sim.metrics.rows("raft_snapshot_index").filter((r) => r.node === n4);
  assert.ok(installed.length > 0, "n4 published a snapshot");
  // Caught up: by the end n4 has applied everything the leader committed a moment before.
  const leader = run.servers.map((s) => run.instance(s)!).find((s) => s.role === "leader")!;
  assert.ok(
    run.instance(n4)!.applied >= leader.commit - 50,
    `n4 applied ${run.instance(n4)!.applied} of ${leader.commit}`,
  );
  for (const check of run.checks) assert.equal(check.valid, true, check.message);
});

Deno.test("raft: servers recover from their snapshot plus the WAL after power failures, and stay linearizable", () => {
  for (let seed = 1; seed <= 4; seed++) {
    const run = runRaftCluster(
      {
        servers: 5,
        clients: 5,
        durationUs: 4_000_000,
        bug: "none",
        schedule: raftSchedule("power", 4_000_000),
        snapshotEveryEntries: 100,
      },
      seed,
    );
    assert.ok(
      run.sim.metrics.series("raft_recovered_snapshot_index").value.length > 0,
      `seed ${seed}: no recovery used a snapshot`,
    );
    for (const check of run.checks) assert.equal(check.valid, true, `seed ${seed}: ${check.message}`);
  }
});

Deno.test("raft: a byte cadence snapshots when the WAL reaches its size, and keeps the WAL near it", () => {
  const options = { servers: 3, clients: 5, durationUs: 2_000_000, bug: "none", schedule: quiet };
  const byBytes = runRaftCluster({ ...options, snapshotEveryEntries: 0, snapshotEveryWalBytes: 20_000 }, 5);
  const never = runRaftCluster({ ...options, snapshotEveryEntries: 0 }, 5);
  assert.ok(byBytes.sim.metrics.rows("raft_snapshot_index").length > 3, "snapshots were taken");
  assert.equal(never.sim.metrics.rows("raft_snapshot_index").length, 0);
  const walAfterCompaction = byBytes.sim.metrics.rows("raft_wal_bytes").map((r) => r.value);
  assert.ok(walAfterCompaction.every((bytes) => bytes < 20_000), `WAL after compaction: ${walAfterCompaction}`);
  for (const check of byBytes.checks) assert.equal(check.valid, true, check.message);
});

Deno.test("raft: ReadIndex serves reads without writing them to the log, and stays linearizable", () => {
  const options = { servers: 5, clients: 5, durationUs: 1_500_000, bug: "none", schedule: quiet };
  const byLog = runRaftCluster({ ...options, readMode: "log" }, 6);
  const byReadIndex = runRaftCluster({ ...options, readMode: "readIndex" }, 6);
  // Through the log every operation is an entry; by ReadIndex only writes (about half) are.
  assert.ok(byLog.figures.commitIndexMax >= byLog.figures.operationsOk);
  assert.ok(
    byReadIndex.figures.commitIndexMax < 0.7 * byReadIndex.figures.operationsOk,
    `${byReadIndex.figures.commitIndexMax} entries for ${byReadIndex.figures.operationsOk} operations`,
  );
  for (const run of [byLog, byReadIndex]) {
    for (const check of run.checks) assert.equal(check.valid, true, check.message);
  }
});

Deno.test("raft: leadership transfer hands over to the chosen server at once (TimeoutNow), under load", () => {
  const run = runRaftCluster(
    {
      servers: 5,
      clients: 5,
      durationUs: 2_000_000,
      bug: "none",
      schedule: quiet,
      transfers: [{ atUs: 1_000_000, target: 3 }],
    },
    7,
  );
  const terms = [...run.leadersByTerm].sort(([a], [b]) => a - b);
  assert.equal(terms.length, 2, `expected the first leader and the transferee, got ${JSON.stringify(terms)}`);
  assert.deepEqual(terms[1][1], [run.servers[3]]);
  for (const check of run.checks) assert.equal(check.valid, true, check.message);
});

Deno.test("raft: a transfer to an unreachable server is abandoned and the leader carries on", () => {
  const schedule: Schedule = {
    faults: [{ at: 800_000, fault: { kind: "isolate", targets: { nodes: ["n3"] }, durationUs: 800_000 } }],
    recoveryUs: 400_000,
  };
  const run = runRaftCluster(
    {
      servers: 5,
      clients: 5,
      durationUs: 2_000_000,
      bug: "none",
      schedule,
      transfers: [{ atUs: 1_000_000, target: 3 }],
    },
    7,
  );
  assert.ok(run.sim.metrics.series("raft_transfer_aborted").value.length >= 1, "the transfer was abandoned");
  assert.equal(run.leadersByTerm.size, 1, "no new term: the old leader kept leading");
  for (const check of run.checks) assert.equal(check.valid, true, check.message);
});
