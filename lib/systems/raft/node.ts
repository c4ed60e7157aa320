/**
 * A Raft server on the kernel: the small adapter from the kernel's node API to the pure core
 * (`core/raw_node.ts`). It turns kernel events (messages, its one timer, disk completions) into
 * core inputs, and carries out each {@linkcode Ready} in its order: appends the WAL records and
 * fsyncs them (group commit: one fsync at a time, later records share the next), writes snapshot
 * files (temp file, fsync, rename) and received chunks, sends the messages the core released, and
 * answers clients. It prices CPU (`costs.ts`) and records the metrics experiments read.
 *
 * Durability is an ordering contract, as etcd's Ready has it: a message the core releases follows
 * only records the adapter has acknowledged durable (the `persisted` input after their fsync), and
 * the adapter asserts so before sending (§5.1, Figure 2: "respond after persisting").
 *
 * @module
 */
import { assert } from "../../assert.ts";
import type { DiskCompletion, NodeApi, NodeLogic } from "../../sim/mod.ts";
import type { RaftBugs } from "./bugs.ts";
import { replayWorkUs, snapshotLoadUsPerByte, snapshotWorkUs } from "./costs.ts";
import { RaftCore } from "./core/mod.ts";
import { type CoreInput, decodeSnapshot, type Ready, type Role, type SnapshotContents } from "./core/mod.ts";
import { KvStateMachine } from "./kv.ts";
import { RaftLog, type ReadonlyRaftLog } from "./log.ts";
import type { Membership } from "./membership.ts";
import type { Entry, RaftConfig, RaftMessage } from "./types.ts";
import { recover, Wal, WalCorruptionError } from "./wal/mod.ts";

export type { Role };

const tickTag = "tick";
const snapshotFile = "snapshot";
const snapshotTempFile = "snapshot.tmp";
/** Where a follower assembles a leader's snapshot, chunk by chunk, before publishing it. */
const snapshotReceiveFile = "snapshot.recv";

/** What a disk completion of this adapter carries in its tag. */
interface DiskTag {
  /** The WAL fsync covering the records of every ready up to this one. */
  raftSync?: number;
  /** This server's own snapshot: written, then synced. */
  snapshotOwn?: { phase: "write" | "sync"; index: number; term: number; bytes: Uint8Array };
  /** A chunk of a leader's snapshot, written into the receiving file. */
  snapshotChunk?: { index: number; offset: number; length: number; done: boolean };
  /** The receiving file, synced once its last chunk is written. */
  snapshotReceived?: { index: number; term: number };
  walCompaction?: true;
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

/** Thrown when the durable snapshot file does not decode (its bytes were damaged on the medium). */
export class SnapshotCorruptError extends Error {
  constructor(server: string, cause: unknown) {
    super(`server ${server}: its snapshot file does not decode (${String(cause)}); refusing to start`);
    this.name = "SnapshotCorruptError";
  }
}

/** The durable snapshot, if there is one (it appears only by rename after its fsync, so it is whole). */
export function readSnapshot(
  disk: { exists(file: string): boolean; read(file: string): Uint8Array },
): SnapshotContents | undefined {
  if (!disk.exists(snapshotFile)) return undefined;
  return decodeSnapshot(disk.read(snapshotFile));
}

/** Options of one server. */
export interface RaftServerOptions {
  config: RaftConfig;
  bugs: RaftBugs;
  /** Called on every role change (from the ready's role-change events), for the harness. */
  onRole?: (server: number, role: Role, term: number) => void;
  /**
   * Called once when the server fail-stops because a WAL write or fsync failed: its supervisor
   * should crash it and start it again, so that it recovers from what is durable. Without one the
   * server stays silent until something restarts it.
   */
  onFailStop?: (server: number) => void;
  /**
   * Called with every entry the server applies, in index order, for the harness's State Machine
   * Safety ledger: an entry applied for a moment before a crash is evidence a later sample would miss.
   */
  onApply?: (server: number, entry: Entry) => void;
}

/** Builds a server's logic for one incarnation. */
export function raftServer(api: NodeApi<RaftMessage>, options: RaftServerOptions): NodeLogic<RaftMessage> {
  return new RaftServer(api, options);
}

const emptyLog = new RaftLog();

/** One Raft server. Its public state is read only and comes from the core. */
export class RaftServer implements NodeLogic<RaftMessage> {
  readonly kv = new KvStateMachine();
  readonly #api: NodeApi<RaftMessage>;
  readonly #config: RaftConfig;
  readonly #bugs: RaftBugs;
  readonly #onRole: RaftServerOptions["onRole"];
  readonly #onFailStop: RaftServerOptions["onFailStop"];
  readonly #onApply: RaftServerOptions["onApply"];
  readonly #wal: Wal;
  #core: RaftCore | undefined = undefined;
  /** The monotonic clock as the core last saw it (never decreasing). */
  #nowUs = 0;
  // Group commit: the last ready whose records were appended, and the last one an fsync covers.
  #appendedReadyId = 0;
  #syncIssuedReadyId = 0;
  #syncInFlight = false;
  /** The last ready the core was told is durable: released outputs may follow no later one. */
  #acknowledgedReadyId = 0;
  /**
   * A WAL write or fsync failed: the server does nothing more until it restarts (fail-stop). A
   * later fsync would not cover the lost write, and PostgreSQL's fsync lesson (2018) is that the
   * unsynced data cannot be trusted after a failure: so no apply, snapshot, compaction or reply.
   */
  #walFailed = false;
  /** Why this incarnation refused to start (a damaged WAL or snapshot), if it did. */
  #refusal: Error | undefined = undefined;
  #timerId = -1;
  #timerAtUs = Infinity;

