// Proves two holes in leader leases (§6.4.1 of Ongaro's thesis) stay closed, each a scripted
// scenario that once gave a stale read. A lease lets a leader answer reads alone because a majority
// acknowledged it recently and each of them refuses to elect another leader for an election
// timeout (leader stickiness). Two ways around that promise:
// - a leadership transfer's TimeoutNow (§3.10) makes its target campaign past stickiness however
//   late it arrives, so a leader that sent one may hold no lease for the rest of its term, even if
//   it gave the transfer up;
// - a voter that crashes and restarts forgets it acknowledged the leader: under leases it refuses
//   votes and pre-votes for an election timeout after it starts.
// Both scenarios run with ReadIndex reads (§6.4) as well, which rely on no timing and must be
// linearizable all the same.
import assert from "node:assert/strict";
import { ScriptedCluster } from "./experiments/mod.ts";

const seeds = [1, 2, 3, 4, 5];
const readModes = ["lease", "readIndex"] as const;
type ReadMode = (typeof readModes)[number];

/**
 * Three servers. The leader L writes k=v1 and is asked to hand leadership to X while X stalls (a
 * GC pause): L's TimeoutNow waits in X's inbox and L gives the transfer up. L renews its lease
 * with Y's acknowledgement, then is cut off from the servers (clients still reach it); X wakes,
 * acts on the TimeoutNow, wins Y's vote past stickiness, and writes k=v2. A read goes to L.
 */
function lateTimeoutNow(readMode: ReadMode, seed: number) {
  const cluster = new ScriptedCluster({ voters: 3, seed, config: { readMode } });
  const writer = cluster.addClient("writer");
  const reader = cluster.addClient("reader");
  cluster.start();
  const leader = cluster.electLeader();
  const [target] = cluster.servers.filter((server) => server !== leader);
  cluster.request(writer, leader, "put", "v1");
  cluster.runUntil("v1 answered", () => writer.open === undefined, 500_000);
  cluster.runFor(60_000); // idle: the target's log is as long as the leader's, so the transfer can start at once

  cluster.sim.pause(target);
  cluster.send(writer, leader, { type: "transferLeadership", target });
  cluster.runUntil("the transfer given up", () => cluster.sim.metrics.count("raft_transfer_aborted") > 0, 400_000);
  cluster.runFor(60_000); // the next heartbeat round is acknowledged by the third server (renewing a lease)

  cluster.isolate(leader);
  cluster.sim.resume(target);
  cluster.runUntil("the target leading", () => cluster.leadsCommitted(target), 100_000);
  cluster.request(writer, target, "put", "v2");
  cluster.runUntil("v2 answered", () => writer.open === undefined, 100_000);
  const oldLeaderStillLeads = cluster.leads(leader) && cluster.raft(leader).term < cluster.raft(target).term;
  cluster.request(reader, leader, "get", null);
  cluster.runFor(30_000);
  return { oldLeaderStillLeads, reads: reader.answers.map((answer) => answer.value), cluster };
}

for (const readMode of readModes) {
  Deno.test(`raft thesis §3.10 ${readMode}: a TimeoutNow delivered after the transfer was given up leaves no stale read at the old leader`, () => {
    for (const seed of seeds) {
      const { oldLeaderStillLeads, reads, cluster } = lateTimeoutNow(readMode, seed);
      const where = `seed ${seed}`;
      // The hazard was there: a newer leader committed a write while the old one still believed it led.
      assert.ok(oldLeaderStillLeads, `${where}: the old leader still leads its older term`);
      for (const [term, leaders] of cluster.leadersByTerm) assert.equal(leaders.length, 1, `${where}: term ${term}`);
      // The old leader answers nothing: it holds no lease once it sent TimeoutNow, and cannot
      // confirm its leadership with a majority it no longer reaches.
      assert.deepEqual(reads, [], `${where}: the read at the old leader`);
      assert.equal(cluster.linearizability().valid, true, `${where}: linearizable`);
    }
  });
}

/**
 * Five servers. The leader L writes k=v1; C and D lose their links to L (they still reach A and
 * B), time out and pre-campaign, refused while A and B hear L. Right after a read at L is served
 * (so L's last round was acknowledged), L is cut off from every server and A crashes and restarts
 * 5 ms later. C and D, already campaigning, would win with A's vote; whoever is elected writes
 * k=v2 as soon as it can, and a read goes to L.
 */
function quickRestart(readMode: ReadMode, seed: number) {
  const cluster = new ScriptedCluster({ voters: 5, seed, config: { readMode }, trace: true });
  const writer = cluster.addClient("writer");
  const reader = cluster.addClient("reader");
  cluster.start();
  const leader = cluster.electLeader();
  const [voterA, , voterC, voterD] = cluster.servers.filter((server) => server !== leader);
  cluster.request(writer, leader, "put", "v1");
  cluster.runUntil("v1 answered", () => writer.open === undefined, 500_000);
  cluster.cut(leader, voterC);
  cluster.cut(leader, voterD);
  cluster.runFor(400_000);

  cluster.request(reader, leader, "get", null);
  cluster.runUntil("a read at the leader answered", () => reader.open === undefined, 200_000);
  cluster.isolate(leader);
  cluster.sim.crash(voterA, { unsyncedOnCrash: "lose" });
  cluster.runFor(5_000);
  cluster.sim.restart(voterA);
  const restartedUs = cluster.sim.nowUs;
  const successor = () => cluster.servers.find((server) => server !== leader && cluster.leadsCommitted(server));
  cluster.runUntil("a new leader", () => successor() !== undefined, 2_000_000);
  cluster.request(writer, successor()!, "put", "v2");
  cluster.runUntil("v2 answered", () => writer.open === undefined, 200_000);
  cluster.request(reader, leader, "get", null);
  cluster.runFor(20_000);
  const votesAfterRestart = cluster.votesGranted(voterA).filter((vote) => vote.timeUs >= restartedUs);
  return { cluster, restartedUs, votesAfterRestart, reads: reader.answers.map((answer) => answer.value) };
}

for (const readMode of readModes) {
  Deno.test(`raft thesis §6.4.1 ${readMode}: a voter restarting at once leaves no stale read at the old leader`, () => {
    for (const seed of seeds) {
      const { cluster, restartedUs, votesAfterRestart, reads } = quickRestart(readMode, seed);
      const where = `seed ${seed}`;
      // The old leader answered the read before the cut, and none after: it reaches no majority to
      // confirm its leadership, and (under leases) its lease ran out before anyone else was elected.
      assert.deepEqual(reads, ["v1"], `${where}: the reads at the old leader`);
      assert.equal(cluster.linearizability().valid, true, `${where}: linearizable`);
      for (const [term, leaders] of cluster.leadersByTerm) assert.equal(leaders.length, 1, `${where}: term ${term}`);
      if (readMode === "lease") {
        // Its acknowledgement may count in the old leader's lease: it grants nothing, not even a
        // pre-vote, for an election timeout after it starts.
        const early = votesAfterRestart.filter((vote) =>
          vote.timeUs - restartedUs < cluster.config.electionTimeoutUsMin
        );
        assert.deepEqual(early, [], `${where}: votes the restarted voter granted within an election timeout`);
      }
    }
  });
}
