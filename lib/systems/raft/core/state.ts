/**
 * The state of one Raft core and the collection of its effects: the fields every concern (election,
 * replication, snapshots, reads, membership, transfer) reads and writes, and the helpers that queue
 * output for the next {@linkcode Ready} instead of performing it. Only the core's own files use
 * this; callers see the read-only surface of `RaftCore` (`raw_node.ts`).
 *
 * @module
 */
import { assert } from "../../../assert.ts";
import type { RaftBugs } from "../bugs.ts";
import { RaftLog } from "../log.ts";
import { type Membership, MembershipLog } from "../membership.ts";
import { majority } from "../quorum.ts";
import type { RaftConfig } from "../types.ts";
import { readyObservationsMax, serversMax, waitingOutputsMax } from "./limits.ts";
import type {
  ClientResponse,
  OutboundMessage,
  PeerMessage,
  PersistRecord,
  RandomSource,
  ReadState,
  Ready,
  Role,
  SnapshotChunkWrite,
  StateMachine,
  WalCompactionRequest,
} from "./types.ts";
import type { Entry } from "./types.ts";

/** What kind of output a held item is: a peer message, a client response, or a read's answer. */
export const heldMessage = 0;
export const heldResponse = 1;
export const heldRead = 2;

/** InstallSnapshot progress towards one follower (leader side). */
export interface SnapshotProgress {
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

/** A read waiting for its confirmation round and for the apply point (§6.4). */
export interface PendingRead {
  readIndex: number;
  round: number;
  node: number;
  clientId: number;
  seq: number;
  key: string;
}

/** Options of a core. */
export interface CoreOptions {
  /** This server's id. */
  id: number;
  config: RaftConfig;
  bugs: RaftBugs;
  stateMachine: StateMachine;
  /** Draws the randomised election timeout. */
  rng: RandomSource;
  /**
   * The caller's storage, read only: the WAL's length in bytes (for the WAL-size snapshot cadence),
   * as etcd's raft reads its Storage.
   */
  storage: { walBytes(): number };
}

/** Everything a core holds; written only by the core's files. */
export class CoreState {
  readonly id: number;
  readonly config: RaftConfig;
  readonly bugs: RaftBugs;
  readonly stateMachine: StateMachine;
  readonly rng: RandomSource;
  readonly storage: { walBytes(): number };

  role: Role = "follower";
  term = 0;
  vote = -1;
  leader = -1;
  commit = 0;
  applied = 0;
  readonly log = new RaftLog();
  readonly membership: MembershipLog;
  /** The node's monotonic clock at the input being handled. */
  nowUs = 0;
  /** When this incarnation started (monotonic clock). */
  startedUs = 0;

  // Deadlines (monotonic clock); Infinity: not armed.
  electionDeadlineUs = Infinity;
  heartbeatDeadlineUs = Infinity;
  checkQuorumDeadlineUs = Infinity;

  // Elections.
  votes = new Set<number>();
  lastLeaderContactUs = -Infinity;

  // Durability: outputs wait in `held` until the readies whose records they follow are durable.
  /** The last log index known to be on disk. */
  durableIndex = 0;
  /** The index of the last entry handed to the WAL (a log truncation is followed by new entries). */
  walWrittenIndex = 0;
  readyId = 0;
  /** The last ready that carried records (0: none). */
  recordsReadyId = 0;
  /** Every ready up to this one is durable. */
  persistedReadyId = 0;
  /** For each ready with records not yet durable: the log's last index when it was handed out. */
  readonly durablePending: { readyId: number; lastIndex: number }[] = [];
  /**
   * Outputs in the order they were made, as parallel arrays (no wrapper per output): the ready
   * whose records each follows (-1 until the step's ready is taken), its kind, and the item.
   * `heldStart` is the first not yet released; `heldUnassigned` the first made by the step in
   * progress.
   */
  readonly heldReadyIds: number[] = [];
  readonly heldKinds: number[] = [];
  readonly heldItems: (OutboundMessage | ClientResponse | ReadState)[] = [];
  heldStart = 0;
  heldUnassigned = 0;
  out: ReadyDraft = newDraft();

