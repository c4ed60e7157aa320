// Proves that a leader which appended its own removal and then stepped down before the removal
// committed still campaigns (thesis §4.2.2, Figure 4.6), so a two-voter cluster removing its
// leader always regains one; and that once the removal is known committed it never campaigns again.
import assert from "node:assert/strict";
import type { RaftCore } from "./raw_node.ts";
import { deliver, electedLeader, type Output, sent, settle, step } from "./_harness_test.ts";

/** Ticks the core at each of its deadlines until `done` holds or `ticksMax` ticks have passed. */
function tickUntil(core: RaftCore, done: (out: Output) => boolean, ticksMax = 50): Output | undefined {
  for (let i = 0; i < ticksMax; i++) {
    const out = step(core, { type: "tick", nowUs: core.nextDeadlineUs });
    if (done(out)) return out;
  }
  return undefined;
}

/** Leader 1 of {1, 2} appends its removal (new configuration {2}) and hears nothing more from 2. */
function leaderRemovingItself(): RaftCore {
  const { core } = electedLeader([1, 2], { checkQuorum: true });
  deliver(core, 2, { type: "appendResponse", term: 1, success: true, matchIndex: 1, conflictIndex: 0, round: 0 });
  assert.equal(core.commit, 1);
  step(core, { type: "changeMembership", change: "remove", server: 1 });
  assert.deepEqual(core.membership.voters, [2]);
  assert.equal(core.membershipCommitted, false);
  return core;
}

Deno.test("a leader that removes itself and loses its quorum before the removal commits campaigns again (thesis §4.2.2, Figure 4.6)", () => {
  const core = leaderRemovingItself();
  // CheckQuorum: server 2 is silent, so the leader steps down with its removal uncommitted.
  tickUntil(core, () => core.role !== "leader");
  assert.equal(core.role, "follower");
  const campaign = tickUntil(core, (out) => sent(out, "vote").length > 0);
  assert.ok(campaign !== undefined, "the removed-but-uncommitted leader never campaigned: no leader can be elected");
  const [request] = sent(campaign, "vote");
  assert.equal(request.to, 2);
  // Server 2, still in {1, 2} with a shorter log, grants; 2 is the one voter of {2}, so 1 leads
  // again (not counting itself), commits its removal through 2, and steps down.
  deliver(core, 2, { type: "voteResponse", term: request.message.term, granted: true, pre: false });
  assert.equal(core.role, "leader");
  const out = deliver(core, 2, {
    type: "appendResponse",
    term: core.term,
    success: true,
    matchIndex: core.log.lastIndex,
    conflictIndex: 0,
    round: 0,
  });
  assert.equal(core.membershipCommitted, true);
  assert.equal(core.role, "follower");
  assert.ok(out.roleChanges.some((change) => change.role === "follower"));
});

Deno.test("a server whose removal it knows committed never campaigns (thesis §4.2.2)", () => {
  const core = leaderRemovingItself();
  deliver(core, 2, { type: "appendResponse", term: 1, success: true, matchIndex: 2, conflictIndex: 0, round: 0 });
  settle(core);
  assert.equal(core.membershipCommitted, true);
  assert.equal(core.role, "follower");
  assert.equal(tickUntil(core, (out) => sent(out, "vote").length > 0, 20), undefined);
});
