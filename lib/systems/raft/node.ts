/**
 * A Raft server as a state machine on the kernel (Ongaro & Ousterhout, "In Search of an
 * Understandable Consensus Algorithm", USENIX ATC 2014), with Pre-Vote, CheckQuorum, leader
 * stickiness, fast log backtracking, a durable WAL and a replicated key-value store with client
 * sessions.
 *
 * Durability is an ordering contract, as etcd's Ready has it: a handler's state changes (term,
 * vote, new entries) are appended to the WAL and fsynced when the handler ends, and every message
 * the handler produced waits until that fsync completes, so no reply ever promises state a crash
 * could lose (§5.1, Figure 2: "respond after persisting"). Messages leave in the order they were
 * made. The leader counts itself toward a commit only for entries it has made durable.
 *
 * Only the `become*` functions change the role, and each asserts the transition is legal.
 *
 * @module
 */
import { assert } from "../../assert.ts";
import type { DiskCompletion, NodeApi, NodeLogic } from "../../sim/mod.ts";
import type { RaftBugs } from "./bugs.ts";
import { replayWorkUs, snapshotLoadUsPerByte, snapshotWorkUs } from "./costs.ts";
import { KvStateMachine } from "./kv.ts";
import { RaftLog } from "./log.ts";
import { applyChange, type Membership, type MembershipChange, MembershipLog } from "./membership.ts";
import { majority, quorumIndex } from "./quorum.ts";
import type { ClientMessage, Command, Entry, PeerMessage, RaftConfig, RaftMessage } from "./types.ts";
import { recover, Wal, type WalRecord } from "./wal/mod.ts";

/** A server's role. */
export type Role = "follower" | "precandidate" | "candidate" | "leader";

const timerElection = "election";
const timerHeartbeat = "heartbeat";
const timerCheckQuorum = "check-quorum";
const snapshotFile = "snapshot";
const snapshotTempFile = "snapshot.tmp";
/** Where a follower assembles a leader's snapshot, chunk by chunk, before publishing it. */
const snapshotReceiveFile = "snapshot.recv";

/** A chunk of a leader's snapshot being written by a follower. */
interface SnapshotChunk {
  index: number;
  offset: number;
  length: number;
  done?: boolean;
}

/** A step of writing a snapshot; `install` names the leader to answer when installing one. */
interface SnapshotStep {
  phase: "write" | "sync";
  index: number;
  term: number;
  install?: number;
}

/** Thrown when a server's WAL relies on a snapshot its disk does not hold. */
export class SnapshotMissingError extends Error {
  constructor(server: string, markerIndex: number, snapshotIndex: number | undefined) {
    super(
      `server ${server}: its WAL was compacted up to a snapshot at index ${markerIndex}, but the durable ` +
        `snapshot ${snapshotIndex === undefined ? "is missing" : `ends at ${snapshotIndex}`}: committed entries ` +
        "are lost; refusing to start",
    );
    this.name = "SnapshotMissingError";
  }
}

/** The durable snapshot, if there is one (it appears only by rename after its fsync, so it is whole). */
export function readSnapshot(
  disk: { exists(file: string): boolean; read(file: string): Uint8Array },
): { index: number; term: number; data: string; membership: Membership } | undefined {
  if (!disk.exists(snapshotFile)) return undefined;
  return JSON.parse(new TextDecoder().decode(disk.read(snapshotFile)));
}
/** Appends with entries outstanding per follower before new entries wait (etcd's MaxInflightMsgs). */
const inflightMax = 4;

/** Options of one server. */
export interface RaftServerOptions {
  config: RaftConfig;
  bugs: RaftBugs;
  /** Called on every role change, for the harness (roles for the nemesis, leader metrics). */
  onRole?: (server: number, role: Role, term: number) => void;
}

/** Builds a server's logic for one incarnation. */
export function raftServer(api: NodeApi<RaftMessage>, options: RaftServerOptions): NodeLogic<RaftMessage> {
  return new RaftServer(api, options);
}

