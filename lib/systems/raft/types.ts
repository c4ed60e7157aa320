/**
 * Raft's data: log entries, the durable hard state, messages between servers and with clients,
 * and the configuration (units in the names).
 *
 * @module
 */

/** A client command, or a no-op a new leader appends to commit entries of earlier terms (§5.4.2). */
export type Command =
  | { kind: "noop" }
  /** A new cluster configuration (§4.1 of Ongaro's thesis): in force from the moment it is appended. */
  | { kind: "config"; voters: number[]; learners: number[] }
  /**
   * A leader's expiry of a key whose time to live passed on its clock (etcd's lease revoke): every
   * server deletes the key on applying it, unless a later write (another `version`) replaced it.
   */
  | { kind: "expire"; key: string; version: number }
  | {
    kind: "op";
    clientId: number;
    seq: number;
    f: RaftOperation;
    key: string;
    /** The value written: for `cas` the new one; null for `get` and `delete`. */
    value: string | null;
    /** For `cas`: the value the key must hold for the new one to be written. */
    expected?: string;
    /** For `put`: the key is deleted about this long after the write is applied (expiry.ts in core). */
    ttlUs?: number;
  };

/**
 * What a client asks of the key-value state machine: `get`, `put`, `append`, `delete`, and `cas`
 * (compare-and-set: write the new value only if the key holds the expected one, which the
 * linearizable log makes atomic).
 */
export type RaftOperation = "get" | "put" | "append" | "delete" | "cas";

/** The operations of {@linkcode RaftOperation}, for validation and error messages. */
export const raftOperations: readonly RaftOperation[] = ["get", "put", "append", "delete", "cas"];

/** One log entry. */
export interface Entry {
  term: number;
  index: number;
  command: Command;
}

/** What must survive a crash besides the log: persisted before any reply that depends on it (§5.1). */
export interface HardState {
  term: number;
  /** The candidate voted for in `term`, or -1. */
  vote: number;
  commit: number;
}

/** Messages between servers. */
export type PeerMessage =
  | {
    type: "vote";
    term: number;
    candidate: number;
    lastIndex: number;
    lastTerm: number;
    pre: boolean;
    /** Set by a candidate the leader handed over to (TimeoutNow): voters skip leader stickiness. */
    transfer?: boolean;
  }
  /** Leadership transfer (§3.10 of Ongaro's thesis): campaign now, the log being up to date. */
  | { type: "timeoutNow"; term: number }
  | { type: "voteResponse"; term: number; granted: boolean; pre: boolean }
  | {
    type: "append";
    term: number;
    leader: number;
    prevIndex: number;
    prevTerm: number;
    entries: Entry[];
    commit: number;
    /** The leader's read round when sent; echoed back, it confirms leadership for ReadIndex (§6.4). */
    round: number;
  }
  | {
    /** InstallSnapshot (§7): a chunk of the leader's snapshot file, for a follower behind its compacted log. */
    type: "snapshot";
    term: number;
    leader: number;
    index: number;
    snapshotTerm: number;
    /** Where in the snapshot file the chunk starts. */
    offset: number;
    chunk: Uint8Array;
    /** The last chunk. */
    done: boolean;
  }
  /** A follower wrote a chunk (or expects another offset): the leader sends from `nextOffset`. */
  | { type: "snapshotAck"; term: number; index: number; nextOffset: number }
  | {
    type: "appendResponse";
    term: number;
    success: boolean;
    /** On success: the last index the follower now holds durably from this leader's log. */
    matchIndex: number;
    /** On failure: where the leader should retry (fast backtracking, §5.3's optimisation). */
    conflictIndex: number;
    /** The round of the append answered (0 for snapshots). */
    round: number;
  };

/** Messages between clients and servers. */
export type ClientMessage =
  | {
    type: "request";
    clientId: number;
    seq: number;
    f: RaftOperation;
    key: string;
    value: string | null;
    /** For `cas`: the value the key must hold. */
    expected?: string;
    /** For `put`: the key's time to live. */
    ttlUs?: number;
  }
  | {
    type: "response";
    clientId: number;
    seq: number;
    ok: boolean;
    value: string | null;
    /**
     * Set when the command was applied and refused by the state machine itself (a `cas` that
     * found another value): a definite answer, unlike a refusal to take the request, which the
     * client retries elsewhere. `value` is then what the key held.
     */
    error?: "casMismatch";
    leaderHint: number;
    /** The answering server's term when it made the answer (which leader's answer it is). */
    term: number;
    /**
     * On a refusal: the voters of the answering server's latest configuration, so a client learns
     * who may lead (a removed server names the servers that replaced it, not itself).
     */
    voters?: readonly number[];
  }
  /** An operator's request to hand leadership to `target`; only the leader acts on it. */
  | { type: "transferLeadership"; target: number }
  /** An operator's request to add a server (as a learner, promoted once caught up) or remove one. */
  | { type: "changeMembership"; change: "add" | "remove"; server: number }
  /**
   * An operator's request that the leader send empty appends to every follower at once (the
   * adapter steps the core's `beat` input, etcd's MsgBeat). The Raft paper's Figure 16 harness did
   * this just before crashing the leader, to synchronise the followers' election timers and
   * provoke split votes.
   */
  | { type: "heartbeatNow" };