  // Leadership.
  readonly nextIndex = new Map<number, number>();
  readonly matchIndex = new Map<number, number>();
  /** Appends carrying entries sent to each follower and not yet acknowledged (flow control). */
  readonly inflight = new Map<number, number>();
  /** Each follower's match point at the last heartbeat: no progress since means a lost append. */
  readonly matchAtBeat = new Map<number, number>();
  readonly recentlyActive = new Set<number>();
  readonly pendingClients = new Map<number, { node: number; clientId: number; seq: number }>();

  // Leadership transfer.
  transferTarget = -1;
  transferDeadlineUs = 0;
  timeoutNowSent = false;

  // ReadIndex rounds and leases (§6.4).
  readRound = 0;
  readRoundConfirmed = 0;
  readRoundInFlight = false;
  readRoundAcks = new Set<number>();
  pendingReads: PendingRead[] = [];
  /** Lease reads (§6.4.1): until when (leader's monotonic clock) no other leader can exist. */
  leaseUntilUs = -Infinity;
  /** When the read round in flight was started (its appends were sent then or later). */
  readRoundSentUs = 0;
  /** A term in which this leader sent TimeoutNow: it holds no lease for the rest of it. */
  noLeaseTerm = -1;

  // Keys with a time to live (expiry.ts): a leader's deadlines, on its monotonic clock.
  /** Per key: the version of the write that set its TTL, when it expires, and whether its expire is in the log. */
  readonly expiries = new Map<string, { version: number; deadlineUs: number; proposed: boolean }>();

  // Snapshots (§7).
  /** This server's own snapshot being written, if any. */
  snapshotting: { index: number; term: number } | undefined = undefined;
  snapshotIndexDurable = 0;
  snapshotTermDurable = 0;
  /** The durable snapshot file's bytes, sent to followers behind the compacted log. */
  snapshotBytesDurable: Uint8Array | undefined = undefined;
  /** A leader's snapshot being received: the next offset expected, and whether a disk step is under way. */
  receiving: { index: number; term: number; leader: number; offset: number; busy: boolean } | undefined;
  readonly snapshotProgress = new Map<number, SnapshotProgress>();
  walCompacting = false;

  // Membership: catch-up rounds of learners (§4.2.1 of the thesis).
  readonly catchUpRounds = new Map<number, { endIndex: number; startedUs: number }>();
  #peersCached: number[] = [];
  #peersVersion = -1;

  constructor(options: CoreOptions) {
    if (!(Number.isSafeInteger(options.id) && options.id >= 0)) {
      assert(false, `server id ${options.id} is not an integer >= 0`);
    }
    if (!(options.config.servers.length <= serversMax)) assert(false, `more than ${serversMax} servers`);
    this.id = options.id;
    this.config = options.config;
    this.bugs = options.bugs;
    this.stateMachine = options.stateMachine;
    this.rng = options.rng;
    this.storage = options.storage;
    this.membership = new MembershipLog({ voters: [...options.config.servers], learners: [] });
  }

  /** The configuration in force: the latest in the log (§4.1: committed or not). */
  get current(): Membership {
    return this.membership.current;
  }

