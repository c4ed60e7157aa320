/**
 * The client the harness drives: an idempotent producer (`send`), a consumer of a group
 * (`poll`, and `drain` at the end), and a lookup of offsets by time (`offsetForTime`, Kafka's
 * `offsetsForTimes`).
 *
 * The producer finds leaders through the controller's metadata and keeps one request in flight.
 * Each record gets the next sequence number of its partition under the producer's id, and a retry
 * carries the same number, so a leader that already has it answers with the original offset
 * instead of appending it twice (KIP-98). A record given up on (its outcome unknown) retires the
 * producer id: the next record starts a fresh id at sequence 0, so a sequence is never reused for
 * a different record (KIP-360 bumps the epoch for the same reason).
 *
 * The consumer is a member of its group (consumer_group.ts), which it joins at its first poll,
 * and polls only partitions it owns in the current generation (any other poll fails at once). A
 * poll reads from the group's committed offset (kept in `__consumer_offsets` by the group's
 * coordinator) up to the high watermark, processes the records, and commits the offset after
 * them; the poll is `ok` (the records processed) only when the commit is accepted, `fail` when the
 * coordinator's fence refuses it (a zombie's processing does not count, and the partition's new
 * owner reads the records again), `info` when its outcome stays unknown. A consumer crash is
 * modelled by the client itself, since the nemesis faults servers only: with probability
 * `consumerCrashProbability` a poll dies after fetching and before processing, ends as `info`, and
 * the consumer forgets its positions and its membership, joining again later as a new member.
 * With `consumerLeaveProbability` a consumer leaves the group after a poll and joins again later.
 * A simplification: processing and the commit after it are not separated by a crash (Kafka makes
 * them atomic with transactional offset commits).
 *
 * @example
 * ```ts
 * import { logClient } from "./client.ts";
 * // system.client = (context, cluster, options) => logClient(context, { controller, ... });
 * ```
 * @module
 */
import { assert, InputError } from "../../assert.ts";
import type { ClientContext, Outcome, Request, SystemClient } from "../../sim/mod.ts";
import type { LogBugs } from "./bugs.ts";
import { groupClient, type GroupMembership } from "./consumer_group.ts";
import { recordSizeBytes } from "./records.ts";
import { transactionalProducer, type TransactionalProducerOptions } from "./transactional_producer.ts";
import {
  type Acks,
  batchRecordsMax,
  fetchRecordsMax,
  type Isolation,
  type LogMessage,
  type LogRecord,
  noLeader,
  type ProduceError,
} from "./types.ts";

/**
 * What a `send` writes: an unkeyed value, or a keyed record whose null value is a tombstone.
 */
export type SendValue = string | { key: string; value: string | null };

function sendValue(value: unknown): SendValue {
  if (typeof value !== "object" || value === null) return String(value);
  const v = value as { key?: unknown; value?: unknown };
  if (typeof v.key !== "string" || (typeof v.value !== "string" && v.value !== null)) {
    throw new InputError(`a keyed send is { key: string, value: string | null }; got ${JSON.stringify(value)}`);
  }
  return { key: v.key, value: v.value };
}

/** A `sendBatch` request's value: unkeyed values, at least one and at most {@linkcode batchRecordsMax}. */
function batchValues(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > batchRecordsMax) {
    throw new InputError(
      `a sendBatch request's value is an array of 1 to ${batchRecordsMax} values; got ${
        Array.isArray(value) ? `${value.length} values` : JSON.stringify(value)
      }`,
    );
  }
  return value.map(String);
}

/** A poll's request value may cap the records it reads (`{ recordsMax }`, a slow reader). */
function pollRecordsMax(value: unknown): number {
  const asked = (value as { recordsMax?: unknown } | null)?.recordsMax;
  if (asked === undefined) return fetchRecordsMax;
  if (!Number.isInteger(asked) || (asked as number) < 1 || (asked as number) > fetchRecordsMax) {
    throw new InputError(
      `a poll's recordsMax is a whole number in [1, ${fetchRecordsMax}]; got ${JSON.stringify(asked)}`,
    );
  }
  return asked as number;
}

/** An `offsetForTime` request's value is `{ timestampUs }`. */
function requestedTimestamp(value: unknown): number {
  const asked = (value as { timestampUs?: unknown } | null)?.timestampUs;
  if (typeof asked !== "number" || !Number.isFinite(asked)) {
    throw new InputError(`an offsetForTime request's value is { timestampUs: number }; got ${JSON.stringify(value)}`);
  }
  return asked;
}

