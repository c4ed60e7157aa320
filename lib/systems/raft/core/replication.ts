/**
 * Log replication (§5.3) and commitment (§5.4.2): the AppendEntries receiver with fast
 * backtracking, the leader's flow control (an inflight window per follower) and pipelining,
 * heartbeats that repair dropped appends, CheckQuorum, and applying committed entries.
 *
 * @module
 */
import { assert } from "../../../assert.ts";
import { quorumIndex } from "../quorum.ts";
import { appliedPerReadyMax, inflightAppendsMax } from "./limits.ts";
import { maybePromote } from "./membership_change.ts";
import { beginRound, maybeConfirmReadRound, noteRoundAck, serveReads } from "./read.ts";
import { becomeFollower } from "./roles.ts";
import { expireSnapshotTransfers, maybeStartSnapshot, sendSnapshot } from "./snapshot.ts";
import type { CoreState } from "./state.ts";
import { continueTransfer } from "./transfer.ts";
import type { Entry, PeerMessage } from "./types.ts";
import { watchExpiryAfterApply } from "./expiry.ts";

/** A current leader's append or snapshot: follow it, and its contact holds off elections. */
export function heardFromLeader(s: CoreState, leader: number): void {
  assert(leader !== s.id, "a server hears from itself as leader");
  if (s.role !== "follower") becomeFollower(s, s.term, leader);
  s.leader = leader;
  s.lastLeaderContactUs = s.nowUs;
  s.resetElectionTimer();
}

/** AppendEntries receiver (Figure 2): consistency check, merge, commit, and answer. */
export function handleAppend(s: CoreState, from: number, message: Extract<PeerMessage, { type: "append" }>): void {
  assert(message.term === s.term, "an append of another term reaches the role handlers");
  heardFromLeader(s, message.leader);
  const prevTerm = s.log.termAt(message.prevIndex);
  if (message.prevIndex > s.log.lastIndex || (prevTerm !== undefined && prevTerm !== message.prevTerm)) {
    s.send(from, {
      type: "appendResponse",
      term: s.term,
      success: false,
      matchIndex: 0,
      conflictIndex: conflictIndex(s, message.prevIndex),
      round: message.round,
    });
    return;
  }
  const appended = s.log.merge(message.entries);
  s.membership.appended(appended);
  s.persistEntries(appended);
  const matchIndex = message.prevIndex + message.entries.length;
  advanceCommit(s, Math.min(message.commit, matchIndex));
  s.send(from, {
    type: "appendResponse",
    term: s.term,
    success: true,
    matchIndex,
    conflictIndex: 0,
    round: message.round,
  });
}

/** Where a leader should retry after a mismatch at `prevIndex`: the first index of the conflicting term. */
export function conflictIndex(s: CoreState, prevIndex: number): number {
  if (prevIndex > s.log.lastIndex) return s.log.lastIndex + 1;
  const term = s.log.termAt(prevIndex);
  let index = prevIndex;
  while (index > s.log.firstIndex && s.log.termAt(index - 1) === term) index--;
  const result = Math.max(1, index);
  if (!(result <= prevIndex + 1)) assert(false, `conflict index ${result} past the probe at ${prevIndex}`);
  return result;
}

/** The leader hears a follower's answer: progress, commit, promotion, and what to send next. */
export function handleAppendResponse(
  s: CoreState,
  from: number,
  message: Extract<PeerMessage, { type: "appendResponse" }>,
): void {
  if (s.role !== "leader") return;
  noteRoundAck(s, from, message.round);
  s.recentlyActive.add(from);
  if (message.success) {
    if (!(message.matchIndex <= s.log.lastIndex)) {
      assert(false, `follower ${from} matches ${message.matchIndex}, past our log`);
    }
    s.matchIndex.set(from, Math.max(s.matchIndex.get(from) ?? 0, message.matchIndex));
    s.nextIndex.set(from, Math.max(s.nextIndex.get(from) ?? 1, message.matchIndex + 1));
    s.inflight.set(from, Math.max(0, (s.inflight.get(from) ?? 0) - 1));
    const sending = s.snapshotProgress.get(from);
    if (sending !== undefined && message.matchIndex >= sending.index) s.snapshotProgress.delete(from);
    if (from === s.transferTarget) continueTransfer(s);
    maybeCommit(s);
    maybePromote(s, from);
    replicate(s, from);
    return;
  }
  // Probe: rewind to where the follower's log may match and send one append from there.
  s.nextIndex.set(from, Math.max(1, Math.min(message.conflictIndex, (s.nextIndex.get(from) ?? 1) - 1)));
  s.inflight.set(from, 0);
  sendAppend(s, from);
}