  constructor(api: NodeApi<RaftMessage>, options: RaftServerOptions) {
    this.#api = api;
    this.#config = options.config;
    this.#bugs = options.bugs;
    this.#onRole = options.onRole;
    this.#onFailStop = options.onFailStop;
    this.#onApply = options.onApply;
    this.#wal = new Wal(api.disk);
  }

  // ------------------------------------------------------------------ observable state

  get role(): Role {
    return this.#core?.role ?? "follower";
  }
  get term(): number {
    return this.#core?.term ?? 0;
  }
  get vote(): number {
    return this.#core?.vote ?? -1;
  }
  get leader(): number {
    return this.#core?.leader ?? -1;
  }
  get commit(): number {
    return this.#core?.commit ?? 0;
  }
  get applied(): number {
    return this.#core?.applied ?? 0;
  }
  get log(): ReadonlyRaftLog {
    return this.#core?.log ?? emptyLog;
  }
  /** The configuration in force: the latest in the log. */
  get membership(): Membership {
    return this.#core?.membership ?? { voters: [...this.#config.servers], learners: [] };
  }
  /** Whether the configuration in force is committed (a new change may then be proposed). */
  get membershipCommitted(): boolean {
    return this.#core?.membershipCommitted ?? true;
  }
  /** Why this incarnation refused to start (its WAL or snapshot is damaged); undefined if it started. */
  get refusedToStart(): Error | undefined {
    return this.#refusal;
  }
  /** Whether a WAL failure stopped this incarnation (it waits to be restarted). */
  get failStopped(): boolean {
    return this.#walFailed;
  }
  /** The core, for white-box tests (read only). */
  get core(): RaftCore | undefined {
    return this.#core;
  }

  // ------------------------------------------------------------------ kernel handlers

  onStart(): void {
    this.onRecover();
  }

  /**
   * Rebuilds term, vote and log from the WAL and the snapshot file, then starts the core. A damaged
   * WAL or snapshot makes this incarnation refuse to start: it stays down (answers nothing) and
   * says why in {@linkcode refusedToStart}, while the rest of the cluster goes on without it.
   */
  onRecover(): void {
    try {
      this.#start();
    } catch (error) {
      const refused = error instanceof WalCorruptionError || error instanceof SnapshotMissingError ||
        error instanceof SnapshotCorruptError;
      if (!refused) throw error;
      this.#refusal = error;
      this.#core = undefined;
      this.#api.record("raft_refused_to_start", 1);
    }
  }