/** The marker a read reports when retention moved it past offsets it never read: [from, to). */
function skipped(from: number, to: number): { skipped: [number, number] }[] {
  return to > from ? [{ skipped: [from, to] }] : [];
}

/**
 * What a poll reports of a record: an unkeyed record's value (what the delivery checker reads), or
 * a keyed record's offset, key and value (null for a tombstone).
 */
export function recordView(record: LogRecord): unknown {
  if (record.key === undefined) return record.value;
  return { offset: record.offset, key: record.key, value: record.tombstone ? null : record.value };
}

/** How a client runs. */
export interface LogClientOptions {
  controller: number;
  partitions: number;
  acks: Acks;
  group: string;
  timeoutUs: number;
  attemptsMax: number;
  /** Wait before retrying after an error that says "not now" (no leader, too few replicas). */
  backoffUs: number;
  consumerCrashProbability: number;
  /** Which records polls and drains read; default `read_uncommitted`. */
  isolation?: Isolation;
  /**
   * Sends go through a transactional producer (transactional_producer.ts) with this id and
   * settings; default none (the idempotent producer).
   */
  transactional?: Pick<
    TransactionalProducerOptions,
    "transactionalId" | "statePartition" | "commitIntervalUs" | "restartProbability" | "transactionTimeoutUs"
  >;
  /** The chance a consumer leaves its group after a poll (it joins again later); default 0. */
  consumerLeaveProbability?: number;
  /** Partitions of `__consumer_offsets`, numbered after the topic's. */
  offsetsPartitions: number;
  /** How consumers take part in their group; undefined: manual assignment, outside any group. */
  membership: GroupMembership | undefined;
  bugs: LogBugs;
}

/** Backoffs a `read_committed` drain waits at most for open transactions to end. */
const drainUnstableWaitsMax = 600;

/** Producer ids are drawn from this many per session, so sessions never share one. */
const producerIdsPerSession = 10_000;

type Reply = Extract<
  LogMessage,
  {
    type:
      | "produceResponse"
      | "metadataResponse"
      | "consumeResponse"
      | "txnResponse"
      | "listOffsetsResponse";
  }
>;

/** A produce request on the wire: a request header and its records' frames (a batch's every one). */
function produceSizeBytes(message: Extract<LogMessage, { type: "produce" }>): number {
  let bytes = 64 + recordSizeBytes(message);
  for (const value of message.moreValues ?? []) bytes += recordSizeBytes({ value });
  return bytes;
}