/** Sends every member the entries it lacks (or an empty append). */
export function broadcastAppend(s: CoreState): void {
  for (const server of s.peers()) sendAppend(s, server);
}

/**
 * Flow control, as etcd's replicate state has it: at most `inflightAppendsMax` appends with
 * entries are outstanding per follower; entries that arrive meanwhile wait and go out together
 * when an acknowledgement frees a slot, so load batches instead of multiplying messages.
 */
export function replicate(s: CoreState, server: number): void {
  if (s.role !== "leader") return;
  const next = s.nextIndex.get(server) ?? s.log.lastIndex + 1;
  // A follower behind the compacted log gets the snapshot, which paces itself (one chunk in
  // flight): counting it against the append window would starve the follower of resends.
  if (next <= s.log.snapshotIndex) return sendSnapshot(s, server);
  const inflight = s.inflight.get(server) ?? 0;
  if (!(inflight <= inflightAppendsMax)) assert(false, `${inflight} appends in flight to ${server}`);
  if (next > s.log.lastIndex || inflight >= inflightAppendsMax) return;
  s.inflight.set(server, inflight + 1);
  sendAppend(s, server);
}

/**
 * Every heartbeat interval: an empty append at the follower's known match point (always
 * accepted; it carries the commit index), and, when appends may have been lost (entries are
 * outstanding but the follower's match point has not moved since the last beat), a resend from
 * the match point. Acknowledgements of empty appends do not count as progress: an idle leader
 * must still repair a follower whose last append was dropped.
 */
export function heartbeat(s: CoreState): void {
  if (!(s.role === "leader")) assert(false, `a ${s.role} heartbeats`);
  // Under leases every beat is a confirmation round: its acknowledgements renew the lease.
  if (s.config.readMode === "lease" && !s.readRoundInFlight) {
    beginRound(s);
    maybeConfirmReadRound(s);
  }
  for (const server of s.peers()) {
    expireSnapshotTransfers(s, server);
    const match = s.matchIndex.get(server) ?? 0;
    const outstanding = (s.nextIndex.get(server) ?? 0) > match + 1;
    if (outstanding && s.matchAtBeat.get(server) === match) {
      s.inflight.set(server, 0);
      s.nextIndex.set(server, match + 1);
    }
    s.matchAtBeat.set(server, match);
    if ((s.nextIndex.get(server) ?? 0) <= s.log.lastIndex) replicate(s, server);
    else sendHeartbeat(s, server);
  }
}

/** An empty append at the follower's known match point: always accepted; it carries the commit index. */
export function sendHeartbeat(s: CoreState, server: number): void {
  const match = s.matchIndex.get(server) ?? 0;
  sendEntries(s, server, Math.max(s.log.firstIndex - 1, Math.min(match, s.log.lastIndex)), []);
}

/** Sends the entries from the follower's next index (pipelined), or the snapshot when compacted away. */
export function sendAppend(s: CoreState, server: number): void {
  assert(server !== s.id, "a leader appends to itself");
  if ((s.nextIndex.get(server) ?? s.log.lastIndex + 1) <= s.log.snapshotIndex) return sendSnapshot(s, server);
  const next = Math.max(s.log.firstIndex, s.nextIndex.get(server) ?? s.log.lastIndex + 1);
  const entries = s.log.slice(next, s.log.lastIndex + 1, s.config.entriesPerAppendMax);
  sendEntries(s, server, next - 1, entries);
  // Pipelining: assume the entries arrive and send what follows next time; a rejection rewinds.
  if (entries.length > 0) s.nextIndex.set(server, entries[entries.length - 1].index + 1);
}

