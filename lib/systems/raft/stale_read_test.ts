// Proves ReadIndex keeps reads linearizable when a leader is deposed behind a partition, and that
// the planted bug staleLeaderReads (answering from local state) is caught: a scripted scenario.
import assert from "node:assert/strict";
import { checkLinearizable } from "../../check/linearizability.ts";
import { kv } from "../../check/models.ts";
import { pairOperations } from "../../check/operations.ts";
import type { Op } from "../../history/history.ts";
import { Simulation } from "../../sim/mod.ts";
import type { NodeApi } from "../../sim/types.ts";
import { bugsFor } from "./bugs.ts";
import { type RaftServer, raftServer } from "./node.ts";
import { raftConfigDefaults, type RaftMessage } from "./types.ts";

/**
 * Three servers; the leader writes k=v1; the leader is cut off from the other servers (clients
 * still reach it); the others elect a new leader, which writes k=v2; then a read of k is sent to
 * the old leader, which (without CheckQuorum) still believes it leads.
 */
function staleReadScenario(bug: string) {
  const sim = new Simulation({ seed: 3 });
  const servers: number[] = [];
  const instances = new Map<number, RaftServer>();
  const config = { ...raftConfigDefaults, servers, checkQuorum: false, snapshotEveryEntries: 0 };
  for (let i = 0; i < 3; i++) {
    servers.push(sim.addNode<RaftMessage>({
      name: `n${i}`,
      create: (api) => {
        const server = raftServer(api, { config, bugs: bugsFor(bug) }) as RaftServer;
        instances.set(api.id, server);
        return server;
      },
    }));
  }
  const leader = () => servers.find((s) => instances.get(s)?.role === "leader" && sim.isUp(s));
  let client: NodeApi<RaftMessage> | undefined;
  let open: { op: Op; seq: number } | undefined;
  let seq = 0;
  const clientId = sim.addNode<RaftMessage>({
    name: "client",
    create: (api) => {
      client = api;
      return {
        onMessage(_from, message) {
          if (message.type !== "response" || open === undefined || message.seq !== open.seq || !message.ok) return;
          api.complete(open.op, "ok", message.value);
          open = undefined;
        },
      };
    },
  });
  const request = (to: number, f: "put" | "get", value: string | null) => {
    seq++;
    open = { op: client!.invoke(f, value, { key: "k" }), seq };
    client!.send(to, { type: "request", clientId, seq, f, key: "k", value });
  };
  let oldLeader = -1;
  sim.at(1_000_000, () => request(leader()!, "put", "v1"));
  sim.at(1_200_000, (s) => {
    oldLeader = leader()!;
    for (const a of servers) {
      for (const b of servers) if ((a === oldLeader) !== (b === oldLeader)) s.network.block(a, b);
    }
  });
  sim.at(
    2_500_000,
    () => request(servers.find((s) => s !== oldLeader && instances.get(s)?.role === "leader")!, "put", "v2"),
  );
  sim.at(2_700_000, () => {
    if (open !== undefined) return; // the write did not finish: no stale read to provoke
    request(oldLeader, "get", null);
  });
  sim.run({ untilUs: 3_500_000 });
  const result = checkLinearizable(pairOperations(sim.history.events), kv as never, { initial: "" });
  return { sim, result, oldLeaderStillThinksItLeads: instances.get(oldLeader)?.role === "leader" };
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