  #start(): void {
    const disk = this.#api.disk;
    const recovered = recover(disk, "wal");
    const snapshotBytes = disk.exists(snapshotFile) ? disk.read(snapshotFile) : undefined;
    let snapshot: SnapshotContents | undefined;
    try {
      snapshot = snapshotBytes === undefined ? undefined : decodeSnapshot(snapshotBytes);
    } catch (error) {
      throw new SnapshotCorruptError(this.#api.name, error);
    }
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
    this.#nowUs = this.#api.monotonicUs();
    this.#core = new RaftCore({
      id: this.#api.id,
      config: this.#config,
      bugs: this.#bugs,
      stateMachine: this.kv,
      rng: this.#api.rng,
      storage: { walBytes: () => this.#wal.bytes },
      nowUs: this.#nowUs,
      restore: {
        hardState: recovered.hardState,
        snapshot: snapshot === undefined ? undefined : { ...snapshot, bytes: snapshotBytes! },
        entries,
        walWrittenIndex: recovered.entries.length > 0 ? recovered.entries[recovered.entries.length - 1].index : 0,
      },
    });
    if (snapshot !== undefined) this.#api.record("raft_recovered_snapshot_index", snapshot.index);
    this.#api.record("raft_recovered_entries", recovered.entries.length);
    // Replaying is not free: the server is busy for it (costs.ts) and handles nothing else meanwhile,
    // so a longer WAL (a rarer snapshot) makes a longer recovery.
    const workUs = replayWorkUs({
      walBytes: recovered.validBytes,
      entries: recovered.entries.length,
      snapshotBytes: snapshotBytes?.length ?? 0,
    });
    this.#api.work(workUs);
    this.#api.record("raft_recovery_work_us", workUs);
    this.#drive();
  }

