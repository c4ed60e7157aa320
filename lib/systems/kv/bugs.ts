/**
 * The store's planted bugs: each a flag, off by default, consulted at exactly one place.
 *
 * @example
 * ```ts
 * import { kvBugsFor } from "./bugs.ts";
 * kvBugsFor("lwwWallClock").lwwWallClock; // true
 * ```
 * @module
 */

/** Planted bugs of the store's nodes. */
export interface KvBugs {
  /**
   * Last-writer-wins stamps a write with the coordinator's wall clock alone, not the hybrid logical
   * clock (node.ts, `timestampFor`). A client's second write, coordinated by a node whose clock is
   * behind the first coordinator's, gets the older timestamp and loses: an acknowledged write
   * silently disappears although its writer wrote it last. Caught by `lost-session-writes` under
   * clock skew.
   */
  lwwWallClock: boolean;
  /**
   * The coordinator counts its own durable write twice toward W (node.ts, `acknowledge`): with
   * W = 2 it answers once its own disk holds the write, before any other replica has it. A read
   * quorum that misses the coordinator then returns the older value. Caught by linearizability in
   * `quorum` mode under partitions.
   */
  coordinatorCountsSelfTwice: boolean;
  /**
   * Hints for a down replica are kept in memory only (node.ts, `storeHint`): a substitute that
   * restarts forgets them, and the write it acknowledged on the replica's behalf never reaches it.
   * Caught by the `acknowledged-copies` invariant (an acknowledged write held by fewer nodes than
   * acknowledged it).
   */
  hintsDropOnRestart: boolean;
  /**
   * Read repair overwrites a replica's versions with the ones the read merged instead of merging
   * into them (node.ts, `onReplicate`). A write that reached the replica after the read's fetch is
   * wiped out by the repair. Caught by `lost-session-writes` and linearizability.
   */
  readRepairOverwritesNewer: boolean;
  /**
   * Tombstones are collectable as soon as a flush or compaction meets them, gc_grace ignored
   * (node.ts, `collectable`): a replica that missed the delete (down, or cut off, for far less
   * than gc_grace) still holds the old value, and once the others have dropped the tombstone,
   * anti-entropy, read repair or a read quorum that meets it brings the deleted value back. The
   * failure Cassandra's gc_grace_seconds exists to prevent (and that a repair must beat). Caught
   * by `no-resurrected-deletes`.
   */
  tombstonesBeforeSeen: boolean;
}

/** Every bug's name, with what it breaks and which check catches it. */
export const kvBugDocs = {
  lwwWallClock:
    "last-writer-wins on the coordinator's wall clock; under clock skew a client's later write loses to its " +
    "earlier one; caught by lost-session-writes",
  coordinatorCountsSelfTwice: "the coordinator counts its own write twice toward W; a write is acknowledged on one " +
    "replica; caught by linearizability in quorum mode",
  hintsDropOnRestart: "hinted handoff keeps hints in memory only; a substitute's restart loses acknowledged writes; " +
    "caught by acknowledged-copies",
  readRepairOverwritesNewer: "read repair replaces a replica's versions instead of merging; a newer write is wiped " +
    "out; caught by lost-session-writes and linearizability",
  tombstonesBeforeSeen: "compaction collects tombstones at once, ignoring gc_grace; a replica that missed a delete " +
    "brings the deleted value back; caught by no-resurrected-deletes",
} as const satisfies Record<keyof KvBugs, string>;

/** Every bug's name. */
export const kvBugNames = Object.keys(kvBugDocs) as (keyof KvBugs)[];

/** The bug set with only `name` on ("none": the correct store). */
export function kvBugsFor(name: "none" | keyof KvBugs): KvBugs {
  return {
    lwwWallClock: name === "lwwWallClock",
    coordinatorCountsSelfTwice: name === "coordinatorCountsSelfTwice",
    hintsDropOnRestart: name === "hintsDropOnRestart",
    readRepairOverwritesNewer: name === "readRepairOverwritesNewer",
    tombstonesBeforeSeen: name === "tombstonesBeforeSeen",
  };
}
