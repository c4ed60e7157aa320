/**
 * The store's messages and settings.
 *
 * @module
 */
import type { Timestamp } from "./hlc.ts";
import type { Sibling, VersionVector } from "./versions.ts";

/** How a leaderless request is served. */
export type KvMode = "quorum" | "one" | "session";

/**
 * The consistency levels a request of the leaderless modes may choose (Cassandra's ONE, QUORUM,
 * ALL): R or W of 1, of the run's `r` or `w`, or of N. A request without one takes its mode's
 * (`quorum`: r and w; `one` and `session`: 1).
 */
export const kvLevels = ["one", "quorum", "all"] as const;
/** A request's consistency level. */
export type KvLevel = typeof kvLevels[number];

/**
 * What a store does with concurrent versions of a key (siblings):
 * - `lww`: last-writer-wins by hybrid logical clock; the newest survives, the others are dropped.
 * - `keep`: every sibling is kept and a read returns them all (their values sorted and joined by
 *   {@linkcode siblingSeparator}); the client's next write, whose context covers what it read,
 *   replaces them (Riak's `allow_mult`, Dynamo's "the client reconciles").
 * - `merge`: siblings are kept, and the store resolves them by a merge function: a read returns the
 *   union of the elements of every sibling's value (a value is a set of elements separated by
 *   {@linkcode elementSeparator}), and a write's new sibling takes in the elements of every
 *   sibling it replaces at the coordinator. With clients that add to what they read, no
 *   acknowledged element is lost, which last-writer-wins cannot promise.
 */
export type SiblingPolicy = "lww" | "keep" | "merge";

/** Every sibling policy. */
export const siblingPolicies: readonly SiblingPolicy[] = ["lww", "keep", "merge"];

/** Between the elements of a set value (`merge` policy, `add` puts). */
export const elementSeparator = " ";
/** Between the siblings a `keep` read returns. */
export const siblingSeparator = "|";

/** What the nodes of one store share. */
export interface KvSettings {
  /** Replication factor N. */
  n: number;
  /** Read quorum R of `quorum` mode (`one` and `session` read one replica). */
  r: number;
  /** Write quorum W of `quorum` mode (`one` and `session` write one). */
  w: number;
  /** Stand-in replicas for down home replicas (sloppy quorum with hinted handoff). */
  sloppyQuorum: boolean;
  /** Repair stale replicas a read met: off, after answering, or before answering. */
  readRepair: "off" | "async" | "blocking";
  /** How long a coordinator waits for a replica before asking a stand-in. */
  replicaTimeoutUs: number;
  /** How long a coordinator works on a request before answering that it is unavailable. */
  requestTimeoutUs: number;
  /** How often a node offers its hints to the replicas they are for. */
  handoffEveryUs: number;
  /** How often a node compares its keys with a peer's (anti-entropy); 0: never. */
  antiEntropyEveryUs: number;
  /**
   * How long a tombstone (or an expired value) is kept before compaction may collect it, by the
   * collecting node's clock from the delete's timestamp (Cassandra's gc_grace_seconds). Every
   * replica must see the delete within it: one down longer can bring the deleted value back.
   */
  gcGraceUs: number;
  /** Bytes of records a node's memtable holds before it is flushed to a sorted run. */
  memtableBytesMax: number;
  /** Runs of a similar size that the size-tiered compaction merges at once. */
  tierRunsMin: number;
  /** How often a node looks for a compaction to start (and samples its tombstone gauge). */
  compactionEveryUs: number;
  /** What happens to concurrent versions of a key: see {@linkcode SiblingPolicy}. */
  siblings: SiblingPolicy;
}

/** Settings a store starts from. */
export const kvSettingsDefaults: KvSettings = {
  n: 3,
  r: 2,
  w: 2,
  sloppyQuorum: true,
  readRepair: "blocking",
  replicaTimeoutUs: 20_000,
  requestTimeoutUs: 150_000,
  handoffEveryUs: 100_000,
  antiEntropyEveryUs: 200_000,
  gcGraceUs: 10_000_000,
  memtableBytesMax: 16_384,
  tierRunsMin: 4,
  compactionEveryUs: 100_000,
  siblings: "lww",
};

/** A client's request: the quorums it asks for travel with it, so a mode can be chosen per request. */
export type KvRequest =
  | { type: "get"; id: number; key: string; r: number }
  | {
    type: "put";
    id: number;
    key: string;
    /** The new value; null deletes (a tombstone). */
    value: string | null;
    /** What the client had read of the key: the versions it replaces. */
    context: VersionVector;
    /** The latest timestamp the client has seen, so its write follows everything it read or wrote. */
    seen: Timestamp;
    w: number;
    /** The value expires this long after the coordinator's clock at the write; absent: never. */
    ttlUs?: number;
  };

/** A coordinator's answer. */
export type KvReply =
  | {
    type: "reply";
    id: number;
    ok: true;
    /** The value read (null: none or deleted), or the value written. */
    value: string | null;
    context: VersionVector;
    timestamp: Timestamp;
  }
  | {
    type: "reply";
    id: number;
    ok: false;
    /**
     * `notHome`, `stopped` and `busy` refuse before anything is applied (a definite no);
     * `unavailable` means too few replicas answered in time, after some may have applied a write.
     */
    error: "notHome" | "stopped" | "busy" | "unavailable";
    homes?: readonly number[];
  };

/** Between nodes. */
export type KvPeerMessage =
  /** Merge these versions of `key` (hintFor ≥ 0: keep them for that node); answer once durable. */
  | { type: "replicate"; rid: number; key: string; siblings: Sibling[]; hintFor: number; repair: boolean }
  | { type: "replicated"; rid: number; ok: boolean }
  | { type: "fetch"; rid: number; key: string }
  | { type: "fetched"; rid: number; siblings: Sibling[] }
  /** Anti-entropy: the hashes of `nodes` of one level of the sender's hash tree of the keys both hold. */
  | { type: "merkle"; level: number; nodes: number[]; hashes: number[] }
  /** Anti-entropy: every key of the differing leaves, to merge; `reply` asks for the same back. */
  | { type: "exchange"; entries: [string, Sibling[]][]; leaves: number[]; reply: boolean };

/** Every message of the store. */
export type KvMessage = KvRequest | KvReply | KvPeerMessage;