/** An append of `entries` after `prevIndex`, carrying the commit index and the read round. */
function sendEntries(s: CoreState, server: number, prevIndex: number, entries: Entry[]): void {
  s.send(server, {
    type: "append",
    term: s.term,
    leader: s.id,
    prevIndex,
    prevTerm: s.log.termAt(prevIndex)!,
    entries,
    commit: s.commit,
    round: s.readRound,
  });
}

/** Commits the highest index a majority holds, if it is of the current term (§5.4.2, Figure 8). */
export function maybeCommit(s: CoreState): void {
  if (s.role !== "leader") return;
  // A leader that is removing itself still leads until the change commits, but does not count itself.
  const matches = s.current.voters.map((server) => server === s.id ? s.durableIndex : s.matchIndex.get(server) ?? 0);
  const candidate = quorumIndex(matches);
  if (candidate <= s.commit) return;
  if (s.log.termAt(candidate) !== s.term && !s.bugs.commitPreviousTerm) return;
  advanceCommit(s, candidate);
}

/** Raises the commit index (never past the log), applies, and acts on what the commit enables. */
export function advanceCommit(s: CoreState, index: number): void {
  if (index <= s.commit) return;
  s.commit = Math.min(index, s.log.lastIndex);
  applyCommitted(s);
  if (s.role === "leader" && !s.isVoter(s.id) && s.membership.latestIndex <= s.commit) {
    // The configuration that removed this leader is committed: it steps down (§4.2.2 of the thesis).
    s.metric("raft_leader_removed", s.term);
    becomeFollower(s, s.term, -1);
  }
  if (s.role === "leader") serveReads(s);
  maybeStartSnapshot(s);
}

/** Applies committed entries in order and answers the clients that proposed them. */
export function applyCommitted(s: CoreState): void {
  if (!(s.commit - s.applied <= appliedPerReadyMax)) assert(false, `${s.commit - s.applied} entries to apply at once`);
  while (s.applied < s.commit) {
    s.applied++;
    const entry = s.log.entry(s.applied);
    const result = s.stateMachine.apply(entry.command);
    s.out.committed.push(entry);
    if (s.role === "leader") watchExpiryAfterApply(s, entry.command);
    const waiting = s.pendingClients.get(s.applied);
    if (waiting === undefined) continue;
    s.pendingClients.delete(s.applied);
    // Answer only if the entry is the client's command: a new leader may have overwritten it.
    const command = entry.command;
    const mine = command.kind === "op" && command.clientId === waiting.clientId && command.seq === waiting.seq;
    s.respond({
      node: waiting.node,
      response: {
        type: "response",
        term: s.term,
        clientId: waiting.clientId,
        seq: waiting.seq,
        ok: mine && result.ok,
        value: mine ? result.value : null,
        leaderHint: s.id,
        ...(mine && result.error !== undefined ? { error: result.error } : {}),
      },
    });
  }
}

/** CheckQuorum: a leader that heard from no majority over an election timeout steps down. */
export function checkQuorum(s: CoreState): void {
  assert(s.role === "leader" && s.config.checkQuorum, "CheckQuorum runs only on a leader that has it on");
  const voters = s.current.voters;
  let active = voters.includes(s.id) ? 1 : 0;
  for (const server of s.recentlyActive) if (server !== s.id && voters.includes(server)) active++;
  if (active < s.majority()) {
    s.metric("raft_check_quorum_step_down", s.term);
    becomeFollower(s, s.term, -1);
    return;
  }
  s.recentlyActive.clear();
  s.checkQuorumDeadlineUs = s.nowUs + s.config.electionTimeoutUsMin;
}
