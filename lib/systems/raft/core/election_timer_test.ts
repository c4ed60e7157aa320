// Proves each election timer rule (types.ts, ElectionTimerRule) restarts a server's election timer
// exactly where its source says: Figure 2 of the Raft paper only on hearing the current leader or
// granting a vote; LogCabin also when a leader steps down; etcd on every step down. One core, no
// kernel, stepped by hand as in paper_test.ts; the random source is 0, so every restart sets the
// deadline exactly one minimum timeout ahead.
import assert from "node:assert/strict";
import { type ElectionTimerRule, raftConfigDefaults } from "../types.ts";
import { append, deliver, electedLeader, electionUs, newCore, step } from "./_harness_test.ts";

const vote = (term: number, candidate: number, lastIndex = 0, lastTerm = 0) => ({
  type: "vote" as const,
  term,
  candidate,
  lastIndex,
  lastTerm,
  pre: false,
  transfer: false,
});

/** A follower that heard the leader at 0 learns a higher term at 100 ms from a candidate it refuses (its log is behind). */
function followerRefusingAStaleCandidate(rule: ElectionTimerRule): number {
  const core = newCore(2, [1, 2, 3], { electionTimerRule: rule });
  deliver(core, 1, append(1, 0, 0, [{ term: 1, index: 1 }], 0), 0);
  deliver(core, 3, vote(2, 3), 100_000);
  assert.equal(core.term, 2);
  assert.equal(core.vote, -1, "a candidate whose log is behind gets no vote (§5.4.1)");
  return core.nextDeadlineUs;
}

for (const rule of ["figure2", "logcabin"] as const) {
  Deno.test(`${rule}: a higher term from a candidate that cannot win does not restart a follower's timer (Figure 2, §5.2)`, () => {
    // "If election timeout elapses without receiving AppendEntries RPC from current leader or
    // granting vote to candidate: convert to candidate." Learning a term is neither.
    assert.equal(followerRefusingAStaleCandidate(rule), electionUs);
  });
}

Deno.test("etcd: a higher term from a candidate that cannot win restarts a follower's timer (becomeFollower resets)", () => {
  assert.equal(followerRefusingAStaleCandidate("etcd"), 100_000 + electionUs);
});

for (const rule of ["figure2", "logcabin", "etcd"] as const) {
  Deno.test(`${rule}: granting a vote and hearing the current leader restart the timer (Figure 2, §5.2)`, () => {
    const core = newCore(2, [1, 2, 3], { electionTimerRule: rule });
    deliver(core, 3, vote(1, 3), 100_000);
    assert.equal(core.vote, 3);
    assert.equal(core.nextDeadlineUs, 100_000 + electionUs);
    deliver(core, 3, append(1, 0, 0, [], 0, 3), 120_000);
    assert.equal(core.nextDeadlineUs, 120_000 + electionUs);
  });

  Deno.test(`${rule}: a candidate that learns a higher term keeps campaigning on schedule or restarts, as its rule says`, () => {
    const core = newCore(2, [1, 2, 3], { electionTimerRule: rule });
    step(core, { type: "tick", nowUs: electionUs });
    assert.equal(core.role, "candidate");
    // Its own campaign restarted the timer: due at twice the minimum timeout.
    deliver(core, 3, { type: "voteResponse", term: 2, granted: false, pre: false }, electionUs + 10_000);
    assert.equal(core.role, "follower");
    assert.equal(core.nextDeadlineUs, rule === "etcd" ? 2 * electionUs + 10_000 : 2 * electionUs);
  });
}

Deno.test("figure2: a deposed leader whose rival cannot win campaigns at once; logcabin and etcd wait a fresh timeout", () => {
  for (const rule of ["figure2", "logcabin", "etcd"] as const) {
    const { core } = electedLeader([1, 2, 3], { electionTimerRule: rule });
    // The leader's log holds its no-op; the rival's is empty, so the leader refuses its vote.
    deliver(core, 3, vote(2, 3), 1_000_000);
    assert.equal(core.role, "follower");
    assert.equal(core.vote, -1);
    assert.equal(core.nextDeadlineUs, rule === "figure2" ? 1_000_000 : 1_000_000 + electionUs, rule);
  }
});

Deno.test("figure2: a deposed leader that grants its vote waits a fresh timeout like the others", () => {
  const { core } = electedLeader([1, 2, 3], { electionTimerRule: "figure2" });
  deliver(core, 3, vote(2, 3, 5, 1), 1_000_000);
  assert.equal(core.vote, 3);
  assert.equal(core.nextDeadlineUs, 1_000_000 + electionUs);
});

Deno.test("a server built without a rule restarts its timer as etcd does (the behaviour before the option)", () => {
  assert.equal(raftConfigDefaults.electionTimerRule, "etcd");
});
