/**
 * Raft's data: log entries, the durable hard state, messages between servers and with clients,
 * and the configuration (units in the names).
 *
 * @module
 */

/** A client command, or a no-op a new leader appends to commit entries of earlier terms (§5.4.2). */
export type Command =
  | { kind: "noop" }
  | { kind: "op"; clientId: number; seq: number; f: "get" | "put" | "append"; key: string; value: string | null };

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
    /** InstallSnapshot (§7): the leader's snapshot for a follower behind its compacted log. */
    type: "snapshot";
    term: number;
    leader: number;
    index: number;
    snapshotTerm: number;
    /** The state machine's snapshot (JSON text). */
    data: string;
  }
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
  | { type: "request"; clientId: number; seq: number; f: "get" | "put" | "append"; key: string; value: string | null }
  | { type: "response"; clientId: number; seq: number; ok: boolean; value: string | null; leaderHint: number }
  /** An operator's request to hand leadership to `target`; only the leader acts on it. */
  | { type: "transferLeadership"; target: number };

/** Every message of the protocol. */
export type RaftMessage = PeerMessage | ClientMessage;

/** Settings of a Raft cluster. */
export interface RaftConfig {
  /** Server node ids (the voting members). */
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
  /** Entries kept before a snapshot's index, for followers slightly behind. */
  snapshotTailEntries: number;
  /** How reads are served: through the log, or by ReadIndex (§6.4: confirm leadership, then read). */
  readMode: "log" | "readIndex";
}

/** Sensible defaults: timeouts of 150-300 ms as the paper suggests, heartbeats every 50 ms. */
export const raftConfigDefaults: Omit<RaftConfig, "servers"> = {
  electionTimeoutUsMin: 150_000,
  electionTimeoutUsMax: 300_000,
  heartbeatIntervalUs: 50_000,
  entriesPerAppendMax: 64,
  preVote: true,
  checkQuorum: true,
  snapshotEveryEntries: 1000,
  snapshotTailEntries: 100,
  readMode: "readIndex",
};
