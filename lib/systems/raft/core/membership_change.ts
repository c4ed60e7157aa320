/**
 * Single-server membership change (§4 of Ongaro's thesis): one change at a time, newcomers join as
 * learners and are promoted once they keep up, judged in catch-up rounds (§4.2.1).
 *
 * @module
 */
import { assert } from "../../../assert.ts";
import { applyChange, type Membership, type MembershipChange } from "../membership.ts";
import { serversMax } from "./limits.ts";
import { appendAsLeader } from "./proposal.ts";
import { replicate } from "./replication.ts";
import type { CoreState } from "./state.ts";

/**
 * One change at a time, and only once an entry of this term has committed: a change appended
 * before that could overlap an uncommitted change of an earlier leader, and the two together
 * could split the cluster into disjoint majorities (the single-server change bug Ongaro
 * described on raft-dev in 2015).
 */
export function canChangeMembership(s: CoreState): boolean {
  return s.role === "leader" && s.transferTarget === -1 && s.log.termAt(s.commit) === s.term &&
    s.membership.latestIndex <= s.commit;
}

/** An operator's change: a leader that can change appends the new configuration; others refuse it. */
export function changeMembership(s: CoreState, request: { change: "add" | "remove"; server: number }): void {
  if (!(Number.isSafeInteger(request.server) && request.server >= 0)) {
    assert(false, `server ${request.server} is not an id`);
  }
  if (s.role !== "leader") return;
  if (!canChangeMembership(s)) {
    s.metric("raft_membership_refused", request.server);
    return;
  }
  let next: Membership;
  try {
    next = applyChange(s.current, request);
  } catch {
    s.metric("raft_membership_refused", request.server);
    return;
  }
  if (next.voters.length + next.learners.length > serversMax) {
    s.metric("raft_membership_refused", request.server);
    return;
  }
  proposeMembership(s, next, request);
}

function proposeMembership(s: CoreState, next: Membership, change: MembershipChange): void {
  assert(canChangeMembership(s), "a membership change proposed while another is pending");
  const index = appendAsLeader(s, { kind: "config", voters: next.voters, learners: next.learners });
  s.metric(`raft_membership_${change.change}`, change.server);
  s.metric("raft_membership_index", index);
  for (const server of s.peers()) replicate(s, server);
}

/**
 * A learner is promoted once it has caught up, judged in rounds as §4.2.1 of the thesis has it:
 * each round ends when the learner holds what the leader's log held when the round began; a
 * round shorter than an election timeout means the learner keeps up, and it becomes a voter (so
 * it cannot stall commits for long). Under steady writes the learner never holds the very last
 * entry, so "match equals the commit index" would never come.
 */
export function maybePromote(s: CoreState, server: number): void {
  if (!s.current.learners.includes(server)) return;
  let round = s.catchUpRounds.get(server);
  if (round === undefined) {
    round = { endIndex: s.log.lastIndex, startedUs: s.nowUs };
    s.catchUpRounds.set(server, round);
  }
  assert(s.catchUpRounds.size <= s.current.learners.length, "catch-up rounds of servers that are not learners");
  if ((s.matchIndex.get(server) ?? 0) < round.endIndex) return;
  if (s.nowUs - round.startedUs > s.config.electionTimeoutUsMin || !canChangeMembership(s)) {
    // Too slow still (or a change is pending): another round, from what the log holds now.
    s.catchUpRounds.set(server, { endIndex: s.log.lastIndex, startedUs: s.nowUs });
    return;
  }
  s.catchUpRounds.delete(server);
  proposeMembership(s, applyChange(s.current, { change: "promote", server }), { change: "promote", server });
}
