/**
 * The transaction coordinator (KIP-98): it runs on the broker that leads a transactional id's
 * `__transaction_state` partition, keeps each id's metadata (producer id, epoch, state, partitions)
 * in that partition's log, and drives a transaction from `ongoing` through `prepareCommit` or
 * `prepareAbort` (the decision, durable once the watermark passes it) to markers in every
 * partition of the transaction and `completeCommit` / `completeAbort`.
 *
 * Every transition is first appended to the state partition and takes effect, in memory and in
 * answers, only once the watermark passes it; meanwhile the id is busy and other requests for it
 * get `concurrentTransactions` (retriable). A new leader of the state partition rebuilds the
 * metadata from its log and finishes every prepared transaction by writing its markers again
 * (markers are idempotent: a second marker for a producer with nothing open changes nothing).
 *
 * Fencing: `initProducerId` bumps the id's epoch; a request from an older epoch is `fenced`; an
 * open transaction of the old epoch is aborted under the new one, whose markers fence the old
 * epoch at every partition it wrote to. A transaction open longer than its timeout is aborted the
 * same way, bumping the epoch so its producer cannot go on.
 *
 * @example
 * ```ts
 * import { TransactionCoordinator } from "./txn_coordinator.ts";
 * // const coordinator = new TransactionCoordinator(host); coordinator.becomeCoordinator(3, records);
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { LogBugs } from "./bugs.ts";
import { isFenced, replayTransactionLog, type TransactionMetadata, type TransactionState } from "./transactions.ts";
import { type LogMessage, type LogRecord, noLeader, type TransactionError, type TransactionRequest } from "./types.ts";

/** What the coordinator needs of its broker. */
export interface CoordinatorHost {
  nowUs(): number;
  send(to: number, message: LogMessage): void;
  /** The leader of `partition` as the broker last heard it, or `noLeader`. */
  leaderOf(partition: number): number;
  /**
   * Appends `metadata` to `statePartition` (which this broker leads); `then(true)` once the
   * watermark passes it, `then(false)` if the broker stops leading first. False: not leader now.
   */
  appendState(statePartition: number, metadata: TransactionMetadata, then: (ok: boolean) => void): boolean;
  requestTimeoutUs: number;
  /** Counts an event for the run's figures. */
  record(name: string, value: number): void;
  bugs: LogBugs;
}

interface Entry {
  statePartition: number;
  metadata: TransactionMetadata;
  /** A transition is being appended: the id is busy. */
  busy: boolean;
  /** When the open transaction began, on this coordinator's clock (a failover restarts it). */
  startUs: number;
  /** Prepared: the partitions whose marker is not yet acknowledged, and when markers were last sent. */
  markersOutstanding: Set<number>;
  markersSentUs: number;
}

/** Producer ids a state partition hands out start here, a million apart per partition. */
const producerIdBase = 100_000_000;
const producerIdsPerStatePartition = 1_000_000;

/** The coordinator of the transactional ids whose state partitions this broker leads. */
export class TransactionCoordinator {
  readonly #host: CoordinatorHost;
  readonly #entries = new Map<string, Entry>();
  /** State partitions led, and the next producer id each hands out. */
  readonly #led = new Map<number, { nextProducerId: number }>();
  readonly #markerRequests = new Map<number, { transactionalId: string; partition: number }>();
  #markerRequestId = 0;

  constructor(host: CoordinatorHost) {
    this.#host = host;
  }

  /** This broker now leads `statePartition`, whose log holds `records`: rebuild and resume. */
  becomeCoordinator(statePartition: number, records: readonly LogRecord[]): void {
    let nextProducerId = producerIdBase + statePartition * producerIdsPerStatePartition;
    const now = this.#host.nowUs();
    for (const metadata of replayTransactionLog(records).values()) {
      nextProducerId = Math.max(nextProducerId, metadata.producerId + 1);
      const entry: Entry = {
        statePartition,
        metadata,
        busy: false,
        startUs: now,
        markersOutstanding: new Set(),
        markersSentUs: 0,
      };
      this.#entries.set(metadata.transactionalId, entry);
      if (isPrepared(metadata.state)) {
        // The predecessor decided but may not have written every marker: finish its work.
        this.#host.record("txn_prepared_resumed", 1);
        this.#sendMarkers(entry);
      }
    }
    this.#led.set(statePartition, { nextProducerId });
  }