/** One Raft server. Public fields are read by tests and invariant checks; only the server writes them. */
export class RaftServer implements NodeLogic<RaftMessage> {
  role: Role = "follower";
  term = 0;
  vote = -1;
  leader = -1;
  commit = 0;
  applied = 0;
  readonly log = new RaftLog();
  readonly kv = new KvStateMachine();
  readonly #api: NodeApi<RaftMessage>;
  readonly #config: RaftConfig;
  readonly #bugs: RaftBugs;
  readonly #onRole: RaftServerOptions["onRole"];
  readonly #wal: Wal;
  // The durability pipeline.
  #records: WalRecord[] = [];
  #outbox: { to: number; message: RaftMessage; sizeBytes?: number }[] = [];
  #waiting: { sync: number; messages: { to: number; message: RaftMessage; sizeBytes?: number }[] }[] = [];
  #syncsIssued = 0;
  #syncsDone = 0;
  #syncCovers = new Map<number, number>();
  /** The last log index known to be on disk. */
  #durableIndex = 0;
  /** A leadership transfer in progress: its target (-1: none) and when it is abandoned. */
  #transferTarget = -1;
  #transferDeadlineUs = 0;
  #timeoutNowSent = false;
  /**
   * ReadIndex (§6.4). Reads share confirmation rounds: appends carry the round they were sent in,
   * a round is confirmed when a majority answers one of its appends, and one round at a time is
   * in flight; reads that arrive meanwhile wait for the next, so a burst of reads costs one
   * round of messages, not one per read.
   */
  #readRound = 0;
  #readRoundConfirmed = 0;
  #readRoundInFlight = false;
  #readRoundAcks = new Set<number>();
  /** Reads waiting for their round's confirmation and for the apply point. */
  #pendingReads: {
    readIndex: number;
    round: number;
    node: number;
    clientId: number;
    seq: number;
    key: string;
  }[] = [];
  /** The configurations the log holds (§4.1: the latest is in force, committed or not). */
  readonly #membership: MembershipLog;
  #peersCached: number[] = [];
  #peersVersion = -1;
  /** Lease reads (§6.4.1): until when (leader's monotonic clock) no other leader can exist. */
  #leaseUntilUs = -Infinity;
  /** When the read round in flight was started (its appends were sent then or later). */
  #readRoundSentUs = 0;
  /** A term in which this leader sent TimeoutNow: it holds no lease for the rest of it. */
  #noLeaseTerm = -1;
  /** This server's own snapshot being written, if any. */
  #snapshotting: { index: number; term: number } | undefined = undefined;
  /** The index and term of the last durable snapshot (0: none). */
  #snapshotIndexDurable = 0;
  #snapshotTermDurable = 0;
  /** A leader's snapshot being received: the next offset expected, and whether a disk step is under way. */
  #receiving: { index: number; term: number; leader: number; offset: number; busy: boolean } | undefined;
  /**
   * InstallSnapshot progress per follower (leader): one chunk in flight at a time; a chunk
   * unacknowledged for half a heartbeat interval is sent again at the next beat.
   */
  #snapshotProgress = new Map<
    number,
    {
      index: number;
      term: number;
      bytes: Uint8Array;
      offset: number;
      inFlight: boolean;
      sentUs: number;
      /** The last time the follower acknowledged a chunk (or the transfer began). */
      ackedUs: number;
      /** Whether the follower has acknowledged any chunk of this transfer. */
      answered: boolean;
    }
  >();
  /** The index of the last entry handed to the WAL (a log truncation is followed by new entries). */
  #walWrittenIndex = 0;
  /** WAL records appended that no issued fsync covers yet. */
  #unsyncedWrites = false;
  #syncInFlight = false;
  /** A WAL write failed: the server sends nothing more until it restarts. */
  #walFailed = false;
  // Elections.
  #electionTimer = -1;
  #heartbeatTimer = -1;
  #checkQuorumTimer = -1;
  #votes = new Set<number>();
  #lastLeaderContactUs = -Infinity;
  /** When this incarnation started (monotonic clock). */
  #startedUs = 0;
  // Leadership.
  #nextIndex = new Map<number, number>();
  /** Appends carrying entries sent to each follower and not yet acknowledged (flow control). */
  #inflight = new Map<number, number>();
  /** Each follower's match point at the last heartbeat: no progress since means a lost append. */
  #matchAtBeat = new Map<number, number>();
  #matchIndex = new Map<number, number>();
  #recentlyActive = new Set<number>();
  #pendingClients = new Map<number, { node: number; clientId: number; seq: number }>();
  /** Catch-up rounds of learners (§4.2.1 of the thesis): the index a round ends at, and its start. */
  #catchUpRounds = new Map<number, { endIndex: number; startedUs: number }>();

  /** The configuration in force: the latest in the log. */
  get membership(): Membership {
    return this.#membership.current;
  }

  /** Whether the configuration in force is committed (a new change may then be proposed). */
  get membershipCommitted(): boolean {
    return this.#membership.latestIndex <= this.commit;
  }

  constructor(api: NodeApi<RaftMessage>, options: RaftServerOptions) {
    this.#api = api;
    this.#config = options.config;
    this.#bugs = options.bugs;
    this.#onRole = options.onRole;
    this.#wal = new Wal(api.disk);
    this.#membership = new MembershipLog({ voters: [...options.config.servers], learners: [] });
    // Followers honour a lease only through leader stickiness, which CheckQuorum switches on.
    assert(
      options.config.readMode !== "lease" || options.config.checkQuorum,
      "lease reads need checkQuorum: followers must refuse votes while they hear from a leader",
    );
  }

  // ------------------------------------------------------------------ kernel handlers

  onStart(): void {
    this.onRecover();
  }

  /** Rebuilds term, vote and log from the WAL; the state machine is rebuilt as commits are learned. */
  onRecover(): void {
    const recovered = recover(this.#api.disk, "wal");
    if (recovered.hardState !== undefined) {
      this.term = recovered.hardState.term;
      this.vote = recovered.hardState.vote;
    }
    const snapshot = readSnapshot(this.#api.disk);
    const marker = recovered.snapshot;
    if (marker !== undefined && (snapshot === undefined || snapshot.index < marker.index)) {
      // The WAL dropped entries that a snapshot should cover, and that snapshot is not on disk:
      // committed entries are gone. Refuse to start rather than serve a state missing them.
      throw new SnapshotMissingError(this.#api.name, marker.index, snapshot?.index);
    }
    let entries = recovered.entries as Entry[];
    if (snapshot !== undefined && snapshot.index > (marker?.index ?? 0)) {
      // A snapshot installed from a leader is published before the WAL records it; a crash in
      // between leaves a WAL that knows nothing of it. As when installing (§7), the WAL's entries
      // after the snapshot count only if the WAL's log agrees with the snapshot at its index.
      const walLog = new RaftLog();
      if (entries.length > 0) walLog.reset(entries[0].index - 1, 0);
      for (const entry of entries) walLog.merge([entry]);
      entries = walLog.termAt(snapshot.index) === snapshot.term
        ? walLog.slice(snapshot.index + 1, walLog.lastIndex + 1, Infinity)
        : [];
    }
    if (snapshot !== undefined) {
      // A snapshot covers only committed entries: they are applied and committed at once.
      this.kv.restore(snapshot.data);
      this.log.compact(snapshot.index, snapshot.term);
      this.#membership.installed(snapshot.index, snapshot.membership, false);
      this.commit = this.applied = snapshot.index;
      this.#snapshotIndexDurable = snapshot.index;
      this.#snapshotTermDurable = snapshot.term;
      this.#api.record("raft_recovered_snapshot_index", snapshot.index);
    }
    for (const entry of entries) this.#membership.appended(this.log.merge([entry]));
    this.#walWrittenIndex = recovered.entries.length > 0 ? recovered.entries[recovered.entries.length - 1].index : 0;
    this.#durableIndex = this.log.lastIndex;
    this.#api.record("raft_recovered_entries", recovered.entries.length);
    // Under leases, a voter's acknowledgement promised a leader no rival for an election timeout,
    // and the promise does not survive in memory: after a (re)start it refuses votes that long.
    this.#startedUs = this.#api.monotonicUs();
    // Replaying is not free: the server is busy for it (costs.ts) and handles nothing else meanwhile,
    // so a longer WAL (a rarer snapshot) makes a longer recovery.
    const workUs = replayWorkUs({
      walBytes: recovered.validBytes,
      entries: recovered.entries.length,
      snapshotBytes: snapshot === undefined ? 0 : this.#api.disk.size(snapshotFile),
    });
    this.#api.work(workUs);
    this.#api.record("raft_recovery_work_us", workUs);
    this.#resetElectionTimer();
  }

  onMessage(from: number, message: RaftMessage): void {
    if (message.type === "request") this.#handleClient(from, message);
    else if (message.type === "transferLeadership") this.#startTransfer(message.target);
    else if (message.type === "changeMembership") this.#changeMembership(message);
    else if (message.type === "heartbeatNow") {
      if (this.role === "leader") { for (const server of this.#peers()) this.#sendHeartbeat(server); }
    } else if (message.type !== "response") this.#step(from, message);
    this.#flush();
  }

  onTimer(tag: unknown): void {
    if (tag === timerElection) this.#campaign();
    else if (tag === timerHeartbeat && this.role === "leader") {
      this.#heartbeat();
      this.#continueTransfer();
      this.#heartbeatTimer = this.#api.setTimer(this.#config.heartbeatIntervalUs, timerHeartbeat);
    } else if (tag === timerCheckQuorum && this.role === "leader") this.#checkQuorum();
    this.#flush();
  }

  onDisk(completion: DiskCompletion): void {
    const tag = completion.tag as
      | { raftSync?: number; snapshot?: SnapshotStep; snapshotChunk?: SnapshotChunk; walCompaction?: true }
      | undefined;
    // Snapshot files fail on their own: the step is abandoned and retried later, the WAL is intact.
    if (tag?.snapshot !== undefined) return this.#continueSnapshot(tag.snapshot, completion);
    if (tag?.snapshotChunk !== undefined) return this.#chunkWritten(tag.snapshotChunk, completion);
    if (!completion.ok) {
      // A full or failing disk: a later fsync would not cover the lost batch, so nothing may be
      // acknowledged again. The server falls silent, as a real one does when its WAL cannot be
      // written; a restart refuses the gap in its WAL rather than lose entries.
      this.#api.record("raft_wal_errors", 1);
      this.#walFailed = true;
      this.#waiting = [];
      return;
    }
    if (tag?.walCompaction) {
      this.#wal.finishCompaction(completion);
      this.#api.record("raft_wal_bytes", this.#wal.bytes);
      return;
    }
    if (completion.op !== "fsync" || tag?.raftSync === undefined) return;
    this.#syncsDone = tag.raftSync;
    this.#syncInFlight = false;
    this.#durableIndex = this.#syncCovers.get(tag.raftSync)!;
    this.#syncCovers.delete(tag.raftSync);
    while (this.#waiting.length > 0 && this.#waiting[0].sync <= this.#syncsDone) {
      for (const { to, message, sizeBytes } of this.#waiting.shift()!.messages) this.#api.send(to, message, sizeBytes);
    }
    if (this.role === "leader") this.#maybeCommit();
    this.#flush();
  }

  // ------------------------------------------------------------------ the common rules

  #step(from: number, message: PeerMessage): void {
    if (message.term > this.term) {
      const preVoteRequest = message.type === "vote" && message.pre;
      const preVoteGrant = message.type === "voteResponse" && message.pre && message.granted;
      if (message.type === "vote" && !message.pre && !message.transfer && this.#inLease()) {
        // Leader stickiness: while a leader is heard from, a disruptive candidate is ignored.
        return;
      }
      if (!preVoteRequest && !preVoteGrant) {
        const leader = message.type === "append" || message.type === "snapshot" ? message.leader : -1;
        this.#becomeFollower(message.term, leader);
      }
    } else if (message.term < this.term) {
      if (message.type === "append" || message.type === "snapshot") {
        // A stale leader learns our term from the rejection and steps down.
        this.#send(from, {
          type: "appendResponse",
          term: this.term,
          success: false,
          matchIndex: 0,
          conflictIndex: 0,
          round: 0,
        });
      } else if (message.type === "vote") {
        this.#send(from, { type: "voteResponse", term: this.term, granted: false, pre: message.pre });
      }
      return;
    }
    switch (message.type) {
      case "vote":
        return this.#handleVote(from, message);
      case "voteResponse":
        return this.#handleVoteResponse(from, message);
      case "append":
        return this.#handleAppend(from, message);
      case "appendResponse":
        return this.#handleAppendResponse(from, message);
      case "snapshot":
        return this.#handleSnapshot(from, message);
      case "snapshotAck":
        return this.#handleSnapshotAck(from, message);
      case "timeoutNow":
        // The leader hands over: campaign at once, without Pre-Vote (§3.10 of Ongaro's thesis).
        if (this.role !== "leader" && this.#isVoter(this.#api.id)) this.#becomeCandidate(true);
        return;
    }
  }

  #inLease(): boolean {
    const now = this.#api.monotonicUs();
    if (this.#config.readMode === "lease" && now - this.#startedUs < this.#config.electionTimeoutUsMin) return true;
    return this.#config.checkQuorum && this.leader !== -1 &&
      now - this.#lastLeaderContactUs < this.#config.electionTimeoutUsMin;
  }

  // ------------------------------------------------------------------ elections (§5.2)

  #campaign(): void {
    if (this.role === "leader") return;
    if (!this.#isVoter(this.#api.id)) {
      // Learners, servers not yet added and servers removed never campaign; they keep listening.
      this.#resetElectionTimer();
      return;
    }
    if (this.#config.preVote) this.#becomePreCandidate();
    else this.#becomeCandidate();
  }

  #handleVote(from: number, message: Extract<PeerMessage, { type: "vote" }>): void {
    const fresh = this.log.isUpToDate(message.lastIndex, message.lastTerm);
    let granted: boolean;
    if (message.pre) {
      // A pre-vote changes nothing: would we vote for this candidate in the next term?
      granted = fresh && message.term > this.term && !this.#inLease();
    } else {
      const free = this.vote === -1 || this.vote === message.candidate;
      granted = fresh && free && this.leader === -1;
      if (granted) {
        this.vote = message.candidate;
        this.#persistHardState();
        this.#resetElectionTimer();
      }
    }
    // A granted pre-vote echoes the proposed term; a refusal carries our own, so a candidate that
    // cannot win learns nothing that would raise its term (a refusal with its own term would).
    this.#send(from, {
      type: "voteResponse",
      term: message.pre && granted ? message.term : this.term,
      granted,
      pre: message.pre,
    });
  }

  #handleVoteResponse(from: number, message: Extract<PeerMessage, { type: "voteResponse" }>): void {
    // Only the votes of voters in the candidate's configuration count.
    if (!message.granted || !this.#isVoter(from)) return;
    if (message.pre && this.role === "precandidate" && message.term === this.term + 1) {
      this.#votes.add(from);
      if (this.#votes.size >= this.#majority()) this.#becomeCandidate();
    } else if (!message.pre && this.role === "candidate" && message.term === this.term) {
      this.#votes.add(from);
      if (this.#votes.size >= this.#majority()) this.#becomeLeader();
    }
  }

  #requestVotes(pre: boolean, transfer = false): void {
    const term = pre ? this.term + 1 : this.term;
    for (const server of this.#peers()) {
      this.#send(server, {
        type: "vote",
        term,
        candidate: this.#api.id,
        lastIndex: this.log.lastIndex,
        lastTerm: this.log.lastTerm,
        pre,
        transfer,
      });
    }
  }

  // ------------------------------------------------------------------ replication (§5.3)

  /** A current leader's append or snapshot: follow it, and its contact holds off elections. */
  #heardFromLeader(leader: number): void {
    if (this.role !== "follower") this.#becomeFollower(this.term, leader);
    this.leader = leader;
    this.#lastLeaderContactUs = this.#api.monotonicUs();
    this.#resetElectionTimer();
  }

  #handleAppend(from: number, message: Extract<PeerMessage, { type: "append" }>): void {
    this.#heardFromLeader(message.leader);
    const prevTerm = this.log.termAt(message.prevIndex);
    if (message.prevIndex > this.log.lastIndex || (prevTerm !== undefined && prevTerm !== message.prevTerm)) {
      this.#send(from, {
        type: "appendResponse",
        term: this.term,
        success: false,
        matchIndex: 0,
        conflictIndex: this.#conflictIndex(message.prevIndex),
        round: message.round,
      });
      return;
    }
    const appended = this.log.merge(message.entries);
    this.#membership.appended(appended);
    for (const entry of appended) {
      this.#records.push({ kind: "entry", term: entry.term, index: entry.index, command: entry.command });
    }
    const matchIndex = message.prevIndex + message.entries.length;
    this.#advanceCommit(Math.min(message.commit, matchIndex));
    this.#send(from, {
      type: "appendResponse",
      term: this.term,
      success: true,
      matchIndex,
      conflictIndex: 0,
      round: message.round,
    });
  }

  /** Where a leader should retry after a mismatch at `prevIndex`: the first index of the conflicting term. */
  #conflictIndex(prevIndex: number): number {
    if (prevIndex > this.log.lastIndex) return this.log.lastIndex + 1;
    const term = this.log.termAt(prevIndex);
    let index = prevIndex;
    while (index > this.log.firstIndex && this.log.termAt(index - 1) === term) index--;
    return Math.max(1, index);
  }

  #handleAppendResponse(from: number, message: Extract<PeerMessage, { type: "appendResponse" }>): void {
    if (this.role !== "leader") return;
    // Any voter's answer in our term to an append of the round in flight confirms we still lead.
    if (this.#readRoundInFlight && message.round === this.#readRound && this.#isVoter(from)) {
      this.#readRoundAcks.add(from);
      this.#maybeConfirmReadRound();
    }
    this.#recentlyActive.add(from);
    if (message.success) {
      this.#matchIndex.set(from, Math.max(this.#matchIndex.get(from) ?? 0, message.matchIndex));
      this.#nextIndex.set(from, Math.max(this.#nextIndex.get(from) ?? 1, message.matchIndex + 1));
      this.#inflight.set(from, Math.max(0, (this.#inflight.get(from) ?? 0) - 1));
      const sending = this.#snapshotProgress.get(from);
      if (sending !== undefined && message.matchIndex >= sending.index) this.#snapshotProgress.delete(from);
      if (from === this.#transferTarget) this.#continueTransfer();
      this.#maybeCommit();
      this.#maybePromote(from);
      this.#replicate(from);
      return;
    }
    // Probe: rewind to where the follower's log may match and send one append from there.
    this.#nextIndex.set(from, Math.max(1, Math.min(message.conflictIndex, (this.#nextIndex.get(from) ?? 1) - 1)));
    this.#inflight.set(from, 0);
    this.#sendAppend(from);
  }

  #broadcastAppend(): void {
    for (const server of this.#peers()) this.#sendAppend(server);
  }

  /**
   * Flow control, as etcd's replicate state has it: at most `inflightMax` appends with entries
   * are outstanding per follower; entries that arrive meanwhile wait and go out together when
   * an acknowledgement frees a slot, so load batches instead of multiplying messages.
   */
  #replicate(server: number): void {
    if (this.role !== "leader") return;
    const next = this.#nextIndex.get(server) ?? this.log.lastIndex + 1;
    // A follower behind the compacted log gets the snapshot, which paces itself (one chunk in
    // flight): counting it against the append window would starve the follower of resends.
    if (next <= this.log.snapshotIndex) return this.#sendSnapshot(server);
    if (next > this.log.lastIndex || (this.#inflight.get(server) ?? 0) >= inflightMax) return;
    this.#inflight.set(server, (this.#inflight.get(server) ?? 0) + 1);
    this.#sendAppend(server);
  }

  /**
   * Every heartbeat interval: an empty append at the follower's known match point (always
   * accepted; it carries the commit index), and, when appends may have been lost (entries are
   * outstanding but the follower's match point has not moved since the last beat), a resend from
   * the match point. Acknowledgements of empty appends do not count as progress: an idle leader
   * must still repair a follower whose last append was dropped.
   */
  #heartbeat(): void {
    // Under leases every beat is a confirmation round: its acknowledgements renew the lease.
    if (this.#config.readMode === "lease" && !this.#readRoundInFlight) {
      this.#beginRound();
      this.#maybeConfirmReadRound();
    }
    for (const server of this.#peers()) {
      const sending = this.#snapshotProgress.get(server);
      const now = this.#api.monotonicUs();
      if (sending !== undefined && now - sending.ackedUs > this.#config.electionTimeoutUsMax) {
        // The follower has not answered for an election timeout: give the transfer up, so it no
        // longer holds back compaction; it starts afresh from the newest snapshot when it answers.
        this.#snapshotProgress.delete(server);
      } else if (sending?.inFlight && now - sending.sentUs >= this.#config.heartbeatIntervalUs / 2) {
        // The chunk or its answer was lost (or the follower was down): send it again.
        sending.inFlight = false;
      }
      const match = this.#matchIndex.get(server) ?? 0;
      const outstanding = (this.#nextIndex.get(server) ?? 0) > match + 1;
      if (outstanding && this.#matchAtBeat.get(server) === match) {
        this.#inflight.set(server, 0);
        this.#nextIndex.set(server, match + 1);
      }
      this.#matchAtBeat.set(server, match);
      if ((this.#nextIndex.get(server) ?? 0) <= this.log.lastIndex) this.#replicate(server);
      else this.#sendHeartbeat(server);
    }
  }

  /** An empty append at the follower's known match point: always accepted; it carries the commit index. */
  #sendHeartbeat(server: number): void {
    const match = this.#matchIndex.get(server) ?? 0;
    const prevIndex = Math.max(this.log.firstIndex - 1, Math.min(match, this.log.lastIndex));
    this.#send(server, {
      type: "append",
      term: this.term,
      leader: this.#api.id,
      prevIndex,
      prevTerm: this.log.termAt(prevIndex)!,
      entries: [],
      commit: this.commit,
      round: this.#readRound,
    });
  }

  #sendAppend(server: number): void {
    if ((this.#nextIndex.get(server) ?? this.log.lastIndex + 1) <= this.log.snapshotIndex) {
      return this.#sendSnapshot(server);
    }
    const next = Math.max(this.log.firstIndex, this.#nextIndex.get(server) ?? this.log.lastIndex + 1);
    const prevIndex = next - 1;
    const entries = this.log.slice(next, this.log.lastIndex + 1, this.#config.entriesPerAppendMax);
    this.#send(server, {
      type: "append",
      term: this.term,
      leader: this.#api.id,
      prevIndex,
      prevTerm: this.log.termAt(prevIndex)!,
      entries,
      commit: this.commit,
      round: this.#readRound,
    });
    // Pipelining: assume the entries arrive and send what follows next time; a rejection rewinds.
    if (entries.length > 0) this.#nextIndex.set(server, entries[entries.length - 1].index + 1);
  }

  // ------------------------------------------------------------------ snapshots (§7)

  /** Snapshots the state machine at `applied`: write, fsync, rename, and only then drop the log prefix. */
  #startSnapshot(): void {
    const index = this.applied;
    const term = this.log.termAt(index)!;
    this.#writeSnapshot({ phase: "write", index, term }, this.kv.snapshot());
    if (this.#bugs.truncateBeforeSnapshotDurable) this.#compactTo(index, term);
  }

  /** Starts writing this server's snapshot (then fsync, then rename: see {@linkcode #continueSnapshot}). */
  #writeSnapshot(step: SnapshotStep, data: string): void {
    const membership = this.#membership.at(step.index);
    const bytes = new TextEncoder().encode(JSON.stringify({ index: step.index, term: step.term, data, membership }));
    this.#snapshotting = { index: step.index, term: step.term };
    this.#api.work(snapshotWorkUs(bytes.length));
    this.#api.disk.delete(snapshotTempFile);
    this.#api.disk.write(snapshotTempFile, 0, bytes, { snapshot: step });
  }

  #continueSnapshot(step: SnapshotStep, completion: DiskCompletion): void {
    const installing = step.install !== undefined;
    if (installing) this.#receiving = undefined;
    else if (!completion.ok || step.phase === "sync") this.#snapshotting = undefined;
    if (!completion.ok) return;
    if (step.phase === "write") {
      this.#api.disk.fsync(snapshotTempFile, { snapshot: { ...step, phase: "sync" } });
      return;
    }
    const file = installing ? snapshotReceiveFile : snapshotTempFile;
    if (step.index <= this.#snapshotIndexDurable) {
      // A newer snapshot was published meanwhile (installed from the leader): this one is stale.
      this.#api.disk.delete(file);
      return;
    }
    // The snapshot is durable: publish it by rename, then the covered prefix may go.
    this.#api.disk.rename(file, snapshotFile);
    this.#snapshotIndexDurable = step.index;
    this.#snapshotTermDurable = step.term;
    this.#api.record("raft_snapshot_index", step.index);
    if (installing) return this.#finishInstall(step.index, step.term, step.install!);
    if (!this.#bugs.truncateBeforeSnapshotDurable) this.#compactTo(step.index, step.term);
  }

  /** Drops log entries a durable snapshot covers, keeping a tail; the WAL is rewritten likewise. */
  #compactTo(index: number, term: number): void {
    let keepFrom = Math.max(this.log.firstIndex, index - this.#config.snapshotTailEntries + 1);
    // Keep what a follower receiving an older snapshot needs next, or it would need another; but
    // only for a transfer the follower is answering, so an unreachable one holds nothing back.
    const now = this.#api.monotonicUs();
    for (const sending of this.#snapshotProgress.values()) {
      if (sending.answered && now - sending.ackedUs <= this.#config.electionTimeoutUsMax) {
        keepFrom = Math.min(keepFrom, sending.index + 1);
      }
    }
    if (this.role === "leader") {
      // A live follower a little further behind than the tail is kept within reach of appends,
      // up to ten tails back: dropping its next entries would cost it a whole snapshot.
      const floor = index - 10 * this.#config.snapshotTailEntries + 1;
      for (const server of this.#recentlyActive) {
        keepFrom = Math.min(keepFrom, Math.max(floor, (this.#matchIndex.get(server) ?? 0) + 1));
      }
    }
    keepFrom = Math.max(this.log.firstIndex, keepFrom);
    if (keepFrom - 1 > this.log.snapshotIndex) {
      this.#membership.compacted(keepFrom - 1);
      this.log.compact(keepFrom - 1, this.log.termAt(keepFrom - 1)!);
    }
    if (this.#wal.compacting) return;
    // The log mirrors what the WAL holds up to the last entry appended to it, so the kept entries
    // come from memory rather than from re-reading the WAL.
    const written = Math.min(this.#walWrittenIndex, this.log.lastIndex);
    const entries = keepFrom <= written ? this.log.slice(keepFrom, written + 1, Infinity) : [];
    this.#wal.startCompaction({
      keepFromIndex: keepFrom,
      hardState: { kind: "hard", term: this.term, vote: this.#bugs.forgetVote ? -1 : this.vote, commit: this.commit },
      snapshot: { kind: "snapshot", index, term },
      tag: { walCompaction: true },
      entries: entries.map((e) => ({ kind: "entry" as const, term: e.term, index: e.index, command: e.command })),
    });
  }

  /**
   * InstallSnapshot (§7), in chunks of `snapshotChunkBytes`, one in flight per follower: the
   * follower acknowledges each chunk once it is written, and the whole once it is durable and
   * published. The snapshot file is read when the transfer starts and sent from memory, as etcd
   * does, so a newer snapshot taken meanwhile does not restart a long transfer.
   */
  #sendSnapshot(server: number): void {
    let progress = this.#snapshotProgress.get(server);
    if (progress === undefined) {
      // Compacted in memory but not yet published on disk: the next beat retries.
      if (this.#snapshotIndexDurable === 0 || !this.#api.disk.exists(snapshotFile)) return;
      progress = {
        index: this.#snapshotIndexDurable,
        term: this.#snapshotTermDurable,
        bytes: this.#api.disk.read(snapshotFile),
        offset: 0,
        inFlight: false,
        sentUs: 0,
        ackedUs: this.#api.monotonicUs(),
        answered: false,
      };
      this.#snapshotProgress.set(server, progress);
    }
    if (progress.inFlight) return;
    // Each (re)start of a transfer, so install time runs from the attempt that got through.
    if (progress.offset === 0) this.#api.record("raft_snapshots_sent", progress.index);
    const end = Math.min(progress.offset + this.#config.snapshotChunkBytes, progress.bytes.length);
    this.#send(server, {
      type: "snapshot",
      term: this.term,
      leader: this.#api.id,
      index: progress.index,
      snapshotTerm: progress.term,
      offset: progress.offset,
      chunk: progress.bytes.subarray(progress.offset, end),
      done: end >= progress.bytes.length,
    }, end - progress.offset + 64);
    progress.inFlight = true;
    progress.sentUs = this.#api.monotonicUs();
  }

  #handleSnapshotAck(from: number, message: Extract<PeerMessage, { type: "snapshotAck" }>): void {
    const progress = this.#snapshotProgress.get(from);
    if (this.role !== "leader" || progress === undefined || progress.index !== message.index) return;
    this.#recentlyActive.add(from);
    progress.offset = message.nextOffset;
    progress.inFlight = false;
    progress.ackedUs = this.#api.monotonicUs();
    progress.answered = true;
    this.#sendSnapshot(from);
  }

  /**
   * A follower receives a chunk of the leader's snapshot. Chunks are written in order into a
   * separate file; the state changes only once the whole snapshot is durable (§7: "if the
   * snapshot is complete, save it, discard the log it covers, reset the state machine").
   */
  #handleSnapshot(from: number, message: Extract<PeerMessage, { type: "snapshot" }>): void {
    this.#heardFromLeader(message.leader);
    if (message.index <= this.commit) return this.#acknowledgeSnapshot(from);
    const receiving = this.#receiving;
    if (receiving?.busy) return; // a chunk is being written: its acknowledgement will answer
    if (message.offset === 0) {
      this.#receiving = { index: message.index, term: message.snapshotTerm, leader: from, offset: 0, busy: false };
      this.#api.disk.delete(snapshotReceiveFile);
    } else if (receiving === undefined || receiving.index !== message.index || receiving.offset !== message.offset) {
      // Out of order (a chunk was lost, or the leader moved to a newer snapshot): say where to resume.
      const nextOffset = receiving?.index === message.index ? receiving.offset : 0;
      this.#send(from, { type: "snapshotAck", term: this.term, index: message.index, nextOffset });
      return;
    }
    const current = this.#receiving!;
    current.leader = from;
    current.busy = true;
    const chunk: SnapshotChunk = { index: message.index, offset: message.offset, length: message.chunk.length };
    this.#api.disk.write(snapshotReceiveFile, message.offset, message.chunk, {
      snapshotChunk: { ...chunk, done: message.done },
    });
  }

  #chunkWritten(chunk: SnapshotChunk, completion: DiskCompletion): void {
    const receiving = this.#receiving;
    if (receiving === undefined || receiving.index !== chunk.index) return;
    if (!completion.ok) {
      this.#receiving = undefined;
      return;
    }
    receiving.offset = chunk.offset + chunk.length;
    this.#api.record("raft_snapshot_chunk_bytes", chunk.length);
    if (!chunk.done) {
      receiving.busy = false;
      this.#send(receiving.leader, {
        type: "snapshotAck",
        term: this.term,
        index: receiving.index,
        nextOffset: receiving.offset,
      });
      this.#flush();
      return;
    }
    this.#api.disk.fsync(snapshotReceiveFile, {
      snapshot: { phase: "sync", index: receiving.index, term: receiving.term, install: receiving.leader },
    });
  }

  /** The received snapshot is durable and published: the state machine and log move to it. */
  #finishInstall(index: number, term: number, leader: number): void {
    if (index > this.commit) {
      const snapshot = readSnapshot(this.#api.disk)!;
      this.#api.work(snapshotWorkUs(this.#api.disk.size(snapshotFile), snapshotLoadUsPerByte));
      this.kv.restore(snapshot.data);
      // Entries after the snapshot survive only if the log agrees with it at its index (§7).
      const agrees = this.log.termAt(index) === term;
      if (agrees) this.log.compact(index, term);
      else this.log.reset(index, term);
      this.#membership.installed(index, snapshot.membership, agrees);
      this.commit = this.applied = index;
      this.#durableIndex = agrees ? Math.max(this.#durableIndex, index) : index;
      // The WAL learns the snapshot before any later entry, so its log stays contiguous on replay.
      this.#records.push({ kind: "snapshot", index, term });
    }
    this.#acknowledgeSnapshot(leader);
    this.#flush();
  }

  /** Tells the leader this follower holds everything up to its commit index (a snapshot covers it). */
  #acknowledgeSnapshot(leader: number): void {
    this.#send(leader, {
      type: "appendResponse",
      term: this.term,
      success: true,
      matchIndex: this.commit,
      conflictIndex: 0,
      round: 0,
    });
  }

  /** Commits the highest index a majority holds, if it is of the current term (§5.4.2, Figure 8). */
  #maybeCommit(): void {
    // A leader that is removing itself still leads until the change commits, but does not count itself.
    const matches = this.#membership.current.voters.map((
      s,
    ) => (s === this.#api.id ? this.#durableIndex : this.#matchIndex.get(s) ?? 0));
    const candidate = quorumIndex(matches);
    if (candidate <= this.commit) return;
    if (this.log.termAt(candidate) !== this.term && !this.#bugs.commitPreviousTerm) return;
    this.#advanceCommit(candidate);
  }

  #advanceCommit(index: number): void {
    if (index <= this.commit) return;
    this.commit = Math.min(index, this.log.lastIndex);
    this.#applyCommitted();
    if (this.role === "leader" && !this.#isVoter(this.#api.id) && this.#membership.latestIndex <= this.commit) {
      // The configuration that removed this leader is committed: it steps down (§4.2.2 of the thesis).
      this.#api.record("raft_leader_removed", this.term);
      this.#becomeFollower(this.term, -1);
    }
    if (this.role === "leader") this.#serveReads();
    if (this.#snapshotting === undefined && this.#snapshotDue()) this.#startSnapshot();
  }

  /** The cadence (§7): enough entries applied since the last snapshot, or a WAL grown big enough. */
  #snapshotDue(): boolean {
    const unsnapshotted = this.applied - this.#snapshotIndexDurable;
    const { snapshotEveryEntries: entries, snapshotEveryWalBytes: bytes } = this.#config;
    return (entries > 0 && unsnapshotted >= entries) || (bytes > 0 && unsnapshotted > 0 && this.#wal.bytes >= bytes);
  }

  #applyCommitted(): void {
    while (this.applied < this.commit) {
      this.applied++;
      const entry = this.log.entry(this.applied);
      const result = this.kv.apply(entry.command);
      const waiting = this.#pendingClients.get(this.applied);
      if (waiting === undefined) continue;
      this.#pendingClients.delete(this.applied);
      // Answer only if the entry is the client's command: a new leader may have overwritten it.
      const command = entry.command;
      const mine = command.kind === "op" && command.clientId === waiting.clientId && command.seq === waiting.seq;
      this.#send(waiting.node, {
        type: "response",
        term: this.term,
        clientId: waiting.clientId,
        seq: waiting.seq,
        ok: mine && result.ok,
        value: mine ? result.value : null,
        leaderHint: this.#api.id,
      });
    }
  }

  // ------------------------------------------------------------------ clients

  #handleClient(from: number, request: Extract<ClientMessage, { type: "request" }>): void {
    // During a leadership transfer no new entries are taken, so the target can catch up (§3.10).
    if (this.role !== "leader" || this.#transferTarget !== -1) {
      this.#api.send(from, {
        type: "response",
        term: this.term,
        clientId: request.clientId,
        seq: request.seq,
        ok: false,
        value: null,
        leaderHint: this.leader,
      });
      return;
    }
    if (request.f === "get" && this.#config.readMode === "lease" && this.#leaseRead(from, request)) return;
    if (request.f === "get" && this.#config.readMode !== "log" && this.#readIndex(from, request)) return;
    const command: Command = {
      kind: "op",
      clientId: request.clientId,
      seq: request.seq,
      f: request.f,
      key: request.key,
      value: request.value,
    };
    const index = this.#appendAsLeader(command);
    this.#pendingClients.set(index, { node: from, clientId: request.clientId, seq: request.seq });
    // Under leases the appends of a write double as a confirmation round, renewing the lease
    // between heartbeats.
    if (this.#config.readMode === "lease" && !this.#readRoundInFlight) this.#beginRound();
    for (const server of this.#peers()) this.#replicate(server);
  }

  // ------------------------------------------------------------------ membership (§4 of the thesis)

  /**
   * One change at a time, and only once an entry of this term has committed: a change appended
   * before that could overlap an uncommitted change of an earlier leader, and the two together
   * could split the cluster into disjoint majorities (the single-server change bug Ongaro
   * described on raft-dev in 2015).
   */
  #canChangeMembership(): boolean {
    return this.role === "leader" && this.#transferTarget === -1 && this.log.termAt(this.commit) === this.term &&
      this.#membership.latestIndex <= this.commit;
  }

  #changeMembership(request: { change: "add" | "remove"; server: number }): void {
    if (this.role !== "leader") return;
    if (!this.#canChangeMembership()) {
      this.#api.record("raft_membership_refused", request.server);
      return;
    }
    let next: Membership;
    try {
      next = applyChange(this.#membership.current, request);
    } catch {
      this.#api.record("raft_membership_refused", request.server);
      return;
    }
    this.#proposeMembership(next, request);
  }

  #proposeMembership(next: Membership, change: MembershipChange): void {
    const index = this.#appendAsLeader({ kind: "config", voters: next.voters, learners: next.learners });
    this.#api.record(`raft_membership_${change.change}`, change.server);
    this.#api.record("raft_membership_index", index);
    for (const server of this.#peers()) this.#replicate(server);
  }

  /**
   * A learner is promoted once it has caught up, judged in rounds as §4.2.1 of the thesis has it:
   * each round ends when the learner holds what the leader's log held when the round began; a
   * round shorter than an election timeout means the learner keeps up, and it becomes a voter (so
   * it cannot stall commits for long). Under steady writes the learner never holds the very last
   * entry, so "match equals the commit index" would never come.
   */
  #maybePromote(server: number): void {
    if (!this.#membership.current.learners.includes(server)) return;
    const now = this.#api.monotonicUs();
    let round = this.#catchUpRounds.get(server);
    if (round === undefined) {
      round = { endIndex: this.log.lastIndex, startedUs: now };
      this.#catchUpRounds.set(server, round);
    }
    if ((this.#matchIndex.get(server) ?? 0) < round.endIndex) return;
    if (now - round.startedUs > this.#config.electionTimeoutUsMin || !this.#canChangeMembership()) {
      // Too slow still (or a change is pending): another round, from what the log holds now.
      this.#catchUpRounds.set(server, { endIndex: this.log.lastIndex, startedUs: now });
      return;
    }
    this.#catchUpRounds.delete(server);
    this.#proposeMembership(applyChange(this.#membership.current, { change: "promote", server }), {
      change: "promote",
      server,
    });
  }

  // ------------------------------------------------------------------ leadership transfer

  #startTransfer(target: number): void {
    if (this.role !== "leader" || target === this.#api.id || !this.#isVoter(target)) return;
    this.#transferTarget = target;
    // The target will campaign past every follower's stickiness, so the lease promises nothing now.
    this.#leaseUntilUs = -Infinity;
    this.#timeoutNowSent = false;
    this.#transferDeadlineUs = this.#api.monotonicUs() + this.#config.electionTimeoutUsMin;
    this.#api.record("raft_transfer_started", target);
    this.#continueTransfer();
  }

  /** Sends TimeoutNow once the target holds the whole log; gives up after an election timeout. */
  #continueTransfer(): void {
    const target = this.#transferTarget;
    if (target === -1 || this.role !== "leader") return;
    if (this.#api.monotonicUs() > this.#transferDeadlineUs) {
      this.#api.record("raft_transfer_aborted", target);
      this.#transferTarget = -1;
      return;
    }
    if (this.#timeoutNowSent) return;
    if ((this.#matchIndex.get(target) ?? 0) >= this.log.lastIndex) {
      // Writes stay refused until the target wins (this leader then steps down) or the deadline
      // passes: an entry taken now would leave the target's log behind and lose it the election.
      this.#send(target, { type: "timeoutNow", term: this.term });
      this.#timeoutNowSent = true;
      // The target may act on it however late it arrives, past every follower's stickiness, even
      // after this transfer is abandoned: no lease may be trusted for the rest of the term.
      this.#noLeaseTerm = this.term;
      return;
    }
    this.#sendAppend(target);
  }

  /** Serves a read by ReadIndex; returns false when it must go through the log instead. */
  #readIndex(from: number, request: Extract<ClientMessage, { type: "request" }>): boolean {
    if (this.#bugs.staleLeaderReads) {
      // Planted bug: the leader answers from its own state without confirming it still leads.
      this.#send(from, { ...this.#readAnswer(request), leaderHint: this.#api.id });
      return true;
    }
    // Until an entry of this term commits, the commit index may be behind what earlier leaders committed.
    if (this.log.termAt(this.commit) !== this.term) return false;
    // Appends sent before this read arrived prove nothing about now: it waits for the next round.
    this.#pendingReads.push({
      readIndex: this.commit,
      round: this.#readRound + 1,
      node: from,
      clientId: request.clientId,
      seq: request.seq,
      key: request.key,
    });
    this.#startReadRound();
    return true;
  }

  /**
   * A lease read (§6.4.1): answered from local state while the lease holds. The leader's own
   * entry of this term must have committed, so its state holds every earlier commit.
   */
  #leaseRead(from: number, request: Extract<ClientMessage, { type: "request" }>): boolean {
    if (this.#api.monotonicUs() >= this.#leaseUntilUs || this.log.termAt(this.commit) !== this.term) return false;
    this.#api.record("raft_lease_reads", 1);
    this.#send(from, { ...this.#readAnswer(request), leaderHint: this.#api.id });
    return true;
  }

  /**
   * A majority acknowledged appends sent at `#readRoundSentUs`: none of them votes for another
   * candidate for an election timeout after receiving them, by its own clock. The lease counts
   * from the sending, on the leader's clock, cut short by the drift allowance: if the leader's
   * clock runs slow by up to ρ and a follower's fast by up to ρ, an election timeout on the
   * follower lasts at least (1 − ρ) / (1 + ρ) of one on the leader.
   */
  #extendLease(): void {
    const timeout = this.#config.electionTimeoutUsMin;
    const drift = this.#config.leaseClockDriftMax;
    const until = this.#bugs.leaseIgnoresClockSkew
      // Planted bug: a full election timeout from the acknowledgement, as if clocks agreed exactly.
      ? this.#api.monotonicUs() + timeout
      : this.#readRoundSentUs + Math.floor(timeout * (1 - drift) / (1 + drift));
    this.#leaseUntilUs = Math.max(this.#leaseUntilUs, until);
  }

  /** Starts the next confirmation round if reads wait for it and none is in flight. */
  #startReadRound(): void {
    if (this.#readRoundInFlight || !this.#pendingReads.some((read) => read.round > this.#readRound)) return;
    this.#beginRound();
    this.#broadcastAppend();
    this.#maybeConfirmReadRound();
  }

  /** A new confirmation round: appends sent from now on carry its number. */
  #beginRound(): void {
    this.#readRound++;
    this.#readRoundInFlight = true;
    this.#readRoundSentUs = this.#api.monotonicUs();
    this.#readRoundAcks = new Set(this.#isVoter(this.#api.id) ? [this.#api.id] : []);
  }

  #maybeConfirmReadRound(): void {
    if (this.#readRoundAcks.size < this.#majority()) return;
    this.#readRoundConfirmed = this.#readRound;
    this.#readRoundInFlight = false;
    if (this.#config.readMode === "lease" && this.#transferTarget === -1 && this.#noLeaseTerm !== this.term) {
      this.#extendLease();
    }
    this.#serveReads();
    this.#startReadRound();
  }

  #readAnswer(request: { clientId: number; seq: number; key: string }) {
    return {
      type: "response" as const,
      term: this.term,
      clientId: request.clientId,
      seq: request.seq,
      ok: true,
      value: this.kv.data.get(request.key) ?? "",
    };
  }

  /** Answers the reads a majority has confirmed and the state machine has caught up with. */
  #serveReads(): void {
    while (this.#pendingReads.length > 0) {
      const read = this.#pendingReads[0];
      if (read.round > this.#readRoundConfirmed || this.applied < read.readIndex) return;
      this.#pendingReads.shift();
      this.#send(read.node, { ...this.#readAnswer(read), leaderHint: this.#api.id });
    }
  }

  #appendAsLeader(command: Command): number {
    const entry: Entry = { term: this.term, index: this.log.lastIndex + 1, command };
    this.log.push(entry);
    this.#records.push({ kind: "entry", term: entry.term, index: entry.index, command });
    if (command.kind === "config") {
      this.#membership.appended([entry]);
      // A newcomer is probed from the end of the log; its rejection rewinds to where it stands.
      for (const server of this.#peers()) {
        if (!this.#nextIndex.has(server)) this.#nextIndex.set(server, entry.index);
      }
    }
    return entry.index;
  }

  // ------------------------------------------------------------------ role changes

  #becomeFollower(term: number, leader: number): void {
    assert(term >= this.term, `a follower's term ${term} is below the current ${this.term}`);
    if (term > this.term) {
      this.term = term;
      this.vote = -1;
      this.#persistHardState();
    }
    if (this.role === "leader") {
      // The leader's timers stop with its leadership; a later term starts its own.
      this.#api.cancelTimer(this.#heartbeatTimer);
      this.#api.cancelTimer(this.#checkQuorumTimer);
    }
    this.#setRole("follower");
    this.leader = leader;
    this.#leaseUntilUs = -Infinity;
    this.#pendingClients.clear();
    this.#pendingReads = [];
    this.#readRoundInFlight = false;
    this.#transferTarget = -1;
    this.#resetElectionTimer();
  }

  #becomePreCandidate(): void {
    assert(this.role !== "leader", "a leader does not pre-campaign");
    this.#setRole("precandidate");
    this.leader = -1;
    this.#votes = new Set([this.#api.id]);
    this.#resetElectionTimer();
    if (this.#votes.size >= this.#majority()) return this.#becomeCandidate();
    this.#requestVotes(true);
  }

  #becomeCandidate(transfer = false): void {
    assert(this.role !== "leader", "a leader does not campaign");
    this.term++;
    this.vote = this.#api.id;
    this.#persistHardState();
    this.#setRole("candidate");
    this.leader = -1;
    this.#votes = new Set([this.#api.id]);
    this.#resetElectionTimer();
    if (this.#votes.size >= this.#majority()) return this.#becomeLeader();
    this.#requestVotes(false, transfer);
  }

  #becomeLeader(): void {
    assert(this.role === "candidate", `only a candidate becomes leader, not a ${this.role}`);
    this.#setRole("leader");
    this.leader = this.#api.id;
    this.#leaseUntilUs = -Infinity;
    this.#nextIndex.clear();
    this.#matchIndex.clear();
    for (const server of this.#peers()) this.#nextIndex.set(server, this.log.lastIndex + 1);
    this.#inflight.clear();
    this.#matchAtBeat.clear();
    this.#snapshotProgress.clear();
    this.#catchUpRounds.clear();
    this.#recentlyActive.clear();
    if (this.#electionTimer >= 0) this.#api.cancelTimer(this.#electionTimer);
    this.#electionTimer = -1;
    // A no-op of the new term lets entries of earlier terms commit (§5.4.2, §8).
    this.#appendAsLeader({ kind: "noop" });
    this.#broadcastAppend();
    this.#heartbeatTimer = this.#api.setTimer(this.#config.heartbeatIntervalUs, timerHeartbeat);
    if (this.#config.checkQuorum) {
      this.#checkQuorumTimer = this.#api.setTimer(this.#config.electionTimeoutUsMin, timerCheckQuorum);
    }
  }

  #checkQuorum(): void {
    const voters = this.#membership.current.voters;
    let active = voters.includes(this.#api.id) ? 1 : 0;
    for (const server of this.#recentlyActive) if (server !== this.#api.id && voters.includes(server)) active++;
    if (active < this.#majority()) {
      this.#api.record("raft_check_quorum_step_down", this.term);
      this.#becomeFollower(this.term, -1);
      return;
    }
    this.#recentlyActive.clear();
    this.#checkQuorumTimer = this.#api.setTimer(this.#config.electionTimeoutUsMin, timerCheckQuorum);
  }

  #setRole(role: Role): void {
    if (role !== this.role) this.#onRole?.(this.#api.id, role, this.term);
    this.role = role;
  }

  // ------------------------------------------------------------------ plumbing

  /** Every other member, voter or learner: those the leader replicates to. */
  #peers(): number[] {
    if (this.#peersVersion !== this.#membership.version) {
      const { voters, learners } = this.#membership.current;
      this.#peersCached = [...voters, ...learners].filter((s) => s !== this.#api.id);
      this.#peersVersion = this.#membership.version;
    }
    return this.#peersCached;
  }

  #isVoter(server: number): boolean {
    return this.#membership.current.voters.includes(server);
  }

  #majority(): number {
    return majority(this.#membership.current.voters.length);
  }

  #resetElectionTimer(): void {
    if (this.#electionTimer >= 0) this.#api.cancelTimer(this.#electionTimer);
    const { electionTimeoutUsMin: min, electionTimeoutUsMax: max } = this.#config;
    this.#electionTimer = this.#api.setTimer(min + Math.floor(this.#api.rng.next() * (max - min + 1)), timerElection);
  }

  #persistHardState(): void {
    if (this.#bugs.forgetVote) {
      // Planted bug: the term is persisted but not the vote, so a restarted server can vote twice in a term.
      this.#records.push({ kind: "hard", term: this.term, vote: -1, commit: this.commit });
      return;
    }
    this.#records.push({ kind: "hard", term: this.term, vote: this.vote, commit: this.commit });
  }

  #send(to: number, message: RaftMessage, sizeBytes?: number): void {
    this.#outbox.push({ to, message, sizeBytes });
  }

  #issueSync(): void {
    const sync = ++this.#syncsIssued;
    this.#syncCovers.set(sync, this.log.lastIndex);
    this.#wal.sync({ raftSync: sync });
    this.#unsyncedWrites = false;
    this.#syncInFlight = true;
  }

  /** Ends a handler: WAL records are written and synced, and messages wait for that sync (or send at once). */
  #flush(): void {
    if (this.#walFailed) {
      this.#records = [];
      this.#outbox = [];
      return;
    }
    if (this.#records.length > 0) {
      for (const record of this.#records) if (record.kind === "entry") this.#walWrittenIndex = record.index;
      this.#wal.append(this.#records);
      this.#records = [];
      this.#unsyncedWrites = true;
      if (this.#bugs.ackBeforeFsync) this.#durableIndex = this.log.lastIndex;
    }
    // Group commit: one fsync at a time; writes made meanwhile share the next one.
    if (this.#unsyncedWrites && !this.#syncInFlight) this.#issueSync();
    if (this.#outbox.length === 0) return;
    const messages = this.#outbox;
    this.#outbox = [];
    const needed = this.#unsyncedWrites ? this.#syncsIssued + 1 : this.#syncsIssued;
    const waitFor = this.#bugs.ackBeforeFsync ? this.#syncsDone : needed;
    if (waitFor <= this.#syncsDone && this.#waiting.length === 0) {
      for (const { to, message, sizeBytes } of messages) this.#api.send(to, message, sizeBytes);
    } else {
      this.#waiting.push({ sync: waitFor, messages });
    }
  }
}
