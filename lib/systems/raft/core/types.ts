/**
 * The vocabulary of the pure Raft core: its inputs, its `Ready` (what the caller must do, in
 * order), the state machine it replicates into, and its source of randomness. Nothing here knows
 * the kernel: the adapter (`../node.ts`) turns kernel events into {@linkcode CoreInput}s and a
 * {@linkcode Ready} into disk writes, fsyncs, sends and metrics.
 *
 * Time. etcd's raft counts logical ticks; this core instead receives the node's monotonic clock
 * (`nowUs`) with every input and keeps deadlines (election, heartbeat, CheckQuorum) in
 * microseconds, and the adapter wakes it with a `tick` at the earliest one
 * ({@linkcode RaftCore.nextDeadlineUs}). Why not ticks: the election timeout is drawn at
 * microsecond resolution, and a leader lease counts from the instant its round was sent, cut short
 * by the drift allowance (§6.4.1); quantising both to a tick would change every experiment's
 * figures and give every node a periodic event, costing simulation speed for nothing. The core
 * stays deterministic: the same inputs with the same `nowUs` give the same output.
 *
 * @module
 */
import type { Membership } from "../membership.ts";
import type { ClientMessage, Command, Entry, HardState, PeerMessage } from "../types.ts";

/** The result of applying a command to a {@linkcode StateMachine}. */
export interface ApplyResult {
  ok: boolean;
  value: string | null;
  /** Why an applied command had no effect (ok false): a `cas` whose expected value was not there. */
  error?: "casMismatch";
}

/**
 * The replicated state machine: anything that applies committed commands deterministically and
 * can be saved and restored whole. The key-value store (`../kv.ts`) is one implementation; a log
 * or another store replicates through the same core.
 *
 * @example
 * ```ts
 * import type { StateMachine } from "./types.ts";
 * const counter: StateMachine & { count: number } = {
 *   count: 0,
 *   apply(command) { if (command.kind === "op") this.count++; return { ok: true, value: String(this.count) }; },
 *   snapshot() { return String(this.count); },
 *   restore(data) { this.count = Number(data); },
 *   read() { return String(this.count); },
 * };
 * counter.apply({ kind: "noop" });
 * ```
 */
export interface StateMachine {
  /** Applies a committed command (deterministically) and returns its answer. */
  apply(command: Command): ApplyResult;
  /** The whole state, as text, for a snapshot. */
  snapshot(): string;
  /** Replaces the state with a snapshot's. */
  restore(data: string): void;
  /** Answers a read of `key` from the applied state (ReadIndex and lease reads). */
  read(key: string): string;
  /**
   * Keys written with a time to live, with the version of the write that set it: the leader
   * proposes an `expire` of that version once the TTL has passed on its clock (expiry.ts).
   * Optional: a state machine without TTLs leaves both out.
   */
  leases?(): Iterable<[string, KeyLease]>;
  /** The time to live of `key`, if its last write set one. */
  leaseOf?(key: string): KeyLease | undefined;
}

/** A key's time to live, and which write set it (a count of the state machine's writes, the same on every server). */
export interface KeyLease {
  version: number;
  ttlUs: number;
}

/** Where the core draws randomness (the randomised election timeout): uniform in [0, 1). */
export interface RandomSource {
  next(): number;
}

/** A server's role. */
export type Role = "follower" | "precandidate" | "candidate" | "leader";

/** A client request as the core sees it: who asked (`node`) and what. */
export type ClientRequest = Extract<ClientMessage, { type: "request" }>;

/** A client response the caller sends to `node`. */
export interface ClientResponse {
  node: number;
  response: Extract<ClientMessage, { type: "response" }>;
}

/**
 * One input of {@linkcode RaftCore.step}. `nowUs` is the node's monotonic clock (never decreasing).
 * Peer messages, client writes (`propose`) and reads (`read`), transfer and membership requests
 * come from the network; the rest are local: `tick` when a
 * deadline may have passed, `beat` (etcd's MsgBeat: heartbeat every follower now), and the
 * adapter's notifications that something it was asked to do has finished.
 */
export type CoreInput =
  | { type: "message"; from: number; message: PeerMessage; nowUs: number }
  | { type: "tick"; nowUs: number }
  | { type: "beat"; nowUs: number }
  /** A client's write (put or append). */
  | { type: "propose"; from: number; request: ClientRequest; nowUs: number }
  /** A client's read (get): by lease, ReadIndex or the log, as the read mode says. */
  | { type: "read"; from: number; request: ClientRequest; nowUs: number }
  | { type: "transfer"; target: number; nowUs: number }
  | { type: "changeMembership"; change: "add" | "remove"; server: number; nowUs: number }
  /** The records of every ready up to `readyId` are durable (their fsync completed). */
  | { type: "persisted"; readyId: number; nowUs: number }
  /**
   * A snapshot file asked for in `persist.snapshot` (source "own") or assembled from chunks
   * (source "received") is durable and, if `published`, renamed into place; `bytes` are the
   * published file's contents. `ok` false: a write or fsync failed and nothing was published.
   */
  | {
    type: "snapshotDurable";
    source: "own" | "received";
    index: number;
    term: number;
    ok: boolean;
    published: boolean;
    bytes?: Uint8Array;
    nowUs: number;
  }
  /** A chunk asked for in `persist.snapshotChunks` was written (`ok`) or failed. */
  | {
    type: "snapshotChunkWritten";
    index: number;
    offset: number;
    length: number;
    done: boolean;
    ok: boolean;
    nowUs: number;
  }
  /** A WAL compaction asked for in `persist.walCompaction` finished (renamed or abandoned). */
  | { type: "walCompacted"; nowUs: number };

