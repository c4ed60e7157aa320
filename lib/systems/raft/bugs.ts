/**
 * Planted bugs: switchable, documented, off by default, each a real bug from the literature or
 * from real systems, each consulted at exactly one place (in the core, or for ackBeforeFsync in
 * the adapter that acknowledges persistence), and each caught by a checker in the tests.
 *
 * @module
 */

/** Which planted bugs are on. */
export interface RaftBugs {
  /**
   * Acknowledge before fsync: replies and the leader's own commit count go out before the WAL
   * write is durable. A crash then loses entries a majority "had": committed writes vanish. The
   * classic durability bug (see the ALICE study, Pillai et al., OSDI 2014).
   */
  ackBeforeFsync: boolean;
  /**
   * Not persisting the vote: after a restart a server can vote twice in one term, so two leaders
   * can be elected in a term (Raft §5.2 requires votedFor on stable storage).
   */
  forgetVote: boolean;
  /**
   * Committing a previous-term entry by counting replicas: the situation of the Raft paper's
   * Figure 8, where such an entry can still be overwritten by a later leader (§5.4.2).
   */
  commitPreviousTerm: boolean;
  /**
   * Truncating the log before the snapshot is durable: entries are dropped as soon as the
   * snapshot write is issued, so a crash before its fsync loses committed entries with no
   * snapshot to replace them (the ordering §7 and every real implementation depend on).
   */
  truncateBeforeSnapshotDurable: boolean;
  /**
   * Serving reads from a stale leader without ReadIndex: the leader answers from its own state
   * without confirming that it still leads, so a deposed leader (isolated, not yet aware) returns
   * values a newer leader has already overwritten (§6.4; the bug etcd's early reads had).
   */
  staleLeaderReads: boolean;
  /**
   * Lease reads ignoring clock skew: the lease runs a full election timeout from when the
   * acknowledgements arrive, as if the leader's and followers' clocks ran at the same rate. A
   * leader whose clock runs slow keeps answering after followers elected a successor, returning
   * values the new leader has overwritten (why etcd and TiKV bound lease reads by a drift margin).
   */
  leaseIgnoresClockSkew: boolean;
}

/** Every bug's name, for the experiments' `bug` parameter. */
export const raftBugNames = [
  "ackBeforeFsync",
  "forgetVote",
  "commitPreviousTerm",
  "truncateBeforeSnapshotDurable",
  "staleLeaderReads",
  "leaseIgnoresClockSkew",
] as const;

/** Every bug, with what it breaks and which check catches it. */
export const raftBugDocs: Readonly<Record<typeof raftBugNames[number], string>> = {
  ackBeforeFsync: "acknowledges entries before they are durable; power failures of a majority lose " +
    "acknowledged writes (linearizability, lost-committed-writes)",
  forgetVote: "persists the term but not the vote; a restarted voter votes twice in a term (election-safety)",
  commitPreviousTerm: "commits a previous-term entry by counting replicas, the situation of Figure 8 " +
    "(state-machine-safety, linearizability)",
  truncateBeforeSnapshotDurable: "drops log entries before the snapshot covering them is durable; a crash " +
    "loses committed entries (the server refuses to restart)",
  staleLeaderReads: "a leader answers reads without confirming it still leads (linearizability)",
  leaseIgnoresClockSkew: "lease reads trust a full election timeout with no drift allowance (linearizability)",
};

/** All bugs off. */
export const noBugs: RaftBugs = {
  ackBeforeFsync: false,
  forgetVote: false,
  commitPreviousTerm: false,
  truncateBeforeSnapshotDurable: false,
  staleLeaderReads: false,
  leaseIgnoresClockSkew: false,
};

/** The bug set with only `name` on ("none": all off). */
export function bugsFor(name: string): RaftBugs {
  if (name === "none") return { ...noBugs };
  return { ...noBugs, [name]: true };
}
