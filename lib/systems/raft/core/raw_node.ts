/**
 * The Raft core as a pure state machine, in the manner of etcd's RawNode: inputs go through one
 * {@linkcode RaftCore.step}, effects come out of {@linkcode RaftCore.ready} in the order the
 * caller must perform them, and {@linkcode RaftCore.advance} acknowledges a ready. The core does no
 * I/O, reads no clock and sets no timer: the same state and the same inputs give the same output.
 *
 * `step` applies the rules common to every role first (a higher term makes the server a follower;
 * a stale term is answered so the sender learns it, or ignored), then hands the message to the
 * concern that handles it. Only the `become*` functions (`roles.ts`) change the role.
 *
 * @example
 * ```ts
 * import { RaftCore } from "./raw_node.ts";
 * import { noBugs } from "../bugs.ts";
 * import { KvStateMachine } from "../kv.ts";
 * import { raftConfigDefaults } from "../types.ts";
 *
 * const core = new RaftCore({
 *   id: 0,
 *   config: { ...raftConfigDefaults, servers: [0] },
 *   bugs: noBugs,
 *   stateMachine: new KvStateMachine(),
 *   rng: { next: () => 0.5 },
 *   storage: { walBytes: () => 0 },
 *   nowUs: 0,
 * });
 * core.step({ type: "tick", nowUs: core.nextDeadlineUs }); // a single voter elects itself
 * const ready = core.ready();
 * ready.roleChanges; // precandidate, candidate, leader
 * core.advance();
 * ```
 * @module
 */
import { assert } from "../../../assert.ts";
import type { ReadonlyRaftLog } from "../log.ts";
import type { Membership } from "../membership.ts";
import { campaign, handleTimeoutNow, handleVote, handleVoteResponse, inLease } from "./election.ts";
import { changeMembership } from "./membership_change.ts";
import { propose, read } from "./proposal.ts";
import {
  checkQuorum,
  handleAppend,
  handleAppendResponse,
  heartbeat,
  maybeCommit,
  sendHeartbeat,
} from "./replication.ts";
import { waitingOutputsMax } from "./limits.ts";
import { becomeFollower } from "./roles.ts";
import { chunkWritten, handleSnapshot, handleSnapshotAck, snapshotDurable } from "./snapshot.ts";
import { type CoreOptions, CoreState, heldMessage, heldResponse, type ReadyDraft } from "./state.ts";
import { continueTransfer, startTransfer } from "./transfer.ts";
import { nextExpiryUs, proposeDueExpiries } from "./expiry.ts";
import type {
  ClientResponse,
  CoreInput,
  CoreRestore,
  OutboundMessage,
  PeerMessage,
  ReadState,
  Ready,
  Role,
} from "./types.ts";

/** Options of a {@linkcode RaftCore}: the state's options, the clock at start, and what recovery found. */
export interface RaftCoreOptions extends CoreOptions {
  /** The node's monotonic clock when this incarnation starts. */
  nowUs: number;
  /** What the WAL and the snapshot file held (a restart); undefined for a fresh server. */
  restore?: CoreRestore;
}

/** One Raft server's protocol state machine. */
export class RaftCore {
  readonly #s: CoreState;
  #readyOutstanding = false;

  constructor(options: RaftCoreOptions) {
    const s = new CoreState(options);
    this.#s = s;
    s.nowUs = options.nowUs;
    s.startedUs = options.nowUs;
    // Followers honour a lease only through leader stickiness, which CheckQuorum switches on.
    assert(
      s.config.readMode !== "lease" || s.config.checkQuorum,
      "lease reads need checkQuorum: followers must refuse votes while they hear from a leader",
    );
    if (options.restore !== undefined) restore(s, options.restore);
    s.resetElectionTimer();
  }

  // ------------------------------------------------------------------ observable state (read only)