  onMessage(from: number, message: RaftMessage): void {
    if (this.#core === undefined || this.#walFailed) return;
    const nowUs = this.#now();
    switch (message.type) {
      case "response":
        return;
      case "request":
        return this.#step({ type: message.f === "get" ? "read" : "propose", from, request: message, nowUs });
      case "transferLeadership":
        return this.#step({ type: "transfer", target: message.target, nowUs });
      case "changeMembership":
        return this.#step({ type: "changeMembership", change: message.change, server: message.server, nowUs });
      case "heartbeatNow":
        // The operator's console asks for etcd's MsgBeat: the leader heartbeats every follower now.
        return this.#step({ type: "beat", nowUs });
      default:
        return this.#step({ type: "message", from, message, nowUs });
    }
  }

  onTimer(tag: unknown): void {
    if (!(tag === tickTag)) assert(false, `unknown timer ${String(tag)}`);
    if (this.#core === undefined || this.#walFailed) return;
    // The timer fired after its delay on this node's clock: the deadline has come, whatever the
    // clock's rounding says.
    const nowUs = Math.max(this.#now(), this.#timerAtUs);
    this.#nowUs = nowUs;
    this.#timerId = -1;
    this.#timerAtUs = Infinity;
    this.#step({ type: "tick", nowUs });
  }

  onDisk(completion: DiskCompletion): void {
    // A stopped server does no durable work: no snapshot published, no WAL compacted over a hole.
    if (this.#core === undefined || this.#walFailed) return;
    const tag = completion.tag as DiskTag | undefined;
    // Snapshot files fail on their own: the step is abandoned and retried later, the WAL is intact.
    if (tag?.snapshotOwn !== undefined) return this.#ownSnapshotStep(tag.snapshotOwn, completion.ok);
    if (tag?.snapshotChunk !== undefined) {
      const chunk = tag.snapshotChunk;
      return this.#step({ type: "snapshotChunkWritten", ...chunk, ok: completion.ok, nowUs: this.#now() });
    }
    if (tag?.snapshotReceived !== undefined) return this.#receivedSnapshotSynced(tag.snapshotReceived, completion.ok);
    if (!completion.ok && completion.file === this.#wal.file) return this.#failStop();
    // A compaction's temp file that could not be written is harmless: finishCompaction finds it
    // short and keeps the old WAL, whole.
    if (!completion.ok && !tag?.walCompaction) return;
    if (tag?.walCompaction) {
      this.#wal.finishCompaction(completion);
      this.#api.record("raft_wal_bytes", this.#wal.bytes);
      return this.#step({ type: "walCompacted", nowUs: this.#now() });
    }
    if (completion.op !== "fsync" || tag?.raftSync === undefined) return;
    if (!(tag.raftSync === this.#syncIssuedReadyId)) {
      assert(false, `fsync for ready ${tag.raftSync} completes out of order`);
    }
    this.#syncInFlight = false;
    this.#acknowledge(tag.raftSync);
  }

  // ------------------------------------------------------------------ driving the core

  /**
   * A WAL write or fsync failed (a full or failing disk): a later fsync would not cover the lost
   * batch, so nothing may be acknowledged, applied or compacted again. The server stops, as
   * PostgreSQL and etcd stop on a failed fsync, and asks its supervisor for a restart, after which
   * it recovers from what is durable.
   */
  #failStop(): void {
    assert(!this.#walFailed, "a server fail-stops twice");
    this.#api.record("raft_wal_errors", 1);
    this.#walFailed = true;
    if (this.#timerId >= 0) this.#api.cancelTimer(this.#timerId);
    this.#timerId = -1;
    this.#timerAtUs = Infinity;
    this.#onFailStop?.(this.#api.id);
  }

  #now(): number {
    this.#nowUs = Math.max(this.#nowUs, this.#api.monotonicUs());
    return this.#nowUs;
  }

  #step(input: CoreInput): void {
    // A server whose WAL failed has fallen silent: it takes no more input until it restarts.
    if (this.#walFailed) return;
    this.#core!.step(input);
    this.#drive();
  }

  /** Tells the core the records of every ready up to `readyId` are durable. */
  #acknowledge(readyId: number): void {
    this.#acknowledgedReadyId = Math.max(this.#acknowledgedReadyId, readyId);
    this.#step({ type: "persisted", readyId, nowUs: this.#now() });
  }

  /** Carries out the core's ready, acknowledges it, and arms the timer at the next deadline. */
  #drive(): void {
    const core = this.#core!;
    const ready = core.ready();
    this.#persist(ready);
    // Every released output follows only records acknowledged durable (Figure 2: persist, then reply).
    if (ready.releasedAfterReadyId > this.#acknowledgedReadyId) {
      assert(
        false,
        `outputs after ready ${ready.releasedAfterReadyId} released, but only ${this.#acknowledgedReadyId} is durable`,
      );
    }
    const { messages, readStates, responses, metrics, roleChanges, committed } = ready;
    if (this.#onApply !== undefined) {
      for (let i = 0; i < committed.length; i++) this.#onApply(this.#api.id, committed[i]);
    }
    for (let i = 0; i < messages.length; i++) {
      this.#api.send(messages[i].to, messages[i].message, messages[i].sizeBytes);
    }
    for (let i = 0; i < readStates.length; i++) {
      const read = readStates[i];
      this.#api.send(read.node, {
        type: "response",
        term: read.term,
        clientId: read.clientId,
        seq: read.seq,
        ok: true,
        value: read.value,
        leaderHint: this.#api.id,
      });
    }
    for (let i = 0; i < responses.length; i++) this.#api.send(responses[i].node, responses[i].response);
    for (let i = 0; i < metrics.length; i++) this.#api.record(metrics[i].name, metrics[i].value);
    if (this.#onRole !== undefined) {
      for (let i = 0; i < roleChanges.length; i++) this.#onRole(this.#api.id, roleChanges[i].role, roleChanges[i].term);
    }
    core.advance();
    this.#arm(core.nextDeadlineUs);
    if (ready.persist.records.length > 0 && this.#bugs.ackBeforeFsync) {
      // Planted bug: the records are acknowledged durable before their fsync, so replies and the
      // leader's own commit count go out ahead of it.
      this.#acknowledge(ready.id);
    }
  }

  /** (a) of a ready: the WAL records (group commit), snapshot files, chunks and WAL compaction. */
  #persist(ready: Ready): void {
    const persist = ready.persist;
    // A compaction starts before this ready's records are appended: it rewrites what the WAL held
    // before them, and the WAL holds the new records back until the rewrite is renamed into place.
    if (persist.walCompaction !== undefined) {
      assert(!this.#wal.compacting, "a WAL compaction asked for while one runs");
      this.#wal.startCompaction({ ...persist.walCompaction, tag: { walCompaction: true } satisfies DiskTag });
    }
    if (persist.records.length > 0) {
      this.#wal.append(persist.records);
      this.#appendedReadyId = ready.id;
    }
    // Group commit: one fsync at a time; records appended meanwhile share the next one.
    if (this.#appendedReadyId > this.#syncIssuedReadyId && !this.#syncInFlight) {
      this.#syncIssuedReadyId = this.#appendedReadyId;
      this.#syncInFlight = true;
      this.#wal.sync({ raftSync: this.#syncIssuedReadyId } satisfies DiskTag);
    }
    const disk = this.#api.disk;
    if (persist.snapshot !== undefined) {
      const { index, term, bytes } = persist.snapshot;
      this.#api.work(snapshotWorkUs(bytes.length));
      disk.delete(snapshotTempFile);
      disk.write(snapshotTempFile, 0, bytes, { snapshotOwn: { phase: "write", index, term, bytes } } satisfies DiskTag);
    }
    for (const chunk of persist.snapshotChunks) {
      if (chunk.offset === 0) disk.delete(snapshotReceiveFile);
      const snapshotChunk = { index: chunk.index, offset: chunk.offset, length: chunk.bytes.length, done: chunk.done };
      disk.write(snapshotReceiveFile, chunk.offset, chunk.bytes, { snapshotChunk } satisfies DiskTag);
    }
    if (persist.snapshotReceived !== undefined) {
      disk.fsync(snapshotReceiveFile, { snapshotReceived: persist.snapshotReceived } satisfies DiskTag);
    }
  }

  /** Keeps one kernel timer armed at or before the core's next deadline. */
  #arm(deadlineUs: number): void {
    // An earlier timer stays: it fires, the core finds nothing due, and the timer is armed again.
    // This spares a cancel and a new timer each time a leader's append pushes the election back.
    if (deadlineUs === Infinity || deadlineUs >= this.#timerAtUs) return;
    if (this.#timerId >= 0) this.#api.cancelTimer(this.#timerId);
    this.#timerAtUs = deadlineUs;
    this.#timerId = this.#api.setTimer(Math.max(0, deadlineUs - this.#nowUs), tickTag);
  }

  /** This server's snapshot file: written, then fsynced, then published by rename. */
  #ownSnapshotStep(step: NonNullable<DiskTag["snapshotOwn"]>, ok: boolean): void {
    const disk = this.#api.disk;
    if (ok && step.phase === "write") {
      disk.fsync(snapshotTempFile, { snapshotOwn: { ...step, phase: "sync" } } satisfies DiskTag);
      return;
    }
    // A newer snapshot may have been published meanwhile (installed from the leader): this one is stale.
    const published = ok && step.index > this.#core!.snapshotIndexDurable;
    if (published) disk.rename(snapshotTempFile, snapshotFile);
    else if (ok) disk.delete(snapshotTempFile);
    this.#step({
      type: "snapshotDurable",
      source: "own",
      index: step.index,
      term: step.term,
      ok,
      published,
      bytes: published ? step.bytes : undefined,
      nowUs: this.#now(),
    });
  }

  /** A leader's snapshot, whole and fsynced: published by rename unless a newer one is durable. */
  #receivedSnapshotSynced(received: { index: number; term: number }, ok: boolean): void {
    const disk = this.#api.disk;
    const published = ok && received.index > this.#core!.snapshotIndexDurable;
    let bytes: Uint8Array | undefined = undefined;
    if (published) {
      disk.rename(snapshotReceiveFile, snapshotFile);
      bytes = disk.read(snapshotFile);
      if (received.index > this.#core!.commit) this.#api.work(snapshotWorkUs(bytes.length, snapshotLoadUsPerByte));
    } else if (ok) {
      disk.delete(snapshotReceiveFile);
    }
    this.#step({ type: "snapshotDurable", source: "received", ...received, ok, published, bytes, nowUs: this.#now() });
  }
}
