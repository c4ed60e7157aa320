/**
 * Role changes: the only place a core's role changes, each function asserting that the transition
 * is legal (etcd's becomeFollower, becomePreCandidate, becomeCandidate, becomeLeader).
 *
 * @module
 */
import { assert } from "../../../assert.ts";
import { broadcastAppend } from "./replication.ts";
import { appendAsLeader } from "./proposal.ts";
import type { CoreState } from "./state.ts";
import { requestVotes } from "./election.ts";
import type { Role } from "./types.ts";
import { watchAllExpiries } from "./expiry.ts";

function setRole(s: CoreState, role: Role): void {
  if (role !== s.role) s.out.roleChanges.push({ role, term: s.term });
  s.role = role;
}

/** Follows `leader` (-1: unknown) in `term`, which is at least the current term (§5.1). */
export function becomeFollower(s: CoreState, term: number, leader: number): void {
  if (!(term >= s.term)) assert(false, `a follower's term ${term} is below the current ${s.term}`);
  assert(leader !== s.id, "a server never follows itself");
  const wasLeader = s.role === "leader";
  if (term > s.term) {
    s.term = term;
    s.vote = -1;
    s.persistHardState();
  }
  // The leader's deadlines stop with its leadership; a later term starts its own.
  s.heartbeatDeadlineUs = Infinity;
  s.checkQuorumDeadlineUs = Infinity;
  setRole(s, "follower");
  s.leader = leader;
  s.leaseUntilUs = -Infinity;
  s.pendingClients.clear();
  s.pendingReads = [];
  s.readRoundInFlight = false;
  s.transferTarget = -1;
  s.expiries.clear();
  restartElectionTimerOnStepDown(s, wasLeader);
}

/** The election timer on stepping down, as the configured rule has it (types.ts, ElectionTimerRule). */
function restartElectionTimerOnStepDown(s: CoreState, wasLeader: boolean): void {
  const rule = s.config.electionTimerRule;
  if (rule === "etcd" || (rule === "logcabin" && wasLeader)) return s.resetElectionTimer();
  // A leader has no deadline (Infinity); under Figure 2 its timer last restarted when it
  // campaigned, long past, so it is due now.
  if (rule === "figure2" && wasLeader) s.electionDeadlineUs = s.nowUs;
  assert(s.electionDeadlineUs !== Infinity, "a follower without an election deadline");
}

/** Pre-Vote (§9.6 of the thesis): asks whether it could win the next term, changing nothing durable. */
export function becomePreCandidate(s: CoreState): void {
  assert(s.role !== "leader", "a leader does not pre-campaign");
  assert(s.mayCampaign(), "only a voter pre-campaigns");
  setRole(s, "precandidate");
  s.leader = -1;
  s.votes = ownVote(s);
  s.resetElectionTimer();
  if (s.votes.size >= s.majority()) return becomeCandidate(s);
  requestVotes(s, true);
}

/** Starts an election in the next term, voting for itself (§5.2). */
export function becomeCandidate(s: CoreState, transfer = false): void {
  assert(s.role !== "leader", "a leader does not campaign");
  assert(s.mayCampaign(), "only a voter campaigns");
  s.term++;
  s.vote = s.id;
  s.persistHardState();
  setRole(s, "candidate");
  s.leader = -1;
  s.votes = ownVote(s);
  s.resetElectionTimer();
  if (s.votes.size >= s.majority()) return becomeLeader(s);
  requestVotes(s, false, transfer);
}

/** A candidate's own vote counts only if it is a voter of its latest configuration. */
function ownVote(s: CoreState): Set<number> {
  return new Set(s.isVoter(s.id) ? [s.id] : []);
}

/** Takes leadership after winning a majority: resets progress, appends a no-op, starts heartbeats. */
export function becomeLeader(s: CoreState): void {
  if (!(s.role === "candidate")) assert(false, `only a candidate becomes leader, not a ${s.role}`);
  if (!(s.votes.size >= s.majority())) assert(false, `a leader with ${s.votes.size} votes of ${s.majority()} needed`);
  setRole(s, "leader");
  s.leader = s.id;
  s.leaseUntilUs = -Infinity;
  s.nextIndex.clear();
  s.matchIndex.clear();
  for (const server of s.peers()) s.nextIndex.set(server, s.log.lastIndex + 1);
  s.inflight.clear();
  s.matchAtBeat.clear();
  s.snapshotProgress.clear();
  s.catchUpRounds.clear();
  s.recentlyActive.clear();
  s.electionDeadlineUs = Infinity;
  watchAllExpiries(s);
  // A no-op of the new term lets entries of earlier terms commit (§5.4.2, §8).
  appendAsLeader(s, { kind: "noop" });
  broadcastAppend(s);
  s.heartbeatDeadlineUs = s.nowUs + s.config.heartbeatIntervalUs;
  if (s.config.checkQuorum) s.checkQuorumDeadlineUs = s.nowUs + s.config.electionTimeoutUsMin;
}
