// Proves votes must be persisted (§5.2: votedFor on stable storage): with a voter restarting
// while two candidates of one term ask it in turn, the correct server never elects two leaders
// in a term, and the planted bug forgetVote does.
import assert from "node:assert/strict";
import { Simulation } from "../../sim/mod.ts";
import { bugsFor } from "./bugs.ts";
import { raftServer, type Role } from "./node.ts";
import { raftConfigDefaults, type RaftMessage } from "./types.ts";

/**
 * Three servers: n0 and n2 cannot reach each other and both campaign; n1 never campaigns (a long
 * timeout) and is the swing vote; n0's messages to n1 are slow, so n2's request can reach n1
 * after n1 voted for n0; n1 restarts every 5 ms meanwhile. Returns the terms with two leaders.
 */
function swingVoterScenario(bug: string, seed: number): number[] {
  const sim = new Simulation({ seed });
  const servers: number[] = [];
  const leaders = new Map<number, Set<number>>();
  const onRole = (server: number, role: Role, term: number) => {
    if (role === "leader") leaders.set(term, (leaders.get(term) ?? new Set()).add(server));
  };
  const config = { ...raftConfigDefaults, servers, preVote: false, checkQuorum: false, snapshotEveryEntries: 0 };
  const swingConfig = { ...config, electionTimeoutUsMin: 10_000_000, electionTimeoutUsMax: 10_000_000 };
  for (let i = 0; i < 3; i++) {
    servers.push(sim.addNode<RaftMessage>({
      name: `n${i}`,
      create: (api) => raftServer(api, { config: i === 1 ? swingConfig : config, bugs: bugsFor(bug), onRole }),
    }));
  }
  const [n0, n1, n2] = servers;
  sim.at(0, (s) => {
    s.network.block(n0, n2);
    s.network.block(n2, n0);
    s.network.configureLink(n0, n1, { extraLatencyUs: 50_000 });
  });
  for (let t = 100_000; t <= 700_000; t += 5_000) {
    sim.at(t, (s) => {
      // What was written survives ("keep"): the bug is in what the server chose to persist.
      s.crash(n1, { unsyncedOnCrash: "keep" });
      s.restart(n1);
    });
  }
  sim.run({ untilUs: 1_000_000 });
  return [...leaders].filter(([, set]) => set.size > 1).map(([term]) => term);
}

Deno.test("raft: a persisted vote keeps a restarting voter from electing two leaders in one term (20 seeds)", () => {
  for (let seed = 1; seed <= 20; seed++) assert.deepEqual(swingVoterScenario("none", seed), [], `seed ${seed}`);
});

Deno.test("raft: planted bug forgetVote elects two leaders in one term, within 20 seeds (election safety)", () => {
  const caught = [];
  for (let seed = 1; seed <= 20; seed++) if (swingVoterScenario("forgetVote", seed).length > 0) caught.push(seed);
  assert.ok(caught.length > 0, "forgetVote never produced two leaders in a term");
});
