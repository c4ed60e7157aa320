/**
 * Linearizable reads without the log (§6.4): ReadIndex with shared confirmation rounds, and
 * leader leases (§6.4.1) with a clock-drift allowance.
 *
 * Reads share confirmation rounds: appends carry the round they were sent in, a round is confirmed
 * when a majority answers one of its appends, and one round at a time is in flight; reads that
 * arrive meanwhile wait for the next, so a burst of reads costs one round of messages, not one per
 * read.
 *
 * @module
 */
import { assert } from "../../../assert.ts";
import { pendingReadsMax } from "./limits.ts";
import { broadcastAppend } from "./replication.ts";
import type { CoreState } from "./state.ts";
import type { ClientRequest } from "./types.ts";

/**
 * Serves a read by ReadIndex; returns false when it must go through the log instead. Refuses the
 * read (answers ok: false) when `pendingReadsMax` reads already wait.
 */
export function readIndex(s: CoreState, from: number, request: ClientRequest): boolean {
  assert(s.role === "leader" && request.f === "get", "ReadIndex serves a leader's reads only");
  if (s.bugs.staleLeaderReads) {
    // Planted bug: the leader answers from its own state without confirming it still leads.
    answerFromState(s, from, request);
    return true;
  }
  // Until an entry of this term commits, the commit index may be behind what earlier leaders committed.
  if (s.log.termAt(s.commit) !== s.term) return false;
  if (s.pendingReads.length >= pendingReadsMax) {
    s.out.refusals.push({
      node: from,
      response: refusal(s, request),
    });
    return true;
  }
  // Appends sent before this read arrived prove nothing about now: it waits for the next round.
  s.pendingReads.push({
    readIndex: s.commit,
    round: s.readRound + 1,
    node: from,
    clientId: request.clientId,
    seq: request.seq,
    key: request.key,
  });
  startReadRound(s);
  return true;
}

/** A refusal of a client request: it did not happen, and another server may lead. */
export function refusal(s: CoreState, request: ClientRequest) {
  return {
    type: "response" as const,
    term: s.term,
    clientId: request.clientId,
    seq: request.seq,
    ok: false,
    value: null,
    leaderHint: s.leader,
    voters: s.current.voters,
  };
}

/**
 * A lease read (§6.4.1): answered from local state while the lease holds. The leader's own
 * entry of this term must have committed, so its state holds every earlier commit.
 */
export function leaseRead(s: CoreState, from: number, request: ClientRequest): boolean {
  assert(s.config.readMode === "lease", "a lease read without leases");
  if (s.nowUs >= s.leaseUntilUs || s.log.termAt(s.commit) !== s.term) return false;
  s.metric("raft_lease_reads", 1);
  answerFromState(s, from, request);
  return true;
}

/** Answers a read from this server's state machine now. */
function answerFromState(s: CoreState, from: number, request: ClientRequest): void {
  s.readReady({
    node: from,
    clientId: request.clientId,
    seq: request.seq,
    key: request.key,
    value: s.stateMachine.read(request.key),
    term: s.term,
  });
}

/**
 * A majority acknowledged appends sent at `readRoundSentUs`: none of them votes for another
 * candidate for an election timeout after receiving them, by its own clock. The lease counts
 * from the sending, on the leader's clock, cut short by the drift allowance: if the leader's
 * clock runs slow by up to ρ and a follower's fast by up to ρ, an election timeout on the
 * follower lasts at least (1 − ρ) / (1 + ρ) of one on the leader.
 */
function extendLease(s: CoreState): void {
  const timeout = s.config.electionTimeoutUsMin;
  const drift = s.config.leaseClockDriftMax;
  if (!(drift >= 0 && drift < 1)) assert(false, `lease clock drift ${drift} outside [0, 1)`);
  const until = s.bugs.leaseIgnoresClockSkew
    // Planted bug: a full election timeout from the acknowledgement, as if clocks agreed exactly.
    ? s.nowUs + timeout
    : s.readRoundSentUs + Math.floor(timeout * (1 - drift) / (1 + drift));
  s.leaseUntilUs = Math.max(s.leaseUntilUs, until);
}

/** Starts the next confirmation round if reads wait for it and none is in flight. */
export function startReadRound(s: CoreState): void {
  if (s.readRoundInFlight || !s.pendingReads.some((read) => read.round > s.readRound)) return;
  beginRound(s);
  broadcastAppend(s);
  maybeConfirmReadRound(s);
}

/** A new confirmation round: appends sent from now on carry its number. */
export function beginRound(s: CoreState): void {
  assert(!s.readRoundInFlight, "a confirmation round begins while one is in flight");
  s.readRound++;
  s.readRoundInFlight = true;
  s.readRoundSentUs = s.nowUs;
  s.readRoundAcks = new Set(s.isVoter(s.id) ? [s.id] : []);
}

/** Any voter's answer in our term to an append of the round in flight confirms we still lead. */
export function noteRoundAck(s: CoreState, from: number, round: number): void {
  if (!s.readRoundInFlight || round !== s.readRound || !s.isVoter(from)) return;
  s.readRoundAcks.add(from);
  maybeConfirmReadRound(s);
}

/** Confirms the round in flight once a majority answered it; extends the lease; serves reads. */
export function maybeConfirmReadRound(s: CoreState): void {
  if (s.readRoundAcks.size < s.majority()) return;
  s.readRoundConfirmed = s.readRound;
  s.readRoundInFlight = false;
  if (s.config.readMode === "lease" && s.transferTarget === -1 && s.noLeaseTerm !== s.term) extendLease(s);
  serveReads(s);
  startReadRound(s);
}

/** Answers the reads a majority has confirmed and the state machine has caught up with. */
export function serveReads(s: CoreState): void {
  let served = 0;
  while (served < s.pendingReads.length) {
    const read = s.pendingReads[served];
    if (read.round > s.readRoundConfirmed || s.applied < read.readIndex) break;
    served++;
    s.readReady({
      node: read.node,
      clientId: read.clientId,
      seq: read.seq,
      key: read.key,
      value: s.stateMachine.read(read.key),
      term: s.term,
    });
  }
  if (served > 0) s.pendingReads.splice(0, served);
}
