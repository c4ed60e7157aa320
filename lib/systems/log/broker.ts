/**
 * A broker: the node that holds replicas of partitions, leads some and follows others.
 *
 * As a leader it appends produced records (checking the idempotent producer's sequence), serves
 * followers' fetches, tracks each follower's progress, moves the high watermark to the smallest
 * log end of the ISR, answers `acks=all` produces once the watermark passes them, and proposes ISR
 * changes to the controller (followers that lag longer than `lagTimeMaxUs` leave, caught-up ones
 * rejoin; a change takes effect only once the controller accepts it, and until then the watermark
 * counts the larger set). As a follower it first asks the leader where its own latest epoch ended
 * and truncates there (KIP-101), then fetches.
 *
 * What counts as a replica's log end for the watermark is what a crash would keep when appends
 * are flushed one by one (`fsyncPolicy: "always"`): a follower asks for the next offset only once
 * what it has is durable. With `interval` or `never`, the page cache counts, as in Kafka, and a
 * restarted broker leaves every ISR (see controller.ts).
 *
 * @example
 * ```ts
 * import { broker } from "./broker.ts";
 * // sim.addNode<LogMessage>({ name: "broker0", create: (api) => broker(api, options) });
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { DiskCompletion, NodeApi, NodeLogic } from "../../sim/mod.ts";
import type { LogBugs } from "./bugs.ts";
import { GroupCoordinator } from "./group_coordinator.ts";
import { type GroupError, isGroupRequest, offsetsPartitionFor } from "./group_types.ts";
import { PartitionLog, type RecoveryReport } from "./partition_log.ts";
import { recordSizeBytes } from "./records.ts";
import { type FollowerProgress, highWatermark, isrToExpand, isrToShrink, truncationStep } from "./replication.ts";
import {
  encodeTransactionMetadata,
  isFenced,
  type TransactionMetadata,
  transactionStatePartition,
  visibleRecords,
} from "./transactions.ts";
import { TransactionCoordinator } from "./txn_coordinator.ts";
import {
  type Acks,
  type BrokerMessage,
  fetchRecordsMax,
  type FsyncPolicy,
  type LogMessage,
  type LogRecord,
  noLeader,
  type PartitionState,
  pendingProducesMax,
  type ProduceError,
} from "./types.ts";

/** How a broker runs. */
export interface BrokerOptions {
  controller: number;
  /** Replicas of each partition, in preference order. */
  assignment: readonly (readonly number[])[];
  fsyncPolicy: FsyncPolicy;
  /** With `interval`: how often appends are flushed. */
  fsyncIntervalUs: number;
  segmentBytesMax: number;
  segmentAgeUsMax: number;
  indexIntervalBytes: number;
  heartbeatIntervalUs: number;
  /** A follower with nothing to fetch waits this long before asking again. */
  fetchIntervalUs: number;
  /** A request unanswered this long is sent again. */
  requestTimeoutUs: number;
  /** Kafka's `replica.lag.time.max.ms`. */
  lagTimeMaxUs: number;
  /** Kafka's `min.insync.replicas`: `acks=all` needs an ISR this large. */
  minInsyncReplicas: number;
  /** How often the high watermarks (and the recovery points) are written to their checkpoint files. */
  highWatermarkCheckpointIntervalUs: number;
  /**
   * Whether the broker keeps Kafka's recovery-point checkpoint (each log's flushed end), so a
   * restart reads only the segments after it; default true. Off, a restart reads every segment.
   */
  recoveryPointCheckpoint?: boolean;
  /** How fast recovery reads and checks segment bytes (its CPU and read cost); default 100 MB/s. */
  recoveryBytesPerSecond?: number;
  /** Whether a segment's indexes are flushed when it rolls; default true. */
  indexFsyncAtRoll?: boolean;
  /** Retention (Kafka's `retention.ms`, `retention.bytes`), checked every `retentionCheckIntervalUs`; default none. */
  retentionUs?: number;
  retentionBytes?: number;
  retentionCheckIntervalUs?: number;
  /** `cleanup.policy=compact`: each broker runs a cleaner, its disk I/O capped at `cleanerBytesPerSecond`. */
  compact?: boolean;
  cleanerBytesPerSecond?: number;
  /** How long the cleaner keeps a tombstone (`delete.retention.ms`). */
  deleteRetentionUs?: number;
  /**
   * The last this many partitions of `assignment` are `__transaction_state` partitions; their
   * leaders are transaction coordinators (txn_coordinator.ts). Default 0: no transactions.
   */
  transactionStatePartitions?: number;
  /**
   * The `__consumer_offsets` partitions (compacted; their leaders are the group coordinators) and
   * the coordinators' timeouts; default none.
   */
  groups?: { offsetsPartitions: readonly number[]; dataPartitions: number; sessionTimeoutUs: number };
  bugs: LogBugs;
}

/** A produce waiting for the high watermark to pass its record (a batch's: its last). */
interface PendingProduce {
  offset: number;
  /** A batch's first offset, which the answer carries. */
  baseOffset?: number;
  client: number;
  requestId: number;
  /** An internal write (a coordinator's state, a marker) hears here instead of a produce answer. */
  onReplicated?: (ok: boolean) => void;
  /** A coordinator's own append (an offset commit) is answered to it instead of to a client. */
  then?: (error?: GroupError) => void;
}

