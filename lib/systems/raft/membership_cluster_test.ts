// Proves membership change on a running cluster under load: newcomers catch up as learners before
// they vote, a removed leader steps down once its removal commits, learners never count toward a
// majority, snapshots carry the configuration, and changes stay safe (one leader per term,
// linearizable key-value store) under partitions, crashes and the other combined faults.
import assert from "node:assert/strict";
import type { Schedule } from "../../faults/mod.ts";
import { type RaftRunResult, runRaftCluster } from "./experiments/mod.ts";
import { raftSchedule } from "./experiments/mod.ts";
import type { RaftServer } from "./node.ts";

const quiet: Schedule = { faults: [], recoveryUs: 0 };

function leaderOf(run: RaftRunResult): RaftServer {
  const leaders = run.servers.map((s) => run.instance(s)).filter((s) => s?.role === "leader");
  assert.equal(leaders.length, 1, "one leader at the end");
  return leaders[0]!;
}

function assertChecksPass(run: RaftRunResult, context = ""): void {
  for (const check of run.checks) assert.equal(check.valid, true, `${context}${check.message}`);
}

Deno.test("membership: two servers join as learners, are promoted once caught up, and two founders leave", () => {
  const run = runRaftCluster({
    servers: 3,
    spares: 2,
    clients: 4,
    durationUs: 3_000_000,
    bug: "none",
    schedule: quiet,
    membershipChanges: [
      { atUs: 600_000, change: "add", server: 3 },
      { atUs: 600_000, change: "add", server: 4 },
      { atUs: 1_500_000, change: "remove", server: 0 },
      { atUs: 1_500_000, change: "remove", server: 1 },
    ],
  }, 1);
  const [, , n2, n3, n4] = run.servers;
  assert.deepEqual(leaderOf(run).membership, { voters: [n2, n3, n4], learners: [] });
  // Each newcomer was a learner first and was promoted only after catching up with the commit index.
  assert.deepEqual([...run.sim.metrics.series("raft_membership_add").value].sort(), [n3, n4]);
  assert.deepEqual([...run.sim.metrics.series("raft_membership_promote").value].sort(), [n3, n4]);
  // Both removals needed asking again: a change waits until the one before it has committed.
  assert.ok(run.sim.metrics.series("raft_membership_refused").value.length > 0);
  const after = run.sim.history.events.filter((op) => op.type === "ok" && op.time > 2_200_000);
  assert.ok(after.length > 100, `the reconfigured cluster serves (${after.length} operations)`);
  assertChecksPass(run);
});

Deno.test("membership: a leader that removes itself leads until the removal commits, then steps down", () => {
  const probe = runRaftCluster({ servers: 3, clients: 2, durationUs: 500_000, bug: "none", schedule: quiet }, 2);
  const first = probe.leaderChanges[0].server;
  const run = runRaftCluster({
    servers: 3,
    clients: 3,
    durationUs: 2_000_000,
    bug: "none",
    schedule: quiet,
    membershipChanges: [{ atUs: 700_000, change: "remove", server: probe.servers.indexOf(first) }],
  }, 2);
  assert.equal(run.sim.metrics.series("raft_leader_removed").value.length, 1, "the removed leader stepped down");
  const successor = leaderOf(run);
  assert.notEqual(run.servers[run.servers.indexOf(first)], successor, "a remaining voter leads");
  assert.equal(successor.membership.voters.length, 2);
  const after = run.sim.history.events.filter((op) => op.type === "ok" && op.time > 1_200_000);
  assert.ok(after.length > 50, "the two remaining voters commit on their own");
  assertChecksPass(run);
});

Deno.test("membership: a learner does not count toward a majority: with two of three voters down nothing commits", () => {
  // n3 is added while cut off, so it cannot catch up and stays a learner while two voters crash.
  const schedule: Schedule = {
    faults: [
      { at: 400_000, fault: { kind: "isolate", targets: { nodes: ["n3"] }, durationUs: 1_600_000 } },
      { at: 1_200_000, fault: { kind: "crash", targets: { nodes: ["n0", "n1"] }, durationUs: 600_000 } },
    ],
    recoveryUs: 800_000,
  };
  const run = runRaftCluster({
    servers: 3,
    spares: 1,
    clients: 3,
    durationUs: 2_600_000,
    bug: "none",
    schedule,
    membershipChanges: [{ atUs: 500_000, change: "add", server: 3 }],
  }, 3);
  assert.deepEqual(run.sim.metrics.series("raft_membership_add").value.length, 1, "n3 was added as a learner");
  const writesDuringCrash = run.sim.history.events.filter((op) =>
    op.type === "ok" && op.f !== "get" && op.time > 1_300_000 && op.time < 1_800_000
  );
  assert.equal(writesDuringCrash.length, 0, "one voter and a learner are not a majority of three voters");
  assertChecksPass(run);
});

Deno.test("membership: a newcomer catches up through InstallSnapshot, and the snapshot carries the configuration across its restart", () => {
  const schedule: Schedule = {
    faults: [{
      at: 2_000_000,
      fault: { kind: "crash", targets: { nodes: ["n3"] }, unsyncedOnCrash: "lose", durationUs: 300_000 },
    }],
    recoveryUs: 700_000,
  };
  const run = runRaftCluster({
    servers: 3,
    spares: 1,
    clients: 4,
    durationUs: 3_000_000,
    bug: "none",
    schedule,
    snapshotEveryEntries: 100,
    membershipChanges: [{ atUs: 1_000_000, change: "add", server: 3 }],
  }, 4);
  const n3 = run.servers[3];
  const sent = run.sim.metrics.series("raft_snapshots_sent");
  assert.ok(sent.value.length > 0, "the leader sent the newcomer a snapshot");
  const recovered = run.sim.metrics.series("raft_recovered_snapshot_index");
  assert.ok([...recovered.node].includes(n3), "n3 restarted from its snapshot");
  assert.ok(run.instance(n3)!.membership.voters.includes(n3), "after its restart n3 still knows it votes");
  assertChecksPass(run);
});

Deno.test("membership: changes under partitions, crashes and the other combined faults stay safe (10 seeds)", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const run = runRaftCluster({
      servers: 5,
      spares: 2,
      clients: 4,
      durationUs: 4_000_000,
      bug: "none",
      schedule: raftSchedule("combined", 4_000_000),
      membershipChanges: [
        { atUs: 500_000, change: "add", server: 5 },
        { atUs: 1_000_000, change: "remove", server: 0 },
        { atUs: 1_500_000, change: "add", server: 6 },
        { atUs: 2_000_000, change: "remove", server: 1 },
      ],
    }, seed);
    assertChecksPass(run, `seed ${seed}: `);
    // Every change reached a committed configuration, even where a fault undid a first attempt.
    assert.deepEqual(leaderOf(run).membership.voters, run.servers.slice(2), `seed ${seed}`);
    assert.ok(run.figures.operationsOk > 200, `seed ${seed}: only ${run.figures.operationsOk} operations`);
  }
});