/** A record to append to the WAL: structurally a WAL record (`../wal/format.ts`). */
export type PersistRecord =
  | ({ kind: "hard" } & HardState)
  | { kind: "entry"; term: number; index: number; command: Command }
  | { kind: "snapshot"; index: number; term: number };

/** A snapshot file's contents: what {@linkcode encodeSnapshot} writes and {@linkcode decodeSnapshot} reads. */
export interface SnapshotContents {
  index: number;
  term: number;
  data: string;
  membership: Membership;
}

/** A request to rewrite the WAL without entries below `keepFromIndex` (behind a durable snapshot). */
export interface WalCompactionRequest {
  keepFromIndex: number;
  hardState: { kind: "hard" } & HardState;
  snapshot: { kind: "snapshot"; index: number; term: number };
  entries: { kind: "entry"; term: number; index: number; command: Command }[];
}

/** A received snapshot chunk to write at `offset` of the receiving file (`offset` 0 starts a new file). */
export interface SnapshotChunkWrite {
  index: number;
  term: number;
  offset: number;
  bytes: Uint8Array;
  done: boolean;
}

/** A message for a peer, with its size for the network's byte accounting (default 64). */
export interface OutboundMessage {
  to: number;
  message: PeerMessage;
  sizeBytes?: number;
}

/**
 * A read confirmed by ReadIndex or a lease, with its answer: `value` was read from the state
 * machine at the instant the read became answerable (its apply point reached).
 */
export interface ReadState {
  node: number;
  clientId: number;
  seq: number;
  key: string;
  value: string;
  /** The leader's term when the read became answerable. */
  term: number;
}

/**
 * What the caller must do after a {@linkcode RaftCore.step}, in this order (etcd's Ready):
 *
 * (a) `persist`: append `records` to the WAL and fsync them; write `snapshot` (temp file, fsync,
 *     rename, then step `snapshotDurable`) and the received `snapshotChunks` (then step
 *     `snapshotChunkWritten` for each); start `walCompaction` (then step `walCompacted`). When the fsync covering
 *     this ready's records completes, step `{ type: "persisted", readyId: id }`.
 * (b) `messages`: send them now. The core releases a message only once every record handed out
 *     before it was made has been acknowledged durable, so anything in `messages` is safe to send
 *     (Figure 2: "respond to RPCs after persisting"); messages wait in the core meanwhile.
 * (c) `committed`: the entries this step applied to the state machine, in index order.
 * (d) `readStates` and `responses`: answer these reads (each carries its value) and send these
 *     client responses (both released under the same rule as messages, except refusals of
 *     requests this server cannot take, which promise nothing and leave at once).
 *
 * `roleChanges` and `metrics` are observations for the harness, not actions. Call
 * {@linkcode RaftCore.advance} once the ready has been handled.
 */
export interface Ready {
  /** The ready's sequence number (from 1); the `persisted` input names it. */
  readonly id: number;
  readonly persist: {
    records: PersistRecord[];
    snapshot: { index: number; term: number; bytes: Uint8Array } | undefined;
    snapshotChunks: SnapshotChunkWrite[];
    /**
     * The received snapshot's last chunk is written: fsync the receiving file, publish it by rename
     * unless a snapshot at or past `index` is durable already, then step `snapshotDurable` (source
     * "received").
     */
    snapshotReceived: { index: number; term: number } | undefined;
    walCompaction: WalCompactionRequest | undefined;
  };
  readonly messages: OutboundMessage[];
  /**
   * The latest ready whose records the released messages, reads and responses waited for (0:
   * none): the caller asserts it has acknowledged that ready as durable.
   */
  releasedAfterReadyId: number;
  readonly committed: Entry[];
  readonly readStates: ReadState[];
  readonly responses: ClientResponse[];
  readonly roleChanges: { role: Role; term: number }[];
  readonly metrics: { name: string; value: number }[];
}

/** What recovery found on disk, for a new core of a restarted server. */
export interface CoreRestore {
  hardState: HardState | undefined;
  snapshot: (SnapshotContents & { bytes: Uint8Array }) | undefined;
  /** The log's entries after the snapshot (or from 1), contiguous. */
  entries: Entry[];
  /** The index of the last entry the WAL holds. */
  walWrittenIndex: number;
}

const snapshotEncoder = new TextEncoder();
const snapshotDecoder = new TextDecoder();

/** Encodes a snapshot file (JSON text in UTF-8). */
export function encodeSnapshot(contents: SnapshotContents): Uint8Array {
  return snapshotEncoder.encode(JSON.stringify(contents));
}

/** Decodes a snapshot file written by {@linkcode encodeSnapshot}. */
export function decodeSnapshot(bytes: Uint8Array): SnapshotContents {
  return JSON.parse(snapshotDecoder.decode(bytes));
}

// Re-exported for the core's files.
export type { Command, Entry, HardState, Membership, PeerMessage };