  /** Every other member, voter or learner: those the leader replicates to. */
  peers(): number[] {
    if (this.#peersVersion !== this.membership.version) {
      const { voters, learners } = this.membership.current;
      this.#peersCached = [...voters, ...learners].filter((s) => s !== this.id);
      this.#peersVersion = this.membership.version;
      if (!(this.#peersCached.length < serversMax)) assert(false, `a configuration of more than ${serversMax} servers`);
    }
    return this.#peersCached;
  }

  isVoter(server: number): boolean {
    return this.membership.current.voters.includes(server);
  }

  /**
   * Whether this server campaigns: a voter of its latest configuration, or, while that
   * configuration is not known committed, a voter of the one in force at its commit index. A leader
   * that appended its own removal may step down (CheckQuorum) before the removal commits, and the
   * servers that have not received it still need its vote or its leadership; the thesis (§4.2.2,
   * Figure 4.6) asks that such a server still start elections until Cnew is committed. Its votes
   * are counted in its latest configuration, so the election stays within one configuration.
   */
  mayCampaign(): boolean {
    if (this.isVoter(this.id)) return true;
    return this.membership.latestIndex > this.commit && this.membership.at(this.commit).voters.includes(this.id);
  }

  majority(): number {
    return majority(this.membership.current.voters.length);
  }

  /** Draws a new randomised election deadline (§5.2: spreads candidates out in time). */
  resetElectionTimer(): void {
    const { electionTimeoutUsMin: min, electionTimeoutUsMax: max } = this.config;
    const drawn = this.rng.next();
    if (!(drawn >= 0 && drawn < 1)) assert(false, `the random source gave ${drawn}, outside [0, 1)`);
    this.electionDeadlineUs = this.nowUs + min + Math.floor(drawn * (max - min + 1));
  }

  /** Queues a message for a peer; it leaves once the persistence handed out before it is durable. */
  send(to: number, message: PeerMessage, sizeBytes?: number): void {
    this.#hold(heldMessage, { to, message, sizeBytes });
  }

  /** Queues a client response under the same rule as messages. */
  respond(response: ClientResponse): void {
    this.#hold(heldResponse, response);
  }

  /** Queues a read that may be answered from the applied state, under the same rule as messages. */
  readReady(read: ReadState): void {
    this.#hold(heldRead, read);
  }

  #hold(kind: number, item: OutboundMessage | ClientResponse | ReadState): void {
    this.heldReadyIds.push(-1);
    this.heldKinds.push(kind);
    this.heldItems.push(item);
  }

  /** Records an observation for the harness. */
  metric(name: string, value: number): void {
    this.out.metrics.push({ name, value });
  }

  /** The hard state as the WAL records it (§5.1: term and vote survive a crash). */
  hardState(): { kind: "hard"; term: number; vote: number; commit: number } {
    // Planted bug: the term is persisted but not the vote, so a restarted server can vote twice in a term.
    const vote = this.bugs.forgetVote ? -1 : this.vote;
    return { kind: "hard", term: this.term, vote, commit: this.commit };
  }

  /** Queues the hard state (term, vote, commit) for the WAL: it must be durable before replies. */
  persistHardState(): void {
    this.out.records.push(this.hardState());
  }

  /** Queues entries appended to the log for the WAL. */
  persistEntries(entries: readonly Entry[]): void {
    for (const entry of entries) {
      this.out.records.push({ kind: "entry", term: entry.term, index: entry.index, command: entry.command });
    }
  }

  /** Checks the bounds of what waits; called once per step. */
  checkBounds(): void {
    if (this.heldItems.length - this.heldStart > waitingOutputsMax) {
      assert(false, `more than ${waitingOutputsMax} outputs wait`);
    }
    if (this.out.metrics.length + this.out.roleChanges.length > readyObservationsMax) {
      assert(false, `more than ${readyObservationsMax} observations in one ready`);
    }
  }
}

/** The ready being built by the step in progress. */
export interface ReadyDraft {
  records: PersistRecord[];
  snapshot: Ready["persist"]["snapshot"];
  snapshotChunks: SnapshotChunkWrite[];
  snapshotReceived: { index: number; term: number } | undefined;
  walCompaction: WalCompactionRequest | undefined;
  committed: Entry[];
  roleChanges: Ready["roleChanges"][number][];
  metrics: Ready["metrics"][number][];
  /** Client refusals: they promise nothing durable and leave at once. */
  refusals: ClientResponse[];
}

/** An empty draft. */
export function newDraft(): ReadyDraft {
  return {
    records: [],
    snapshot: undefined,
    snapshotChunks: [],
    snapshotReceived: undefined,
    walCompaction: undefined,
    committed: [],
    roleChanges: [],
    metrics: [],
    refusals: [],
  };
}
