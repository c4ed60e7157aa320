/**
 * Leader election (§5.2) with Pre-Vote (§9.6 of Ongaro's thesis), leader stickiness under
 * CheckQuorum, and the election restriction (§5.4.1).
 *
 * @module
 */
import { assert } from "../../../assert.ts";
import { becomeCandidate, becomeLeader, becomePreCandidate } from "./roles.ts";
import type { CoreState } from "./state.ts";
import type { PeerMessage } from "./types.ts";

/**
 * Whether this server promises a leader no rival now: it heard from a current leader within the
 * minimum election timeout (leader stickiness, which CheckQuorum switches on), or, under leases,
 * it restarted less than an election timeout ago (its promise to a leader did not survive in
 * memory, so it refuses votes that long).
 */
export function inLease(s: CoreState): boolean {
  const now = s.nowUs;
  if (s.config.readMode === "lease" && now - s.startedUs < s.config.electionTimeoutUsMin) return true;
  return s.config.checkQuorum && s.leader !== -1 && now - s.lastLeaderContactUs < s.config.electionTimeoutUsMin;
}

/** The election deadline passed: a voter campaigns (pre-campaigns under Pre-Vote); others wait on. */
export function campaign(s: CoreState): void {
  assert(s.role !== "leader", "a leader has no election deadline");
  if (!s.mayCampaign()) {
    // Learners, servers not yet added and servers whose removal committed never campaign.
    s.resetElectionTimer();
    return;
  }
  if (s.config.preVote) becomePreCandidate(s);
  else becomeCandidate(s);
}

/** RequestVote receiver (Figure 2), and the Pre-Vote question (would we vote in the next term?). */
export function handleVote(s: CoreState, from: number, message: Extract<PeerMessage, { type: "vote" }>): void {
  assert(message.term >= s.term, "a stale vote request reaches the role handlers");
  const fresh = s.log.isUpToDate(message.lastIndex, message.lastTerm);
  let granted: boolean;
  if (message.pre) {
    // A pre-vote changes nothing: would we vote for this candidate in the next term?
    granted = fresh && message.term > s.term && !inLease(s);
  } else {
    const free = s.vote === -1 || s.vote === message.candidate;
    granted = fresh && free && s.leader === -1;
    if (granted) {
      s.vote = message.candidate;
      s.persistHardState();
      s.resetElectionTimer();
    }
  }
  // A granted pre-vote echoes the proposed term; a refusal carries our own, so a candidate that
  // cannot win learns nothing that would raise its term (a refusal with its own term would).
  s.send(from, {
    type: "voteResponse",
    term: message.pre && granted ? message.term : s.term,
    granted,
    pre: message.pre,
  });
}

/** Counts a granted (pre-)vote; a majority moves a pre-candidate on, and makes a candidate leader. */
export function handleVoteResponse(
  s: CoreState,
  from: number,
  message: Extract<PeerMessage, { type: "voteResponse" }>,
): void {
  // Only the votes of voters in the candidate's configuration count.
  if (!message.granted || !s.isVoter(from)) return;
  if (message.pre && s.role === "precandidate" && message.term === s.term + 1) {
    s.votes.add(from);
    if (s.votes.size >= s.majority()) becomeCandidate(s);
  } else if (!message.pre && s.role === "candidate" && message.term === s.term) {
    s.votes.add(from);
    if (s.votes.size >= s.majority()) becomeLeader(s);
  }
  assert(s.votes.size <= s.current.voters.length, "more votes than voters");
}

/** Asks every other member for its (pre-)vote. */
export function requestVotes(s: CoreState, pre: boolean, transfer = false): void {
  if (!(s.role === (pre ? "precandidate" : "candidate"))) assert(false, `a ${s.role} asks for votes`);
  const term = pre ? s.term + 1 : s.term;
  for (const server of s.peers()) {
    s.send(server, {
      type: "vote",
      term,
      candidate: s.id,
      lastIndex: s.log.lastIndex,
      lastTerm: s.log.lastTerm,
      pre,
      transfer,
    });
  }
}

/** The leader hands over: campaign at once, without Pre-Vote (§3.10 of Ongaro's thesis). */
export function handleTimeoutNow(s: CoreState): void {
  if (s.role !== "leader" && s.isVoter(s.id)) becomeCandidate(s, true);
}