/** One partition's replica on this broker. */
interface Replica {
  partition: number;
  log: PartitionLog;
  highWatermark: number;
  /** The controller's state of the partition as this broker last heard it (undefined: not yet). */
  state: PartitionState | undefined;
  role: "leader" | "follower" | "offline";
  /** Leader: each follower's progress; the ISR change the controller has not answered yet. */
  followers: Map<number, FollowerProgress & { lastResponseEnd: number; lastResponseUs: number }>;
  pendingIsr: { isr: number[]; sentUs: number } | undefined;
  pending: PendingProduce[];
  /** Follower: truncating (waiting for the epoch's end offset) or fetching. */
  phase: "truncating" | "fetching";
  requestSentUs: number | undefined;
  nextFetchUs: number;
}

/** What the invariants read of a broker. */
export interface BrokerView {
  replica(partition: number): {
    role: Replica["role"];
    leaderEpoch: number;
    highWatermark: number;
    startOffset: number;
    endOffset: number;
    isr: readonly number[];
    records: (from: number, to: number) => LogRecord[];
  };
  recoveries(): readonly RecoveryReport[];
  /** The metadata of `transactionalId` if this broker is its coordinator now. */
  transaction(transactionalId: string): Readonly<TransactionMetadata> | undefined;
  /** The group coordinator this broker runs for an offsets partition it leads, if any. */
  coordinator(partition: number): GroupCoordinator | undefined;
}

const hwCheckpointFile = "high-watermark-checkpoint";
const recoveryPointFile = "recovery-point-offset-checkpoint";
const tickUs = 1_000;
/** The cleaner looks for work this often when it found none. */
const cleanerIdleUs = 50_000;

