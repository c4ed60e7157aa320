/**
 * The key-value store in any of its modes, as one system for the harness: the leaderless modes run
 * the store's own nodes ({@linkcode kvSystem}); the CP modes, `linearizable` (ReadIndex reads) and
 * `lease` (leader-lease reads), replicate the same operations through Raft: its core, WAL, snapshots
 * and client sessions, with the key-value state machine Raft's servers apply. A mode is then a
 * parameter a sweep can vary like any other.
 *
 * @example
 * ```ts
 * import { kvStoreSystem } from "./store.ts";
 * Object.keys(kvStoreSystem.bugs).length; // the leaderless store's bugs
 * ```
 * @module
 */
import { InputError } from "../../../assert.ts";
import type { ClusterHandle, SystemDefinition } from "../../../harness/mod.ts";
import type { RaftMessage } from "../../raft/mod.ts";
import { type RaftCluster, type RaftOptions, raftSystem } from "../../raft/experiments/mod.ts";
import { kvBugDocs, type KvMessage, type KvMode } from "../mod.ts";
import { type KvCluster, type KvOptions, kvSystem } from "./system.ts";

/** Every mode of the store: the CP modes on Raft, then the leaderless ones. */
export const kvStoreModes = ["linearizable", "lease", "quorum", "one", "session"] as const;

/** A mode of the store. */
export type KvStoreMode = typeof kvStoreModes[number];

/** How to build the store in any mode. */
export interface KvStoreOptions extends Omit<KvOptions, "mode"> {
  mode: KvStoreMode;
}

/** Whether a mode replicates through Raft. */
export function isRaftMode(mode: KvStoreMode): mode is "linearizable" | "lease" {
  return mode === "linearizable" || mode === "lease";
}

/** The Raft cluster's options for a CP mode: every server a voter, reads as the mode says. */
function raftOptionsOf(options: KvStoreOptions): RaftOptions {
  if (options.bug !== "none") {
    throw new InputError(
      `bug ${options.bug} is a bug of the leaderless nodes; mode ${options.mode} runs on Raft (choose a mode of ` +
        "quorum, one or session, or bug none)",
    );
  }
  return {
    servers: options.servers,
    bug: "none",
    config: { readMode: options.mode === "lease" ? "lease" : "readIndex" },
    clientTimeoutUs: options.clientTimeoutUs,
  };
}

/** The store on the harness, in the mode its options name. */
export const kvStoreSystem: SystemDefinition<KvMessage | RaftMessage, KvStoreOptions, KvCluster | RaftCluster> = {
  name: "kv",
  bugs: kvBugDocs,
  build(sim, options): KvCluster | RaftCluster {
    if (isRaftMode(options.mode)) return raftSystem.build(sim, raftOptionsOf(options));
    return kvSystem.build(sim, { ...options, mode: options.mode as KvMode });
  },
  client(context, cluster: ClusterHandle, options) {
    if (isRaftMode(options.mode)) {
      return raftSystem.client(context as never, cluster as RaftCluster, raftOptionsOf(options)) as never;
    }
    return kvSystem.client(context as never, cluster as KvCluster, {
      ...options,
      mode: options.mode as KvMode,
    }) as never;
  },
};