  get id(): number {
    return this.#s.id;
  }
  get role(): Role {
    return this.#s.role;
  }
  get term(): number {
    return this.#s.term;
  }
  /** The candidate voted for in `term`, or -1. */
  get vote(): number {
    return this.#s.vote;
  }
  /** The leader this server follows (itself when leading), or -1. */
  get leader(): number {
    return this.#s.leader;
  }
  get commit(): number {
    return this.#s.commit;
  }
  get applied(): number {
    return this.#s.applied;
  }
  /** The log (read it; only the core changes it). */
  get log(): ReadonlyRaftLog {
    return this.#s.log;
  }
  /** The configuration in force: the latest in the log. */
  get membership(): Membership {
    return this.#s.current;
  }
  /** Whether the configuration in force is committed (a new change may then be proposed). */
  get membershipCommitted(): boolean {
    return this.#s.membership.latestIndex <= this.#s.commit;
  }
  /** Until when (monotonic clock) this leader's lease holds; -Infinity when it holds none. */
  get leaseUntilUs(): number {
    return this.#s.leaseUntilUs;
  }
  /** Whether this server now refuses to help elect a rival of the leader it hears (stickiness). */
  get inLease(): boolean {
    return inLease(this.#s);
  }
  /** The last log index known durable on this server. */
  get durableIndex(): number {
    return this.#s.durableIndex;
  }
  /** The index of the last durable snapshot (0: none). */
  get snapshotIndexDurable(): number {
    return this.#s.snapshotIndexDurable;
  }
  /** The earliest deadline (monotonic clock): step a `tick` then. Infinity: none. */
  get nextDeadlineUs(): number {
    const s = this.#s;
    const expiryUs = s.expiries.size === 0 ? Infinity : nextExpiryUs(s);
    return Math.min(s.electionDeadlineUs, s.heartbeatDeadlineUs, s.checkQuorumDeadlineUs, expiryUs);
  }
  /** Outputs waiting for persistence to become durable. */
  get heldCount(): number {
    return this.#s.heldItems.length - this.#s.heldStart;
  }

  // ------------------------------------------------------------------ step, ready, advance

  /** Feeds one input; its effects are collected for the next {@linkcode ready}. */
  step(input: CoreInput): void {
    const s = this.#s;
    if (!(input.nowUs >= s.nowUs)) assert(false, `the clock went back from ${s.nowUs} to ${input.nowUs}`);
    s.nowUs = input.nowUs;
    switch (input.type) {
      case "message":
        stepMessage(s, input.from, input.message);
        break;
      case "tick":
        tick(s);
        break;
      case "beat":
        // etcd's MsgBeat: a leader heartbeats every follower now.
        if (s.role === "leader") { for (const server of s.peers()) sendHeartbeat(s, server); }
        break;
      case "propose":
        propose(s, input.from, input.request);
        break;
      case "read":
        read(s, input.from, input.request);
        break;
      case "transfer":
        startTransfer(s, input.target);
        break;
      case "changeMembership":
        changeMembership(s, input);
        break;
      case "persisted":
        persisted(s, input.readyId);
        break;
      case "snapshotDurable":
        snapshotDurable(s, input);
        break;
      case "snapshotChunkWritten":
        chunkWritten(s, input);
        break;
      case "walCompacted":
        assert(s.walCompacting, "a WAL compaction finished that was not asked for");
        s.walCompacting = false;
        break;
    }
    s.checkBounds();
  }

  /**
   * What to do now, in the order of {@linkcode Ready}'s fields. Outputs made while records handed
   * out earlier are not yet durable wait in the core and come out in a later ready, after the
   * `persisted` input that covers them.
   */
  ready(): Ready {
    assert(!this.#readyOutstanding, "ready() again before advance()");
    assert(none.length === 0, "a caller added to a ready's shared empty list");
    const s = this.#s;
    const out = s.out;
    const id = ++s.readyId;
    if (out.records.length > 0) handOutRecords(s, id);
    // The outputs of this step follow every record handed out so far, this ready's included.
    const ids = s.heldReadyIds;
    for (let i = s.heldUnassigned; i < ids.length; i++) ids[i] = s.recordsReadyId;
    s.heldUnassigned = ids.length;
    const released = release(s, out.refusals.length > 0 ? out.refusals : none);
    const ready: Ready = {
      id,
      persist: {
        records: take(out, "records"),
        snapshot: out.snapshot,
        snapshotChunks: take(out, "snapshotChunks"),
        snapshotReceived: out.snapshotReceived,
        walCompaction: out.walCompaction,
      },
      messages: released.messages,
      releasedAfterReadyId: released.afterReadyId,
      committed: take(out, "committed"),
      readStates: released.readStates,
      responses: released.responses,
      roleChanges: take(out, "roleChanges"),
      metrics: take(out, "metrics"),
    };
    if (out.refusals.length > 0) out.refusals = [];
    out.snapshot = undefined;
    out.snapshotReceived = undefined;
    out.walCompaction = undefined;
    this.#readyOutstanding = true;
    return ready;
  }

  /** Acknowledges the last ready: its effects were carried out (or, for persistence, started). */
  advance(): void {
    assert(this.#readyOutstanding, "advance() without a ready");
    this.#readyOutstanding = false;
  }
}

/** Rebuilds a restarted server from its snapshot and WAL: term, vote, log, configuration, state. */
function restore(s: CoreState, found: CoreRestore): void {
  if (found.hardState !== undefined) {
    s.term = found.hardState.term;
    s.vote = found.hardState.vote;
  }
  const snapshot = found.snapshot;
  if (snapshot !== undefined) {
    // A snapshot covers only committed entries: they are applied and committed at once.
    s.stateMachine.restore(snapshot.data);
    s.log.compact(snapshot.index, snapshot.term);
    s.membership.installed(snapshot.index, snapshot.membership, false);
    s.commit = s.applied = snapshot.index;
    s.snapshotIndexDurable = snapshot.index;
    s.snapshotTermDurable = snapshot.term;
    s.snapshotBytesDurable = snapshot.bytes;
  }
  for (const entry of found.entries) s.membership.appended(s.log.merge([entry]));
  s.walWrittenIndex = found.walWrittenIndex;
  s.durableIndex = s.log.lastIndex;
  if (!(s.commit <= s.log.lastIndex)) {
    assert(false, `restored commit ${s.commit} past the log's end ${s.log.lastIndex}`);
  }
}

/** The rules common to every role (Figure 2, "All Servers"), then the message's handler. */
function stepMessage(s: CoreState, from: number, message: PeerMessage): void {
  assert(from !== s.id, "a server receives its own message");
  if (!(Number.isSafeInteger(message.term) && message.term >= 0)) assert(false, `message term ${message.term}`);
  if (message.term > s.term) {
    const preVoteRequest = message.type === "vote" && message.pre;
    const preVoteGrant = message.type === "voteResponse" && message.pre && message.granted;
    if (message.type === "vote" && !message.pre && !message.transfer && inLease(s)) {
      // Leader stickiness: while a leader is heard from, a disruptive candidate is ignored.
      return;
    }
    if (!preVoteRequest && !preVoteGrant) {
      const leader = message.type === "append" || message.type === "snapshot" ? message.leader : -1;
      becomeFollower(s, message.term, leader);
    }
  } else if (message.term < s.term) {
    if (message.type === "append" || message.type === "snapshot") {
      // A stale leader learns our term from the rejection and steps down.
      s.send(from, { type: "appendResponse", term: s.term, success: false, matchIndex: 0, conflictIndex: 0, round: 0 });
    } else if (message.type === "vote") {
      s.send(from, { type: "voteResponse", term: s.term, granted: false, pre: message.pre });
    }
    return;
  }
  switch (message.type) {
    case "vote":
      return handleVote(s, from, message);
    case "voteResponse":
      return handleVoteResponse(s, from, message);
    case "append":
      return handleAppend(s, from, message);
    case "appendResponse":
      return handleAppendResponse(s, from, message);
    case "snapshot":
      return handleSnapshot(s, from, message);
    case "snapshotAck":
      return handleSnapshotAck(s, from, message);
    case "timeoutNow":
      return handleTimeoutNow(s);
  }
}

/** A deadline may have passed: campaign, heartbeat (and push a transfer), or check the quorum. */
function tick(s: CoreState): void {
  if (s.nowUs >= s.electionDeadlineUs) campaign(s);
  if (s.role === "leader" && s.nowUs >= s.heartbeatDeadlineUs) {
    heartbeat(s);
    continueTransfer(s);
    s.heartbeatDeadlineUs = s.nowUs + s.config.heartbeatIntervalUs;
  }
  if (s.role === "leader" && s.nowUs >= s.checkQuorumDeadlineUs) checkQuorum(s);
  if (s.role === "leader" && s.expiries.size > 0) proposeDueExpiries(s);
  assert(s.role === "leader" || s.electionDeadlineUs > s.nowUs, "a follower's election deadline stays past");
}

/** Records of ready `id` go to the WAL: the leader counts them toward commits once durable. */
function handOutRecords(s: CoreState, id: number): void {
  if (!(id > s.recordsReadyId)) assert(false, `ready ${id} hands out records after ready ${s.recordsReadyId}`);
  s.recordsReadyId = id;
  for (const record of s.out.records) if (record.kind === "entry") s.walWrittenIndex = record.index;
  s.durablePending.push({ readyId: id, lastIndex: s.log.lastIndex });
  if (!(s.durablePending.length <= waitingOutputsMax)) {
    assert(false, `more than ${waitingOutputsMax} readies wait for fsync`);
  }
}

/**
 * The shared empty list of a ready's unused fields. Not frozen (a frozen array has its own element
 * kind, and loops over a ready's lists would then see two kinds); `ready()` checks nobody added to it.
 */
const none: never[] = [];

/** The draft's list `key` for a ready (or the shared empty one), and a fresh list in its place. */
function take<K extends "records" | "snapshotChunks" | "committed" | "roleChanges" | "metrics">(
  out: ReadyDraft,
  key: K,
): ReadyDraft[K] {
  const list = out[key];
  if (list.length === 0) return none;
  out[key] = [] as unknown as ReadyDraft[K];
  return list;
}

/** Releases held outputs whose persistence is durable, in the order they were made. */
function release(s: CoreState, refusals: ClientResponse[]) {
  const released = {
    messages: none as OutboundMessage[],
    readStates: none as ReadState[],
    responses: refusals,
    afterReadyId: 0,
  };
  const { heldReadyIds: ids, heldKinds: kinds, heldItems: items } = s;
  let i = s.heldStart;
  while (i < ids.length && ids[i] <= s.persistedReadyId) {
    released.afterReadyId = Math.max(released.afterReadyId, ids[i]);
    const kind = kinds[i];
    const item = items[i];
    if (kind === heldMessage) {
      if (released.messages === none) released.messages = [];
      released.messages.push(item as OutboundMessage);
    } else if (kind === heldResponse) {
      if (released.responses === none) released.responses = [];
      released.responses.push(item as ClientResponse);
    } else {
      if (released.readStates === none) released.readStates = [];
      released.readStates.push(item as ReadState);
    }
    i++;
  }
  if (i === ids.length) {
    ids.length = kinds.length = items.length = 0;
    s.heldStart = s.heldUnassigned = 0;
  } else if (i > 1024 && i * 2 > ids.length) {
    ids.splice(0, i);
    kinds.splice(0, i);
    items.splice(0, i);
    s.heldStart = 0;
    s.heldUnassigned -= i;
  } else {
    s.heldStart = i;
  }
  return released;
}

/** The records of every ready up to `readyId` are durable: outputs after them may leave. */
function persisted(s: CoreState, readyId: number): void {
  if (!(readyId >= 1 && readyId <= s.readyId)) assert(false, `ready ${readyId} acknowledged durable, of ${s.readyId}`);
  s.persistedReadyId = Math.max(s.persistedReadyId, readyId);
  const pending = s.durablePending;
  while (pending.length > 0 && pending[0].readyId <= readyId) s.durableIndex = pending.shift()!.lastIndex;
  maybeCommit(s);
}
