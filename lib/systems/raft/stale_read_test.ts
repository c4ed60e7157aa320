// Proves ReadIndex keeps reads linearizable when a leader is deposed behind a partition, and that
// the planted bug staleLeaderReads (answering from local state) is caught: a scripted scenario.
import assert from "node:assert/strict";
import { ScriptedCluster } from "./experiments/mod.ts";

/**
 * Three servers; the leader writes k=v1; the leader is cut off from the other servers (clients
 * still reach it); the others elect a new leader, which writes k=v2; then a read of k is sent to
 * the old leader, which (without CheckQuorum) still believes it leads.
 */
function staleReadScenario(bug: string) {
  const cluster = new ScriptedCluster({
    voters: 3,
    seed: 3,
    bug,
    config: { checkQuorum: false, snapshotEveryEntries: 0 },
  });
  const client = cluster.addClient("client");
  cluster.start();
  const oldLeader = cluster.electLeader();
  cluster.request(client, oldLeader, "put", "v1");
  cluster.runUntil("v1 acknowledged", () => client.open === undefined, 500_000);
  cluster.isolate(oldLeader);
  const successor = () => cluster.servers.find((s) => s !== oldLeader && cluster.leadsCommitted(s));
  cluster.runUntil("a new leader", () => successor() !== undefined, 2_000_000);
  cluster.request(client, successor()!, "put", "v2");
  cluster.runUntil("v2 acknowledged", () => client.open === undefined, 500_000);
  cluster.request(client, oldLeader, "get", null);
  cluster.runFor(800_000);
  return {
    sim: cluster.sim,
    result: cluster.linearizability(),
    oldLeaderStillThinksItLeads: cluster.leads(oldLeader),
  };
}

Deno.test("raft: a read sent to a deposed leader behind a partition is never answered stale with ReadIndex", () => {
  const { result, oldLeaderStillThinksItLeads, sim } = staleReadScenario("none");
  assert.equal(oldLeaderStillThinksItLeads, true, "without CheckQuorum the old leader does not know it lost");
  const completed = sim.history.events.filter((op) => op.type === "ok").map((op) => `${op.f}=${op.value}`);
  assert.deepEqual(completed, ["put=v1", "put=v2"], "the read waits for a majority that never answers");
  assert.equal(result.valid, true);
});

Deno.test("raft: planted bug staleLeaderReads answers from the deposed leader's state and is not linearizable", () => {
  const { result, sim } = staleReadScenario("staleLeaderReads");
  const completed = sim.history.events.filter((op) => op.type === "ok").map((op) => `${op.f}=${op.value}`);
  assert.deepEqual(completed, ["put=v1", "put=v2", "get=v1"]);
  assert.equal(result.valid, false);
  assert.equal(result.counterexample?.stuck.f, "get");
});