/** A client for one process. */
export function logClient(context: ClientContext<LogMessage>, options: LogClientOptions): SystemClient<LogMessage> {
  let leaders: number[] = [];
  let requestId = 0;
  let waiting: { id: number; onReply: (reply: Reply) => void; onTimeout: () => void; timer: number } | undefined;
  let producerGeneration = 0;
  const nextSequence = new Map<number, number>();
  /** The consumer's position per partition; forgotten at a consumer crash. */
  const positions = new Map<number, number>();
  const group = groupClient(context, {
    controller: options.controller,
    group: options.group,
    layout: { dataPartitions: options.partitions, offsetsPartitions: options.offsetsPartitions },
    membership: options.membership,
    timeoutUs: options.timeoutUs,
    backoffUs: options.backoffUs,
    attemptsMax: options.attemptsMax,
    onRevoke: (partitions) => partitions.forEach((p) => positions.delete(p)),
  });

  const producerId = () => context.session * producerIdsPerSession + producerGeneration;

  /** Sends `message` (built with a fresh request id) to `to` and waits for its reply or a timeout. */
  function request(
    to: number,
    build: (id: number) => LogMessage,
    onReply: (r: Reply) => void,
    onTimeout: () => void,
  ) {
    assert(waiting === undefined, "a client has one request in flight");
    const id = ++requestId;
    const timer = context.setTimer(options.timeoutUs, { requestId: id });
    waiting = { id, onReply, onTimeout, timer };
    const message = build(id);
    // A produce carries its records: their size matters once the network has a bandwidth.
    context.send(to, message, message.type === "produce" ? produceSizeBytes(message) : undefined);
  }

  function after(delayUs: number, then: () => void): void {
    context.setTimer(delayUs, { then });
  }

  /** Learns the leaders, then calls `then` (or `gaveUp` after the attempts run out). */
  function refreshMetadata(attempt: number, then: () => void, gaveUp: () => void): void {
    if (attempt >= options.attemptsMax) return gaveUp();
    request(options.controller, (id) => ({ type: "metadata", requestId: id }), (r) => {
      if (r.type === "metadataResponse") leaders = r.leaders;
      then();
    }, () => refreshMetadata(attempt + 1, then, gaveUp));
  }

  /** The leader of `partition`, learning it first when unknown. */
  function withLeader(partition: number, attempt: number, then: (leader: number) => void, gaveUp: () => void): void {
    const leader = leaders[partition];
    if (leader !== undefined && leader !== noLeader) return then(leader);
    if (attempt >= options.attemptsMax) return gaveUp();
    refreshMetadata(attempt, () => {
      if (leaders[partition] === undefined || leaders[partition] === noLeader) {
        return after(options.backoffUs, () => withLeader(partition, attempt + 1, then, gaveUp));
      }
      then(leaders[partition]);
    }, gaveUp);
  }

  function partitionOf(request: Request): number {
    const partition = Number(request.key?.slice(1));
    assert(
      Number.isInteger(partition) && partition >= 0 && partition < options.partitions,
      `no partition ${request.key}`,
    );
    return partition;
  }

  // ---- producer ----

  /**
   * The sequence number a retry carries: the one place the sequence bug is consulted. The correct
   * producer repeats the first attempt's number, which is what lets the leader recognise it.
   */
  function retrySequence(partition: number, first: number, count: number, sequences = nextSequence): number {
    if (!options.bugs.producerResetsSequenceOnRetry) return first;
    const fresh = sequences.get(partition) ?? 0;
    sequences.set(partition, fresh + count);
    return fresh;
  }

  const transactional = options.transactional === undefined ? undefined : transactionalProducer({
    request: (to, build, onReply, onTimeout) => request(to, build, onReply, onTimeout),
    after,
    withLeader,
    forgetLeader: (partition) => void (leaders[partition] = noLeader),
    retrySequence: (sequences, partition, first) => retrySequence(partition, first, 1, sequences),
    random: () => context.rng.next(),
    nowUs: () => context.monotonicUs(),
    record: (name, value) => context.record(name, value),
  }, {
    ...options.transactional,
    acks: options.acks,
    attemptsMax: options.attemptsMax,
    backoffUs: options.backoffUs,
  });

  /**
   * Sends one record, or a batch of unkeyed values (`string[]`: one request, sequences one after
   * another, acknowledged with the first's offset).
   */
  function send(partition: number, record: SendValue | string[], done: (o: Outcome) => void): void {
    const count = Array.isArray(record) ? record.length : 1;
    const sequence = nextSequence.get(partition) ?? 0;
    nextSequence.set(partition, sequence + count);
    if (options.acks === 0) {
      return withLeader(partition, 0, (leader) => {
        context.send(leader, produceMessage(0, partition, sequence, record));
        done({ type: "ok" });
      }, () => done({ type: "info" }));
    }
    const giveUp = () => {
      // The record may be in the log under this id and sequence: retire the id so no later record
      // reuses the sequence (KIP-360).
      producerGeneration++;
      nextSequence.clear();
      done({ type: "info" });
    };
    const attempt = (n: number, seq: number) => {
      if (n >= options.attemptsMax) return giveUp();
      withLeader(partition, n, (leader) => {
        request(
          leader,
          (id) => produceMessage(id, partition, seq, record),
          (r) => {
            if (r.type !== "produceResponse") return attempt(n + 1, seq);
            if (r.error === undefined) return done({ type: "ok", value: r.offset });
            onProduceError(r.error, partition, () => attempt(n + 1, retrySequence(partition, seq, count)), giveUp);
          },
          () => attempt(n + 1, retrySequence(partition, seq, count)),
        );
      }, giveUp);
    };
    attempt(0, sequence);
  }

  function onProduceError(error: ProduceError, partition: number, retry: () => void, giveUp: () => void): void {
    if (error === "notLeader") {
      leaders[partition] = noLeader;
      return after(options.backoffUs, retry);
    }
    if (error === "notEnoughReplicas" || error === "timeout") return after(options.backoffUs, retry);
    // A gap or an unknown producer: the leader lacks a record this producer sent before. The
    // outcome of this one is unknown to the history; start afresh under a new id.
    giveUp();
  }

  function produceMessage(id: number, partition: number, sequence: number, record: SendValue | string[]): LogMessage {
    const keyed = Array.isArray(record)
      ? { value: record[0], ...(record.length > 1 ? { moreValues: record.slice(1) } : {}) }
      : typeof record === "string"
      ? { value: record }
      : {
        key: record.key,
        value: record.value ?? "",
        ...(record.value === null ? { tombstone: true } : {}),
      };
    return {
      type: "produce",
      requestId: id,
      partition,
      acks: options.acks,
      producerId: producerId(),
      producerEpoch: 0,
      sequence,
      ...keyed,
    };
  }

  // ---- consumer ----

  function committedOffset(partition: number, then: (offset: number) => void, gaveUp: () => void): void {
    const known = positions.get(partition);
    if (known !== undefined) return then(known);
    const revocations = group.lease().revocations;
    group.fetchOffset(partition, (offset) => {
      // Only a position read while the partition stayed owned outlives this poll.
      if (group.lease().revocations === revocations) positions.set(partition, offset);
      then(offset);
    }, gaveUp);
  }

  /** Commits `offset`; ends the poll `ok` with `values` only if the commit is accepted. */
  function commit(
    partition: number,
    offset: number,
    read: { values: unknown[]; lease: ReturnType<typeof group.lease> },
    done: (o: Outcome) => void,
  ): void {
    const values = read.values;
    group.commit(partition, offset, read.lease.generation, (result) => {
      if (result === "ok") {
        // Revoked meanwhile (and perhaps granted again): the group's offset may have moved on.
        if (group.lease().revocations === read.lease.revocations) positions.set(partition, offset);
        else positions.delete(partition);
        done({ type: "ok", value: values });
        if (context.rng.next() < (options.consumerLeaveProbability ?? 0)) group.leave();
        return;
      }
      // Refused, the processing does not count; unknown, nor can it be told. Ask the coordinator next time.
      positions.delete(partition);
      done({ type: result === "refused" ? "fail" : "info" });
    });
  }

  /** Fetches the committed records after `offset` from the leader. */
  function fetch(
    partition: number,
    offset: number,
    attempt: number,
    then: (records: LogRecord[], from: number, read: { nextOffset: number; unstable: boolean }) => void,
    recordsMax: number,
    gaveUp: () => void,
  ): void {
    if (attempt >= options.attemptsMax) return gaveUp();
    withLeader(partition, attempt, (leader) => {
      request(
        leader,
        (id) => ({
          type: "consume",
          requestId: id,
          partition,
          offset,
          recordsMax,
          ...(options.isolation === undefined ? {} : { isolation: options.isolation }),
        }),
        (r) => {
          // Retention deleted the records at `offset`: resume at the earliest (auto.offset.reset=earliest).
          if (r.type === "consumeResponse" && r.error === "outOfRange") {
            assert(r.logStartOffset! > offset, `out of range at ${offset}, log start ${r.logStartOffset}`);
            return fetch(partition, r.logStartOffset!, attempt + 1, then, recordsMax, gaveUp);
          }
          if (r.type !== "consumeResponse" || r.records === undefined) {
            leaders[partition] = noLeader;
            return after(options.backoffUs, () => fetch(partition, offset, attempt + 1, then, recordsMax, gaveUp));
          }
          // Compaction leaves gaps between offsets; the order stays.
          r.records.forEach((record, i) =>
            assert(
              record.offset >= (i === 0 ? offset : r.records![i - 1].offset + 1),
              `fetched offset ${record.offset} out of order after ${offset}`,
            )
          );
          // Markers and aborted records are read and not shown: the next read starts past them.
          const nextOffset = r.nextOffset ?? (r.records.length === 0 ? offset : r.records.at(-1)!.offset + 1);
          assert(nextOffset >= offset, `a read at ${offset} moved back to ${nextOffset}`);
          then(r.records, offset, { nextOffset, unstable: r.unstable === true });
        },
        () => fetch(partition, offset, attempt + 1, then, recordsMax, gaveUp),
      );
    }, gaveUp);
  }

  function crash(done: (o: Outcome) => void): void {
    positions.clear();
    group.crash();
    done({ type: "info" });
  }

  function poll(partition: number, recordsMax: number, done: (o: Outcome) => void): void {
    const gaveUp = () => done({ type: "info" });
    group.subscribe();
    if (!group.owns(partition)) return done({ type: "fail" });
    const lease = group.lease();
    committedOffset(partition, (offset) => {
      fetch(
        partition,
        offset,
        0,
        (records, from, read) => {
          const values = [...skipped(offset, from), ...records.map(recordView)];
          const next = read.nextOffset;
          const crashes = values.length > 0 && context.rng.next() < options.consumerCrashProbability;
          // The planted bug commits first; the correct consumer processes, then commits.
          if (options.bugs.consumerCommitsBeforeProcessing) {
            return commit(partition, next, { values, lease }, (outcome) => (crashes ? crash(done) : done(outcome)));
          }
          if (crashes) return crash(done);
          commit(partition, next, { values, lease }, done);
        },
        recordsMax,
        gaveUp,
      );
    }, gaveUp);
  }

  /**
   * Reads from the group's committed offset until two fetches a backoff apart find nothing more. A
   * `read_committed` drain also waits, up to `drainUnstableWaitsMax` backoffs, while an open
   * transaction holds the LSO below the watermark (its producer's abort, or its timeout, ends it).
   */
  function drain(partition: number, done: (o: Outcome) => void): void {
    const all: unknown[] = [];
    const gaveUp = () => done({ type: "info" });
    let unstableWaits = 0;
    const step = (offset: number, empties: number) => {
      fetch(
        partition,
        offset,
        0,
        (records, from, read) => {
          all.push(...skipped(offset, from), ...records.map(recordView));
          if (read.nextOffset > from) return step(read.nextOffset, 0);
          if (read.unstable && unstableWaits++ < drainUnstableWaitsMax) {
            return after(options.backoffUs, () => step(from, 0));
          }
          if (empties >= 2) return done({ type: "ok", value: all });
          after(options.backoffUs, () => step(from, empties + 1));
        },
        fetchRecordsMax,
        gaveUp,
      );
    };
    group.fetchOffset(partition, (offset) => step(offset, 0), gaveUp);
  }

  /**
   * Kafka's `offsetsForTimes` for one partition: the first committed record stamped at or after
   * the request's `{ timestampUs }` (the leader's wall clock); the outcome's value is
   * `{ offset, timestampUs }`, or null when there is none.
   */
  function offsetForTime(partition: number, timestampUs: number, attempt: number, done: (o: Outcome) => void): void {
    const gaveUp = () => done({ type: "info" });
    if (attempt >= options.attemptsMax) return gaveUp();
    const retry = () => offsetForTime(partition, timestampUs, attempt + 1, done);
    withLeader(partition, attempt, (leader) => {
      request(leader, (id) => ({ type: "listOffsets", requestId: id, partition, timestampUs }), (r) => {
        if (r.type === "listOffsetsResponse" && r.error === undefined) return done({ type: "ok", value: r.found });
        leaders[partition] = noLeader;
        after(options.backoffUs, retry);
      }, retry);
    }, gaveUp);
  }

  return {
    perform(req, done) {
      const partition = partitionOf(req);
      if (req.f === "send" && transactional !== undefined) {
        return transactional.send(partition, String(req.value), done);
      }
      if (req.f === "offsetForTime") return offsetForTime(partition, requestedTimestamp(req.value), 0, done);
      if (req.f === "send") return send(partition, sendValue(req.value), done);
      if (req.f === "sendBatch") {
        if (transactional !== undefined) {
          throw new InputError(
            "sendBatch is for the idempotent producer; a transactional client sends one record at a time",
          );
        }
        return send(partition, batchValues(req.value), done);
      }
      if (req.f === "poll") return poll(partition, pollRecordsMax(req.value), done);
      if (req.f === "drain") return drain(partition, done);
      throw new Error(
        `the log client does send, sendBatch, poll, drain and offsetForTime; got ${JSON.stringify(req.f)}`,
      );
    },
    onMessage(_from, m) {
      if (group.onMessage(m)) return;
      if (waiting === undefined || !("requestId" in m) || m.requestId !== waiting.id) return;
      const current = waiting;
      waiting = undefined;
      context.cancelTimer(current.timer);
      current.onReply(m as Reply);
    },
    onTimer(tag) {
      if (group.onTimer(tag)) return;
      const t = tag as { requestId?: number; then?: () => void };
      if (t.then !== undefined) return t.then();
      if (waiting === undefined || t.requestId !== waiting.id) return;
      const current = waiting;
      waiting = undefined;
      current.onTimeout();
    },
  };
}