  /** This broker no longer leads `statePartition`: forget its ids (the next leader has the log). */
  resign(statePartition: number): void {
    if (!this.#led.delete(statePartition)) return;
    for (const [id, entry] of this.#entries) if (entry.statePartition === statePartition) this.#entries.delete(id);
  }

  /** The metadata of `transactionalId`, if its state partition is led here. */
  entry(transactionalId: string): Readonly<TransactionMetadata> | undefined {
    return this.#entries.get(transactionalId)?.metadata;
  }

  /** A producer's request for the id of `statePartition`. */
  onRequest(from: number, statePartition: number, m: TransactionRequest): void {
    const answer = (error?: TransactionError, extra: { producerId?: number; producerEpoch?: number } = {}) =>
      this.#host.send(from, { type: "txnResponse", requestId: m.requestId, ...(error ? { error } : {}), ...extra });
    if (!this.#led.has(statePartition)) return answer("notCoordinator");
    const entry = this.#entries.get(m.transactionalId);
    if (m.type === "initProducerId") return this.#initProducerId(statePartition, entry, m, answer);
    if (entry === undefined || entry.metadata.producerId !== m.producerId) return answer("invalidTxnState");
    if (isFenced(m.producerEpoch, entry.metadata.producerEpoch, this.#host.bugs)) return answer("fenced");
    if (entry.busy || isPrepared(entry.metadata.state)) return answer("concurrentTransactions");
    if (m.type === "addPartitionsToTxn") return this.#addPartitions(entry, m.partitions, answer);
    this.#endTxn(entry, m.commit, answer);
  }

  #initProducerId(
    statePartition: number,
    entry: Entry | undefined,
    m: Extract<TransactionRequest, { type: "initProducerId" }>,
    answer: (error?: TransactionError, extra?: { producerId: number; producerEpoch: number }) => void,
  ): void {
    if (entry !== undefined && (entry.busy || isPrepared(entry.metadata.state))) {
      return answer("concurrentTransactions");
    }
    if (entry !== undefined && entry.metadata.state === "ongoing") {
      // KIP-98: the old instance's open transaction is aborted under a bumped epoch, which fences it
      // at every partition the abort marker reaches; the new instance retries until it completes.
      this.#host.record("txn_fencing_aborts", 1);
      this.#abort(entry, entry.metadata.producerEpoch + 1);
      return answer("concurrentTransactions");
    }
    const led = this.#led.get(statePartition)!;
    const producerId = entry?.metadata.producerId ?? led.nextProducerId++;
    const metadata: TransactionMetadata = {
      transactionalId: m.transactionalId,
      producerId,
      producerEpoch: entry === undefined ? 0 : entry.metadata.producerEpoch + 1,
      state: "empty",
      partitions: [],
      transactionTimeoutUs: m.transactionTimeoutUs,
    };
    const target = entry ?? {
      statePartition,
      metadata,
      busy: false,
      startUs: 0,
      markersOutstanding: new Set<number>(),
      markersSentUs: 0,
    };
    if (entry === undefined) this.#entries.set(m.transactionalId, target);
    this.#transition(target, metadata, (ok) => {
      if (!ok) return answer("notCoordinator");
      answer(undefined, { producerId, producerEpoch: metadata.producerEpoch });
    });
  }

  #addPartitions(entry: Entry, partitions: readonly number[], answer: (error?: TransactionError) => void): void {
    const ongoing = entry.metadata.state === "ongoing";
    const known = ongoing ? entry.metadata.partitions : [];
    if (partitions.every((p) => known.includes(p))) return answer();
    const metadata: TransactionMetadata = {
      ...entry.metadata,
      state: "ongoing",
      partitions: [...new Set([...known, ...partitions])].sort((a, b) => a - b),
    };
    if (!ongoing) entry.startUs = this.#host.nowUs();
    this.#transition(entry, metadata, (ok) => answer(ok ? undefined : "notCoordinator"));
  }

  #endTxn(entry: Entry, commit: boolean, answer: (error?: TransactionError) => void): void {
    const state = entry.metadata.state;
    // A retry of an end already decided gets the same answer (its first answer may have been lost).
    if (state === (commit ? "completeCommit" : "completeAbort")) return answer();
    if (state !== "ongoing") return answer("invalidTxnState");
    const metadata: TransactionMetadata = { ...entry.metadata, state: commit ? "prepareCommit" : "prepareAbort" };
    this.#transition(entry, metadata, (ok) => {
      if (!ok) return answer("notCoordinator");
      // The decision is durable: the producer may go on while the markers are written.
      answer();
      this.#sendMarkers(entry);
    });
  }

  /** Aborts `entry`'s open transaction under `producerEpoch` (a fencing init, or a timeout). */
  #abort(entry: Entry, producerEpoch: number): void {
    const metadata: TransactionMetadata = { ...entry.metadata, producerEpoch, state: "prepareAbort" };
    this.#transition(entry, metadata, (ok) => {
      if (ok) this.#sendMarkers(entry);
    });
  }

  /** Appends `metadata`; the entry takes it only once it is replicated. */
  #transition(entry: Entry, metadata: TransactionMetadata, then: (ok: boolean) => void): void {
    assert(!entry.busy, `transactional id ${metadata.transactionalId} is mid-transition`);
    entry.busy = true;
    const appended = this.#host.appendState(entry.statePartition, metadata, (ok) => {
      entry.busy = false;
      if (ok) entry.metadata = metadata;
      then(ok);
    });
    if (!appended) {
      entry.busy = false;
      then(false);
    }
  }

  #sendMarkers(entry: Entry): void {
    assert(
      isPrepared(entry.metadata.state),
      `markers for ${entry.metadata.transactionalId} in ${entry.metadata.state}`,
    );
    entry.markersOutstanding = new Set(entry.metadata.partitions);
    this.#resendMarkers(entry);
  }

  #resendMarkers(entry: Entry): void {
    entry.markersSentUs = this.#host.nowUs();
    if (entry.markersOutstanding.size === 0) return this.#complete(entry);
    const { producerId, producerEpoch, state, transactionalId } = entry.metadata;
    for (const partition of entry.markersOutstanding) {
      const leader = this.#host.leaderOf(partition);
      if (leader === noLeader) continue;
      const requestId = ++this.#markerRequestId;
      this.#markerRequests.set(requestId, { transactionalId, partition });
      this.#host.send(leader, {
        type: "writeTxnMarker",
        requestId,
        partition,
        producerId,
        producerEpoch,
        commit: state === "prepareCommit",
      });
    }
  }

  /** A partition leader wrote (and replicated) a marker, or is not the leader. */
  onMarkerResponse(m: Extract<LogMessage, { type: "writeTxnMarkerResponse" }>): void {
    const request = this.#markerRequests.get(m.requestId);
    if (request === undefined) return;
    this.#markerRequests.delete(m.requestId);
    const entry = this.#entries.get(request.transactionalId);
    if (entry === undefined || !isPrepared(entry.metadata.state) || m.error !== undefined) return;
    entry.markersOutstanding.delete(request.partition);
    if (entry.markersOutstanding.size === 0 && !entry.busy) this.#complete(entry);
  }

  #complete(entry: Entry): void {
    const commit = entry.metadata.state === "prepareCommit";
    const metadata: TransactionMetadata = {
      ...entry.metadata,
      state: commit ? "completeCommit" : "completeAbort",
      partitions: [],
    };
    // Failure leaves it prepared: the next tick writes the markers again.
    this.#transition(entry, metadata, () => {});
  }

  /** Markers unanswered for a request timeout are sent again; open transactions past their timeout abort. */
  tick(): void {
    const now = this.#host.nowUs();
    for (const id of [...this.#markerRequests.keys()]) {
      if (this.#markerRequests.size < 4 * this.#entries.size + 64) break;
      this.#markerRequests.delete(id);
    }
    for (const entry of this.#entries.values()) {
      if (entry.busy) continue;
      const { state, transactionTimeoutUs, producerEpoch } = entry.metadata;
      if (isPrepared(state) && now - entry.markersSentUs >= this.#host.requestTimeoutUs) this.#resendMarkers(entry);
      else if (state === "ongoing" && now - entry.startUs > transactionTimeoutUs) {
        this.#host.record("txn_timeout_aborts", 1);
        this.#abort(entry, producerEpoch + 1);
      }
    }
  }
}

function isPrepared(state: TransactionState): boolean {
  return state === "prepareCommit" || state === "prepareAbort";
}
