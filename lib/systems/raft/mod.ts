/**
 * Raft (Ongaro & Ousterhout, USENIX ATC 2014, and Ongaro's thesis) as state machines on the
 * kernel: servers with Pre-Vote, CheckQuorum, a durable WAL, snapshots sent in chunks, membership
 * change one server at a time, leadership transfer, ReadIndex and lease reads; a replicated
 * key-value store with client sessions; clients that find the leader; Raft's safety properties as
 * invariants; and the planted bugs. Its experiments are in `experiments/`.
 *
 * @example
 * ```ts
 * import { bugsFor, raftBugNames } from "./mod.ts";
 * raftBugNames.length; // 6
 * bugsFor("none").ackBeforeFsync; // false
 * ```
 * @module
 */
export * from "./types.ts";
export * from "./bugs.ts";
export * from "./node.ts";
export * from "./client.ts";
export * from "./invariants.ts";
export * from "./kv.ts";
export * from "./log.ts";
export * from "./membership.ts";
export * from "./quorum.ts";
export * from "./costs.ts";
export * from "./service_time.ts";
export * from "./wal/mod.ts";
export * from "./core/mod.ts";
