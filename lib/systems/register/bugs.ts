/**
 * The register's planted bugs: each a flag, off by default, consulted at exactly one place.
 *
 * @example
 * ```ts
 * import { registerBugsFor } from "./bugs.ts";
 * registerBugsFor("backupAcksBeforeApply").backupAcksBeforeApply; // true
 * ```
 * @module
 */

/** Planted bugs of the register's servers. */
export interface RegisterBugs {
  /**
   * The backup acknowledges a forwarded operation as soon as it arrives, before it has applied it
   * and made it durable (server.ts, `onForward`). The primary then answers the client, although
   * only the primary's disk holds the write. If the primary and the backup crash together, the view
   * service promotes the backup, which recovers from a disk without the write: an acknowledged
   * write is lost. The shape of the bug is the classic "acknowledge on receipt" of replication
   * protocols (the reason Viewstamped Replication and Raft followers persist before replying).
   * Caught by the linearizability check: a later read returns an older value.
   */
  backupAcksBeforeApply: boolean;
  /**
   * The primary answers `get` from its own state without forwarding it to the backup (server.ts,
   * `onRequest`), an optimisation that is only safe with leases. A primary cut off from the view
   * service and the backup keeps answering the clients that still reach it while the view service
   * has promoted the backup, which takes new writes: stale reads. Caught by the linearizability
   * check.
   */
  primaryReadsWithoutBackup: boolean;
}

/** Every bug's name, with what it breaks and which check catches it. */
export const registerBugDocs = {
  backupAcksBeforeApply:
    "the backup acknowledges a forward before applying and persisting it; a crash of primary and backup " +
    "loses acknowledged writes; caught by linearizability",
  primaryReadsWithoutBackup:
    "the primary answers reads alone; a partitioned old primary serves stale reads; caught by linearizability",
} as const satisfies Record<keyof RegisterBugs, string>;

/** Every bug's name. */
export const registerBugNames = Object.keys(registerBugDocs) as (keyof RegisterBugs)[];

/** The bug set with only `name` on ("none": the correct system). */
export function registerBugsFor(name: "none" | keyof RegisterBugs): RegisterBugs {
  return {
    backupAcksBeforeApply: name === "backupAcksBeforeApply",
    primaryReadsWithoutBackup: name === "primaryReadsWithoutBackup",
  };
}