/** A broker node. */
export function broker(api: NodeApi<LogMessage>, options: BrokerOptions): NodeLogic<LogMessage> & BrokerView {
  const replicas = new Map<number, Replica>();
  const recoveries: RecoveryReport[] = [];
  const hwCheckpoint = { writing: false };
  const cleanerTurn = { next: 0 };
  /** Every partition's leader as the controller last said (the coordinator sends markers there). */
  const leaders: number[] = [];
  const statePartitionCount = options.transactionStatePartitions ?? 0;
  const topicPartitions = options.assignment.length - statePartitionCount;
  const coordinator = new TransactionCoordinator({
    nowUs: () => api.monotonicUs(),
    send: (to, message) => api.send(to, message),
    leaderOf: (partition) => leaders[partition] ?? noLeader,
    appendState: appendTransactionState,
    requestTimeoutUs: options.requestTimeoutUs,
    record: (name, value) => api.record(name, value),
    bugs: options.bugs,
  });
  const offsetsPartitions = new Set(options.groups?.offsetsPartitions ?? []);
  const coordinators = new Map<number, GroupCoordinator>();
  const compacted = (partition: number) => options.compact === true || offsetsPartitions.has(partition);
  /**
   * `__consumer_offsets` and `__transaction_state`: configured apart from the topic, as Kafka
   * configures its internal topics (the offsets compacted, both without the topic's retention).
   */
  const internal = (partition: number) => offsetsPartitions.has(partition) || isStatePartition(partition);

  function start(): void {
    const checkpointed = readCheckpoint(hwCheckpointFile);
    const recoveryPoints = options.recoveryPointCheckpoint === false ? new Map() : readCheckpoint(recoveryPointFile);
    let bytesRead = 0;
    options.assignment.forEach((holders, partition) => {
      if (!holders.includes(api.id)) return;
      const { log, report } = PartitionLog.recover(
        api.disk,
        {
          partition,
          fsyncPolicy: options.fsyncPolicy,
          segmentBytesMax: options.segmentBytesMax,
          segmentAgeUsMax: options.segmentAgeUsMax,
          indexIntervalBytes: options.indexIntervalBytes,
          indexFsyncAtRoll: options.indexFsyncAtRoll,
          retentionUs: internal(partition) ? undefined : options.retentionUs,
          retentionBytes: internal(partition) ? undefined : options.retentionBytes,
          deleteRetentionUs: options.deleteRetentionUs,
          dropTombstonesAtOnce: options.bugs.tombstoneDroppedEarly,
        },
        api.monotonicUs(),
        { recoveryPoint: recoveryPoints.get(partition) ?? 0 },
      );
      recoveries.push(report);
      bytesRead += report.bytesScanned + report.indexBytesRead;
      const replica: Replica = {
        partition,
        log,
        highWatermark: Math.min(checkpointed.get(partition) ?? 0, log.endOffset()),
        state: undefined,
        role: "offline",
        followers: new Map(),
        pendingIsr: undefined,
        pending: [],
        phase: "fetching",
        requestSentUs: undefined,
        nextFetchUs: 0,
      };
      replicas.set(partition, replica);
      // Every replica starts as a follower of a leader it does not know yet.
      enterFollower(replica);
    });
    // Reading the logs back holds the broker: it serves nothing until recovery is done.
    const recoveryUs = Math.round(bytesRead * 1e6 / (options.recoveryBytesPerSecond ?? 100e6));
    api.work(recoveryUs);
    api.record("log_recovery_us", recoveryUs);
    heartbeat();
    api.setTimer(tickUs, "tick");
    api.setTimer(options.highWatermarkCheckpointIntervalUs, "checkpoint");
    if (options.fsyncPolicy === "interval") api.setTimer(options.fsyncIntervalUs, "flush");
    if (options.retentionCheckIntervalUs !== undefined) api.setTimer(options.retentionCheckIntervalUs, "retention");
    if ([...replicas.keys()].some(compacted)) api.setTimer(cleanerIdleUs, "clean");
  }

  /** Deletes what retention no longer keeps, below each replica's watermark. */
  function applyRetention(): void {
    api.setTimer(options.retentionCheckIntervalUs!, "retention");
    const now = api.monotonicUs();
    for (const replica of replicas.values()) {
      for (const deleted of replica.log.applyRetention(now, replica.highWatermark, api.now())) {
        api.record("log_bytes_reclaimed", deleted.sizeBytes);
        api.record("log_retention_delay_us", now - deleted.eligibleUs);
      }
    }
    recordDiskBytes();
  }

  function recordDiskBytes(): void {
    let bytes = 0;
    // The topic's logs: the internal topics are the coordinators' bookkeeping.
    for (const replica of replicas.values()) {
      if (!internal(replica.partition)) bytes += replica.log.sizeBytes();
    }
    api.record("log_disk_bytes", bytes);
  }

  /**
   * One step of the cleaner: clean the next segment of some partition, below its watermark, then
   * rest as long as the bytes read and written take at `cleanerBytesPerSecond`.
   */
  function clean(): void {
    const now = api.monotonicUs();
    let bytes = 0;
    const ordered = [...replicas.values()].filter((r) => compacted(r.partition));
    for (let i = 0; i < ordered.length && bytes === 0; i++) {
      const replica = ordered[(cleanerTurn.next + i) % ordered.length];
      bytes = replica.log.startClean(now, replica.highWatermark);
      if (bytes > 0) cleanerTurn.next = (cleanerTurn.next + i + 1) % ordered.length;
    }
    const rate = options.cleanerBytesPerSecond ?? 1_000_000;
    api.setTimer(
      bytes === 0 ? cleanerIdleUs : Math.max(1, Math.ceil(2 * bytes * 1e6 / rate)),
      "clean",
    );
  }

  function heartbeat(): void {
    api.send(options.controller, {
      type: "heartbeat",
      incarnation: api.incarnation,
      clean: options.fsyncPolicy === "always",
    });
    api.setTimer(options.heartbeatIntervalUs, "heartbeat");
  }

  /**
   * Where a new follower's log stops: the one place the pre-KIP-101 bug is consulted. The correct
   * follower keeps its log until the leader says where its latest epoch ended.
   */
  function enterFollower(replica: Replica): void {
    if (options.bugs.truncateToHighWatermark) {
      // Kafka before KIP-101: the high watermark is taken as the point below which the log is
      // surely the leader's, although it lags what the leader has acknowledged.
      replica.log.truncateTo(Math.min(replica.highWatermark, replica.log.endOffset()));
      replica.phase = "fetching";
    } else {
      replica.phase = replica.log.endOffset() === 0 ? "fetching" : "truncating";
    }
    replica.requestSentUs = undefined;
    replica.nextFetchUs = 0;
  }

  function onControllerState(partitions: readonly PartitionState[]): void {
    for (const state of partitions) {
      leaders[state.partition] = state.leader;
      const replica = replicas.get(state.partition);
      if (replica === undefined) continue;
      const known = replica.state;
      if (known !== undefined && state.partitionEpoch <= known.partitionEpoch) continue;
      const newEpoch = known === undefined || state.leaderEpoch !== known.leaderEpoch;
      replica.state = state;
      if (!newEpoch) {
        if (replica.pendingIsr !== undefined && sameMembers(replica.pendingIsr.isr, state.isr)) {
          replica.pendingIsr = undefined;
        }
        if (replica.role === "leader") advanceHighWatermark(replica);
        continue;
      }
      if (state.leader === api.id) becomeLeader(replica);
      else if (state.leader === noLeader) become(replica, "offline");
      else becomeFollower(replica);
    }
  }

  /** The single place a replica's role changes; a leader's waiting produces are turned away. */
  function become(replica: Replica, role: Replica["role"]): void {
    if (replica.role === "leader" && role !== "leader") {
      for (const p of replica.pending) {
        if (p.onReplicated !== undefined) p.onReplicated(false);
        else if (p.then !== undefined) p.then("notCoordinator");
        else answerProduce(p.client, p.requestId, { error: "notLeader" });
      }
      replica.pending = [];
      if (isStatePartition(replica.partition)) coordinator.resign(replica.partition);
      coordinators.delete(replica.partition);
    }
    replica.role = role;
    replica.followers = new Map();
    replica.pendingIsr = undefined;
  }

  function becomeLeader(replica: Replica): void {
    become(replica, "leader");
    const state = replica.state!;
    // The epoch starts at the current log end, whether or not a record of it is ever written.
    replica.log.epochs.assign(state.leaderEpoch, replica.log.endOffset());
    const now = api.monotonicUs();
    for (const b of state.replicas) {
      if (b !== api.id) {
        replica.followers.set(b, { endOffset: -1, caughtUpUs: now, lastResponseEnd: 0, lastResponseUs: now });
      }
    }
    if (isStatePartition(replica.partition)) {
      coordinator.becomeCoordinator(
        replica.partition,
        replica.log.read(replica.log.startOffset(), replica.log.endOffset(), Infinity),
      );
    }
    if (offsetsPartitions.has(replica.partition)) startCoordinator(replica);
    advanceHighWatermark(replica);
  }

  function isStatePartition(partition: number): boolean {
    return partition >= topicPartitions;
  }

  /** The coordinator's write to its state partition, acknowledged once the watermark passes it. */
  function appendTransactionState(
    partition: number,
    metadata: TransactionMetadata,
    then: (ok: boolean) => void,
  ): boolean {
    const replica = replicas.get(partition);
    if (replica === undefined || replica.role !== "leader") return false;
    const record = replica.log.append({
      leaderEpoch: replica.state!.leaderEpoch,
      producerId: 0,
      producerEpoch: 0,
      sequence: 0,
      key: metadata.transactionalId,
      value: encodeTransactionMetadata(metadata),
    }, api.monotonicUs());
    respondWhenReplicated(replica, { offset: record.offset, client: api.id, requestId: 0, onReplicated: then }, "all");
    return true;
  }

  /** A coordinator's marker: a control record ending `producerId`'s transaction here, answered once replicated. */
  function onWriteTxnMarker(from: number, m: Extract<BrokerMessage, { type: "writeTxnMarker" }>): void {
    const replica = replicas.get(m.partition);
    const answer = (error?: "notLeader") =>
      api.send(from, {
        type: "writeTxnMarkerResponse",
        requestId: m.requestId,
        partition: m.partition,
        ...(error ? { error } : {}),
      });
    if (replica === undefined || replica.role !== "leader") return answer("notLeader");
    const record = replica.log.append({
      leaderEpoch: replica.state!.leaderEpoch,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      sequence: -1,
      value: "",
      control: m.commit ? "commit" : "abort",
    }, api.monotonicUs());
    const onReplicated = (ok: boolean) => answer(ok ? undefined : "notLeader");
    respondWhenReplicated(
      replica,
      { offset: record.offset, client: from, requestId: m.requestId, onReplicated },
      "all",
    );
  }

  /** Leading an offsets partition makes this broker its groups' coordinator, offsets read from the log. */
  function startCoordinator(replica: Replica): void {
    const state = replica.state!;
    coordinators.set(
      replica.partition,
      new GroupCoordinator({
        nowUs: () => api.monotonicUs(),
        send: (to, message) => api.send(to, message),
        append: (key, value) =>
          replica.log.append({
            leaderEpoch: state.leaderEpoch,
            producerId: -1,
            producerEpoch: 0,
            sequence: 0,
            key,
            value,
          }, api.monotonicUs()).offset,
        whenReplicated: (offset, then) =>
          respondWhenReplicated(replica, { offset, client: -1, requestId: -1, then }, "all"),
        highWatermark: () => replica.highWatermark,
        record: (name, value) => api.record(name, value),
      }, {
        leaderEpoch: state.leaderEpoch,
        records: replica.log.read(replica.log.startOffset(), replica.log.endOffset(), Infinity),
        dataPartitions: options.groups!.dataPartitions,
        sessionTimeoutUs: options.groups!.sessionTimeoutUs,
        rebalanceTimeoutUs: options.groups!.sessionTimeoutUs,
      }),
    );
  }

  function onGroupRequest(from: number, m: Parameters<GroupCoordinator["handle"]>[1], partition: number): void {
    const coordinator = coordinators.get(partition);
    if (coordinator !== undefined) return coordinator.handle(from, m);
    api.send(from, { type: `${m.type}Response`, requestId: m.requestId, error: "notCoordinator" } as LogMessage);
  }

  /**
   * Every new epoch sends a follower through truncation, even under the same leader: a leader that
   * restarted may have lost records of its old epoch that this follower fetched from its cache.
   */
  function becomeFollower(replica: Replica): void {
    become(replica, "follower");
    enterFollower(replica);
  }

  /** The log end the watermark may count on this leader: durable when appends are flushed one by one. */
  function countedEnd(replica: Replica): number {
    return options.fsyncPolicy === "always" ? replica.log.durableEndOffset() : replica.log.endOffset();
  }

  function advanceHighWatermark(replica: Replica): void {
    if (replica.role !== "leader") return;
    const state = replica.state!;
    const isr = replica.pendingIsr === undefined ? state.isr : [...new Set([...state.isr, ...replica.pendingIsr.isr])];
    const endOffsets = new Map<number, number>([[api.id, countedEnd(replica)]]);
    for (const [b, progress] of replica.followers) if (progress.endOffset >= 0) endOffsets.set(b, progress.endOffset);
    const next = highWatermark({ isr, endOffsets, current: replica.highWatermark });
    assert(next <= replica.log.endOffset(), `partition ${replica.partition}: watermark ${next} past the log end`);
    replica.highWatermark = next;
    releaseProduces(replica);
  }

  function releaseProduces(replica: Replica): void {
    const isrSize = replica.state!.isr.length;
    while (replica.pending.length > 0 && replica.pending[0].offset < replica.highWatermark) {
      const p = replica.pending.shift()!;
      if (p.onReplicated !== undefined) {
        p.onReplicated(true);
        continue;
      }
      if (p.then !== undefined) {
        p.then(isrSize < options.minInsyncReplicas ? "notEnoughReplicas" : undefined);
        continue;
      }
      // Kafka's NotEnoughReplicasAfterAppend: the record is in the log, but fewer replicas than
      // asked hold it; the producer retries and the retry is recognised as a duplicate.
      if (isrSize < options.minInsyncReplicas) answerProduce(p.client, p.requestId, { error: "notEnoughReplicas" });
      else answerProduce(p.client, p.requestId, { offset: p.baseOffset ?? p.offset });
    }
  }

  function answerProduce(
    client: number,
    requestId: number,
    answer: {
      offset?: number;
      error?: ProduceError;
    },
  ): void {
    api.send(client, { type: "produceResponse", requestId, ...answer });
  }

  function onProduce(from: number, m: Extract<BrokerMessage, { type: "produce" }>): void {
    const replica = replicas.get(m.partition);
    if (replica === undefined || replica.role !== "leader") {
      return answerProduce(from, m.requestId, { error: "notLeader" });
    }
    if (m.acks === "all" && replica.state!.isr.length < options.minInsyncReplicas) {
      return answerProduce(from, m.requestId, { error: "notEnoughReplicas" });
    }
    let verdict = replica.log.producers.check(m.producerId, m.producerEpoch, m.sequence);
    if (verdict.kind === "staleEpoch") {
      // KIP-98: a newer epoch of this producer id has written here (a marker of its coordinator):
      // the sender is a zombie.
      if (isFenced(m.producerEpoch, replica.log.producers.epochOf(m.producerId), options.bugs)) {
        return answerProduce(from, m.requestId, { error: "fenced" });
      }
      verdict = { kind: "append" };
    }
    if (verdict.kind === "outOfOrderSequence") {
      return answerProduce(from, m.requestId, { error: "outOfOrderSequence" });
    }
    if (verdict.kind === "unknownProducer") return answerProduce(from, m.requestId, { error: "unknownProducer" });
    let offset: number;
    const more = m.moreValues ?? [];
    if (verdict.kind === "duplicate") {
      // With one request in flight per partition, a repeated batch is the last one, whole.
      offset = verdict.offset;
    } else {
      if (replica.pending.length >= pendingProducesMax) return answerProduce(from, m.requestId, { error: "timeout" });
      const first = {
        leaderEpoch: replica.state!.leaderEpoch,
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        sequence: m.sequence,
        timestampUs: api.now(),
        value: m.value,
        ...(m.key === undefined ? {} : { key: m.key }),
        ...(m.tombstone ? { tombstone: true } : {}),
        ...(m.transactional ? { transactional: true } : {}),
      };
      if (more.length === 0) {
        offset = replica.log.append(first, api.monotonicUs()).offset;
      } else {
        // The batch's records are built whole (offsets, timestamp, batch mark), so the log keeps them as they are.
        const base = replica.log.endOffset();
        const batch: LogRecord[] = [{ ...first, offset: base, batchRecords: more.length + 1 }];
        for (let i = 0; i < more.length; i++) {
          batch.push({
            offset: base + 1 + i,
            timestampUs: first.timestampUs,
            leaderEpoch: first.leaderEpoch,
            producerId: first.producerId,
            producerEpoch: first.producerEpoch,
            sequence: m.sequence + 1 + i,
            value: more[i],
            ...(m.transactional ? { transactional: true } : {}),
          });
        }
        offset = replica.log.appendBatch(batch, api.monotonicUs()).at(-1)!.offset;
      }
    }
    const produce = { offset, client: from, requestId: m.requestId };
    respondWhenReplicated(
      replica,
      more.length === 0 ? produce : { ...produce, baseOffset: offset - more.length },
      m.acks,
    );
  }

  function respondWhenReplicated(replica: Replica, produce: PendingProduce, acks: Acks): void {
    if (acks === 0) return;
    if (produce.then !== undefined && produce.offset < replica.highWatermark) return produce.then();
    if (acks === 1 || produce.offset < replica.highWatermark) {
      if (produce.onReplicated !== undefined) return produce.onReplicated(true);
      return answerProduce(produce.client, produce.requestId, { offset: produce.baseOffset ?? produce.offset });
    }
    replica.pending.push(produce);
    replica.pending.sort((a, b) => a.offset - b.offset);
    advanceHighWatermark(replica);
  }

  function onFetch(from: number, m: Extract<BrokerMessage, { type: "fetch" }>): void {
    const replica = replicas.get(m.partition);
    const error = (e: "notLeader" | "fencedEpoch" | "outOfRange") =>
      api.send(from, { type: "fetchError", partition: m.partition, leaderEpoch: m.leaderEpoch, error: e });
    if (replica === undefined || replica.role !== "leader") return error("notLeader");
    const epoch = replica.state!.leaderEpoch;
    if (m.leaderEpoch < epoch) return error("fencedEpoch");
    if (m.leaderEpoch > epoch) return error("notLeader");
    if (m.fetchOffset > replica.log.endOffset() || m.fetchOffset < replica.log.startOffset()) {
      return error("outOfRange");
    }
    const progress = replica.followers.get(m.replica);
    if (progress === undefined) return error("notLeader");
    const now = api.monotonicUs();
    progress.endOffset = m.fetchOffset;
    // Kafka's rule: caught up now if it has all the leader has; else as of the last response it
    // has fully consumed.
    if (m.fetchOffset >= replica.log.endOffset()) progress.caughtUpUs = now;
    else if (m.fetchOffset >= progress.lastResponseEnd) {
      progress.caughtUpUs = Math.max(progress.caughtUpUs, progress.lastResponseUs);
    }
    progress.lastResponseEnd = replica.log.endOffset();
    progress.lastResponseUs = now;
    advanceHighWatermark(replica);
    maybeChangeIsr(replica);
    const records = replica.log.read(m.fetchOffset, replica.log.endOffset(), fetchRecordsMax);
    api.send(from, {
      type: "fetchResponse",
      partition: m.partition,
      leaderEpoch: epoch,
      records,
      highWatermark: replica.highWatermark,
    }, 64 + recordsBytes(records));
  }

  function onEpochEndOffset(from: number, m: Extract<BrokerMessage, { type: "epochEndOffset" }>): void {
    const replica = replicas.get(m.partition);
    if (replica === undefined || replica.role !== "leader" || replica.state!.leaderEpoch !== m.leaderEpoch) {
      return api.send(from, {
        type: "fetchError",
        partition: m.partition,
        leaderEpoch: m.leaderEpoch,
        error: "notLeader",
      });
    }
    const answer = replica.log.epochs.endOffsetFor(m.requestedEpoch, replica.log.endOffset());
    api.send(from, { type: "epochEndOffsetResponse", partition: m.partition, leaderEpoch: m.leaderEpoch, ...answer });
  }

  function onEpochEndOffsetResponse(m: Extract<BrokerMessage, { type: "epochEndOffsetResponse" }>): void {
    const replica = replicas.get(m.partition);
    if (!isCurrentFollowerAnswer(replica, m.leaderEpoch) || replica.phase !== "truncating") return;
    const step = truncationStep({
      logEndOffset: replica.log.endOffset(),
      leaderEpoch: m.epoch,
      leaderEndOffset: m.endOffset,
      follower: replica.log.epochs.endOffsetFor(m.epoch, replica.log.endOffset()),
    });
    const offset = step.offset;
    replica.log.truncateTo(offset);
    replica.highWatermark = Math.min(replica.highWatermark, offset);
    replica.phase = step.askAgain ? "truncating" : "fetching";
    replica.requestSentUs = undefined;
    replica.nextFetchUs = 0;
    tickReplica(replica);
  }

  function isCurrentFollowerAnswer(replica: Replica | undefined, leaderEpoch: number): replica is Replica {
    return replica !== undefined && replica.role === "follower" && replica.state!.leaderEpoch === leaderEpoch;
  }

  function onFetchResponse(m: Extract<BrokerMessage, { type: "fetchResponse" }>): void {
    const replica = replicas.get(m.partition);
    if (!isCurrentFollowerAnswer(replica, m.leaderEpoch) || replica.phase !== "fetching") return;
    replica.requestSentUs = undefined;
    const first = m.records[0];
    // An answer to an older fetch starts below our end; a compacted leader's may start past it.
    if (first !== undefined && first.offset < replica.log.endOffset()) return;
    // Each batch the leader wrote in one append is written here in one append too.
    for (let i = 0; i < m.records.length;) {
      const first = m.records[i];
      let end = i + 1;
      if (first.batchRecords !== undefined) {
        while (end < m.records.length && m.records[end].offset < first.offset + first.batchRecords) end++;
      }
      const batch = m.records.slice(i, end);
      for (const record of batch) {
        if (record.leaderEpoch > m.leaderEpoch) {
          assert(false, `record of epoch ${record.leaderEpoch} from a leader in ${m.leaderEpoch}`);
        }
      }
      replica.log.appendBatch(batch, api.monotonicUs());
      i = end;
    }
    replica.highWatermark = Math.max(replica.highWatermark, Math.min(m.highWatermark, replica.log.endOffset()));
    replica.nextFetchUs = m.records.length === 0 ? api.monotonicUs() + options.fetchIntervalUs : 0;
    tickReplica(replica);
  }

  function onFetchError(m: Extract<BrokerMessage, { type: "fetchError" }>): void {
    const replica = replicas.get(m.partition);
    if (!isCurrentFollowerAnswer(replica, m.leaderEpoch)) return;
    replica.requestSentUs = undefined;
    // The leader's log is shorter than ours: our suffix is not the leader's; find where it forks.
    if (m.error === "outOfRange") replica.phase = replica.log.endOffset() === 0 ? "fetching" : "truncating";
    replica.nextFetchUs = api.monotonicUs() + options.fetchIntervalUs;
  }

  /** A follower's next request, if one is due: the epoch question while truncating, else a fetch. */
  function tickReplica(replica: Replica): void {
    if (replica.role !== "follower") return;
    const now = api.monotonicUs();
    if (replica.requestSentUs !== undefined && now - replica.requestSentUs < options.requestTimeoutUs) return;
    if (now < replica.nextFetchUs) return;
    const state = replica.state!;
    if (replica.phase === "truncating") {
      replica.requestSentUs = now;
      api.send(state.leader, {
        type: "epochEndOffset",
        partition: replica.partition,
        leaderEpoch: state.leaderEpoch,
        requestedEpoch: replica.log.epochs.latestEpoch(),
        replica: api.id,
      });
      return;
    }
    // With appends flushed one by one, the leader hears of a record only once it is durable here.
    if (options.fsyncPolicy === "always" && replica.log.durableEndOffset() < replica.log.endOffset()) return;
    replica.requestSentUs = now;
    api.send(state.leader, {
      type: "fetch",
      partition: replica.partition,
      leaderEpoch: state.leaderEpoch,
      fetchOffset: replica.log.endOffset(),
      replica: api.id,
    });
  }

  function maybeChangeIsr(replica: Replica): void {
    if (replica.role !== "leader") return;
    const now = api.monotonicUs();
    if (replica.pendingIsr !== undefined && now - replica.pendingIsr.sentUs < options.requestTimeoutUs) return;
    const state = replica.state!;
    const leaving = isrToShrink({
      leader: api.id,
      isr: state.isr,
      followers: replica.followers,
      nowUs: now,
      lagTimeMaxUs: options.lagTimeMaxUs,
    });
    const joining = isrToExpand({
      replicas: state.replicas,
      isr: state.isr,
      // Only a follower heard from lately may rejoin: one that went silent exactly at the watermark
      // (crashed, cut off) looks caught up forever, and proposing it kept the leader counting it.
      followers: new Map([...replica.followers].filter(([, p]) => now - p.lastResponseUs <= options.lagTimeMaxUs)),
      highWatermark: replica.highWatermark,
      epochStartOffset: replica.log.epochs.endOffsetFor(state.leaderEpoch - 1, replica.log.endOffset()).endOffset,
      nowUs: now,
      lagTimeMaxUs: options.lagTimeMaxUs,
    });
    if (leaving.length === 0 && joining.length === 0) return;
    const isr = [...state.isr.filter((b) => !leaving.includes(b)), ...joining];
    replica.pendingIsr = { isr, sentUs: now };
    api.send(options.controller, {
      type: "alterIsr",
      partition: replica.partition,
      leaderEpoch: state.leaderEpoch,
      partitionEpoch: state.partitionEpoch,
      isr,
    });
  }

  function onConsume(from: number, m: Extract<BrokerMessage, { type: "consume" }>): void {
    const replica = replicas.get(m.partition);
    if (replica === undefined || replica.role !== "leader") {
      return api.send(from, { type: "consumeResponse", requestId: m.requestId, error: "notLeader" });
    }
    if (m.offset < replica.log.startOffset()) {
      return api.send(from, {
        type: "consumeResponse",
        requestId: m.requestId,
        error: "outOfRange",
        logStartOffset: replica.log.startOffset(),
      });
    }
    // Consumers see only committed records: those below the high watermark; read_committed ones only
    // those below the last stable offset, without aborted transactions' records.
    const committed = m.isolation === "read_committed";
    const end = committed ? replica.log.transactions.lastStableOffset(replica.highWatermark) : replica.highWatermark;
    const offset = Math.min(m.offset, end);
    const read = replica.log.read(offset, end, Math.min(m.recordsMax, fetchRecordsMax));
    const records = visibleRecords(read, committed ? replica.log.transactions.aborted() : []);
    // A new leader's watermark may lag the old one's: a reader ahead of it stays where it is.
    const nextOffset = read.length === 0 ? m.offset : read.at(-1)!.offset + 1;
    api.send(from, {
      type: "consumeResponse",
      requestId: m.requestId,
      records,
      nextOffset,
      ...(end < replica.highWatermark ? { unstable: true } : {}),
    }, 64 + recordsBytes(records));
  }

  function onListOffsets(from: number, m: Extract<BrokerMessage, { type: "listOffsets" }>): void {
    const replica = replicas.get(m.partition);
    if (replica === undefined || replica.role !== "leader") {
      return api.send(from, { type: "listOffsetsResponse", requestId: m.requestId, error: "notLeader" });
    }
    // Like a consumer, the lookup sees only committed records.
    const found = replica.log.offsetForTime(m.timestampUs, replica.highWatermark) ?? null;
    api.send(from, { type: "listOffsetsResponse", requestId: m.requestId, found });
  }

  function onTick(): void {
    for (const replica of replicas.values()) {
      tickReplica(replica);
      maybeChangeIsr(replica);
    }
    coordinator.tick();
    for (const group of coordinators.values()) group.tick();
    api.setTimer(tickUs, "tick");
  }

  /** A checkpoint file's offset per partition (none when it is missing or unreadable). */
  function readCheckpoint(file: string): Map<number, number> {
    if (!api.disk.exists(file)) return new Map();
    const text = new TextDecoder().decode(api.disk.read(file));
    try {
      return new Map(JSON.parse(text) as [number, number][]);
    } catch {
      return new Map();
    }
  }

  /** Writes the watermarks to a temporary file, flushes it, then renames it over the checkpoint. */
  function checkpointHighWatermarks(): void {
    api.setTimer(options.highWatermarkCheckpointIntervalUs, "checkpoint");
    if (hwCheckpoint.writing) return;
    hwCheckpoint.writing = true;
    const bytes = new TextEncoder().encode(
      JSON.stringify([...replicas.values()].map((r) => [r.partition, r.highWatermark])),
    );
    const tmp = `${hwCheckpointFile}.tmp`;
    if (api.disk.exists(tmp)) api.disk.delete(tmp);
    api.disk.append(tmp, bytes);
    api.disk.fsync(tmp, "checkpoint");
    if (options.recoveryPointCheckpoint !== false) checkpointRecoveryPoints();
  }

  /**
   * Kafka's recovery-point checkpoint: each log's durable end, below which a restart need not read
   * the segments again. Written like the watermarks' (a flushed temporary file renamed over it).
   */
  function checkpointRecoveryPoints(): void {
    const bytes = new TextEncoder().encode(
      JSON.stringify([...replicas.values()].map((r) => [r.partition, r.log.durableEndOffset()])),
    );
    const tmp = `${recoveryPointFile}.tmp`;
    if (api.disk.exists(tmp)) api.disk.delete(tmp);
    api.disk.append(tmp, bytes);
    api.disk.fsync(tmp, "recoveryPointCheckpoint");
  }

  function onDisk(completion: DiskCompletion): void {
    if (completion.tag === "checkpoint") {
      hwCheckpoint.writing = false;
      if (completion.ok) api.disk.rename(`${hwCheckpointFile}.tmp`, hwCheckpointFile);
      return;
    }
    if (completion.tag === "recoveryPointCheckpoint") {
      if (completion.ok) api.disk.rename(`${recoveryPointFile}.tmp`, recoveryPointFile);
      return;
    }
    for (const replica of replicas.values()) {
      const moved = replica.log.onDisk(completion, api.monotonicUs());
      if (moved === undefined) continue;
      const reports = replica.log.takeCleanReports();
      // The figures are the topic's: the offsets partitions' cleaning is the coordinators' upkeep.
      for (const report of offsetsPartitions.has(replica.partition) ? [] : reports) {
        api.record("log_cleaner_bytes", report.bytesRead);
        api.record("log_clean_duration_us", report.durationUs);
        api.record("log_bytes_reclaimed", report.bytesRead - report.bytesWritten);
        recordDiskBytes();
      }
      if (moved && replica.role === "leader") advanceHighWatermark(replica);
      if (moved && replica.role === "follower") tickReplica(replica);
      return;
    }
  }

  function onTimer(tag: unknown): void {
    if (tag === "tick") return onTick();
    if (tag === "heartbeat") return heartbeat();
    if (tag === "checkpoint") return checkpointHighWatermarks();
    if (tag === "retention") return applyRetention();
    if (tag === "clean") return clean();
    if (tag === "flush") {
      for (const replica of replicas.values()) replica.log.flush();
      api.setTimer(options.fsyncIntervalUs, "flush");
    }
  }

  return {
    onStart: start,
    onRecover: start,
    onTimer,
    onDisk,
    onMessage(from, m) {
      if (isGroupRequest(m)) {
        return onGroupRequest(
          from,
          m,
          offsetsPartitionFor(m.group, {
            dataPartitions: options.groups?.dataPartitions ?? 0,
            offsetsPartitions: Math.max(1, offsetsPartitions.size),
          }),
        );
      }
      switch (m.type) {
        case "controllerState":
          return onControllerState(m.partitions);
        case "alterIsrResult": {
          // The controller has answered the proposal: what it accepted (it may have left out a
          // dead broker) is the ISR now, so the proposal no longer counts.
          const replica = replicas.get(m.partition);
          if (replica !== undefined) replica.pendingIsr = undefined;
          if (m.state !== undefined) return onControllerState([m.state]);
          return;
        }
        case "produce":
          return onProduce(from, m);
        case "fetch":
          return onFetch(from, m);
        case "fetchResponse":
          return onFetchResponse(m);
        case "fetchError":
          return onFetchError(m);
        case "epochEndOffset":
          return onEpochEndOffset(from, m);
        case "epochEndOffsetResponse":
          return onEpochEndOffsetResponse(m);
        case "consume":
          return onConsume(from, m);
        case "initProducerId":
        case "addPartitionsToTxn":
        case "endTxn":
          return coordinator.onRequest(
            from,
            transactionStatePartition(m.transactionalId, topicPartitions, Math.max(1, statePartitionCount)),
            m,
          );
        case "writeTxnMarker":
          return onWriteTxnMarker(from, m);
        case "writeTxnMarkerResponse":
          return coordinator.onMarkerResponse(m);
        case "listOffsets":
          return onListOffsets(from, m);
      }
    },
    replica(partition) {
      const r = replicas.get(partition);
      assert(r !== undefined, `broker ${api.id} holds no replica of partition ${partition}`);
      return {
        role: r.role,
        leaderEpoch: r.state?.leaderEpoch ?? 0,
        highWatermark: r.highWatermark,
        startOffset: r.log.startOffset(),
        endOffset: r.log.endOffset(),
        isr: r.state?.isr ?? [],
        records: (from, to) => r.log.read(Math.max(from, r.log.startOffset()), to, Infinity),
      };
    },
    recoveries: () => recoveries,
    transaction: (transactionalId) => coordinator.entry(transactionalId),
    coordinator: (partition) => coordinators.get(partition),
  };
}

/** Bytes of a fetch answer's records: what the network carries (it costs time only with a bandwidth). */
function recordsBytes(records: readonly LogRecord[]): number {
  let bytes = 0;
  for (const record of records) bytes += recordSizeBytes(record);
  return bytes;
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