/** Every message of the protocol. */
export type RaftMessage = PeerMessage | ClientMessage;

/** Settings of a Raft cluster. */
export interface RaftConfig {
  /**
   * The voters the cluster is bootstrapped with: the configuration before any config entry. A
   * server outside it starts as a bystander that waits to be added.
   */
  servers: number[];
  electionTimeoutUsMin: number;
  electionTimeoutUsMax: number;
  heartbeatIntervalUs: number;
  /** Most entries sent in one append message. */
  entriesPerAppendMax: number;
  /** Pre-Vote (§9.6 of Ongaro's thesis): a partitioned server does not disrupt with term bumps. */
  preVote: boolean;
  /** CheckQuorum: a leader that hears no majority within an election timeout steps down. */
  checkQuorum: boolean;
  /** Take a snapshot every this many applied entries (0: never). */
  snapshotEveryEntries: number;
  /** Take a snapshot once the WAL holds this many bytes (0: never); either cadence triggers one. */
  snapshotEveryWalBytes: number;
  /** Entries kept before a snapshot's index, for followers slightly behind. */
  snapshotTailEntries: number;
  /** InstallSnapshot sends the snapshot file in chunks of at most this many bytes. */
  snapshotChunkBytes: number;
  /**
   * How reads are served: through the log; by ReadIndex (§6.4: confirm leadership, then read);
   * or under a leader lease (§6.4.1: answer locally while a majority's recent acknowledgement
   * promises no other leader can exist yet, which relies on bounded clock drift).
   */
  readMode: "log" | "readIndex" | "lease";
  /**
   * The largest rate error (a fraction) a lease allows each clock: the lease is cut short so that
   * a leader whose clock runs this much slow expires it before followers whose clocks run this
   * much fast stop honouring it. Drift beyond it makes lease reads unsafe.
   */
  leaseClockDriftMax: number;
  /**
   * When a follower's election timer restarts besides hearing the current leader, granting a vote
   * and starting an election (which every rule does). See {@linkcode ElectionTimerRule}.
   */
  electionTimerRule: ElectionTimerRule;
}

/**
 * What else restarts a server's election timer when it steps down to follower.
 *
 * - `"figure2"`: nothing. Figure 2 of the Raft paper names only hearing the current leader and
 *   granting a vote; a candidate that learns a higher term from a candidate that cannot win keeps
 *   its deadline, and a deposed leader, whose timer has not restarted since it campaigned,
 *   campaigns at once unless it first grants a vote or hears a leader.
 * - `"logcabin"`: a leader that steps down starts a fresh timer; others keep theirs (LogCabin,
 *   the paper's implementation: `RaftConsensus::stepDown` sets the timer only when the server
 *   was leader).
 * - `"etcd"` (the default): every step down restarts the timer, a higher term learnt from any
 *   message included (etcd's `becomeFollower` calls `reset`). Followers then stay quiet longer
 *   after a disruptive candidate, at the price of slower elections while candidates that cannot
 *   win keep raising the term.
 */
export type ElectionTimerRule = "figure2" | "logcabin" | "etcd";

/** The election timer rules, for parameters and error messages. */
export const electionTimerRules: readonly ElectionTimerRule[] = ["figure2", "logcabin", "etcd"];

/** Sensible defaults: timeouts of 150-300 ms as the paper suggests, heartbeats every 50 ms. */
export const raftConfigDefaults: Omit<RaftConfig, "servers"> = {
  electionTimeoutUsMin: 150_000,
  electionTimeoutUsMax: 300_000,
  heartbeatIntervalUs: 50_000,
  entriesPerAppendMax: 64,
  preVote: true,
  checkQuorum: true,
  snapshotEveryEntries: 1000,
  snapshotEveryWalBytes: 0,
  snapshotTailEntries: 100,
  snapshotChunkBytes: 64 * 1024,
  readMode: "readIndex",
  leaseClockDriftMax: 0.1,
  electionTimerRule: "etcd",
};
