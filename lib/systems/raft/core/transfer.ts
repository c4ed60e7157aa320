/**
 * Leadership transfer (§3.10 of Ongaro's thesis): the leader stops taking entries, brings the
 * target's log up to date, then sends it TimeoutNow; it gives up after an election timeout.
 *
 * @module
 */
import { assert } from "../../../assert.ts";
import { sendAppend } from "./replication.ts";
import type { CoreState } from "./state.ts";

/** An operator asks the leader to hand over to `target`; anyone else ignores it. */
export function startTransfer(s: CoreState, target: number): void {
  if (s.role !== "leader" || target === s.id || !s.isVoter(target)) return;
  s.transferTarget = target;
  // The target will campaign past every follower's stickiness, so the lease promises nothing now.
  s.leaseUntilUs = -Infinity;
  s.timeoutNowSent = false;
  s.transferDeadlineUs = s.nowUs + s.config.electionTimeoutUsMin;
  s.metric("raft_transfer_started", target);
  continueTransfer(s);
}

/** Sends TimeoutNow once the target holds the whole log; gives up after an election timeout. */
export function continueTransfer(s: CoreState): void {
  const target = s.transferTarget;
  if (target === -1 || s.role !== "leader") return;
  assert(target !== s.id, "a leader transfers to itself");
  if (s.nowUs > s.transferDeadlineUs) {
    s.metric("raft_transfer_aborted", target);
    s.transferTarget = -1;
    return;
  }
  if (s.timeoutNowSent) return;
  if ((s.matchIndex.get(target) ?? 0) >= s.log.lastIndex) {
    // Writes stay refused until the target wins (this leader then steps down) or the deadline
    // passes: an entry taken now would leave the target's log behind and lose it the election.
    s.send(target, { type: "timeoutNow", term: s.term });
    s.timeoutNowSent = true;
    // The target may act on it however late it arrives, past every follower's stickiness, even
    // after this transfer is abandoned: no lease may be trusted for the rest of the term.
    s.noLeaseTerm = s.term;
    return;
  }
  sendAppend(s, target);
}
