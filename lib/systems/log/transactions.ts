/**
 * Transactions as one partition sees them (KIP-98), and the transaction coordinator's records.
 *
 * A partition tracks each producer's open transaction from its first transactional record to the
 * control record (marker) that ends it. The last stable offset (LSO) is the first offset of the
 * earliest open transaction, or the high watermark when none is open: a `read_committed` consumer
 * reads only below it. Each abort marker adds the transaction's range to the aborted-transaction
 * index, from which a read filters aborted records. Everything is rebuilt from the records (each
 * carries its producer, the transactional flag and the marker kind), so none of it needs a file.
 *
 * @example
 * ```ts
 * import { TransactionIndex, visibleRecords } from "./transactions.ts";
 * const index = new TransactionIndex();
 * const base = { leaderEpoch: 1, producerId: 7, producerEpoch: 0, value: "" };
 * index.onAppend({ ...base, offset: 0, sequence: 0, value: "a", transactional: true });
 * index.lastStableOffset(1); // 0: the transaction is open
 * index.onAppend({ ...base, offset: 1, sequence: -1, control: "abort" });
 * index.lastStableOffset(2); // 2
 * visibleRecords([], index.aborted()).length; // 0
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { LogBugs } from "./bugs.ts";
import type { LogRecord } from "./types.ts";

/** An aborted transaction of one partition: `producerId`'s records in [firstOffset, markerOffset). */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
  markerOffset: number;
}

/** Open transactions and aborted ones of one partition's log. */
export class TransactionIndex {
  /** Each producer's open transaction: the offset of its first record. */
  #open = new Map<number, number>();
  #aborted: AbortedTransaction[] = [];

  /** Takes an appended record (leader's or follower's) into account; offsets ascend. */
  onAppend(record: LogRecord): void {
    if (record.control !== undefined) {
      const first = this.#open.get(record.producerId);
      if (first === undefined) return;
      this.#open.delete(record.producerId);
      if (record.control === "abort") {
        this.#aborted.push({ producerId: record.producerId, firstOffset: first, markerOffset: record.offset });
      }
      return;
    }
    if (record.transactional && !this.#open.has(record.producerId)) this.#open.set(record.producerId, record.offset);
  }

  /** The index of `records` alone (after a truncation or a recovery). */
  static of(records: Iterable<LogRecord>): TransactionIndex {
    const index = new TransactionIndex();
    for (const record of records) index.onAppend(record);
    return index;
  }

  /** The first offset of the earliest open transaction, if any. */
  firstUnstableOffset(): number | undefined {
    let first: number | undefined;
    for (const offset of this.#open.values()) if (first === undefined || offset < first) first = offset;
    return first;
  }

  /** The LSO: below it every transaction is decided; never above the high watermark. */
  lastStableOffset(highWatermark: number): number {
    const first = this.firstUnstableOffset();
    return first === undefined ? highWatermark : Math.min(first, highWatermark);
  }

  /** Open transactions. */
  openCount(): number {
    return this.#open.size;
  }

  /** Aborted transactions, by marker offset. */
  aborted(): readonly AbortedTransaction[] {
    return this.#aborted;
  }
}

/**
 * What a `read_committed` consumer sees of `records` (read below the LSO): no control records and
 * no record of an aborted transaction. `read_uncommitted` passes no aborted list and sees every
 * data record.
 */
export function visibleRecords(records: readonly LogRecord[], aborted: readonly AbortedTransaction[]): LogRecord[] {
  return records.filter((record) => {
    if (record.control !== undefined) return false;
    if (!record.transactional) return true;
    return !aborted.some((t) =>
      t.producerId === record.producerId && t.firstOffset <= record.offset && record.offset < t.markerOffset
    );
  });
}

/**
 * Whether a request of `producerEpoch` is fenced by the `currentEpoch` the coordinator or a
 * partition knows: the one place the zombie-fencing bug is consulted, by both.
 */
export function isFenced(producerEpoch: number, currentEpoch: number | undefined, bugs: LogBugs): boolean {
  if (currentEpoch === undefined) return false;
  if (bugs.noZombieFencing) return false;
  return producerEpoch < currentEpoch;
}

/** The states of a transactional id (Kafka's TransactionState). */
export type TransactionState =
  | "empty"
  | "ongoing"
  | "prepareCommit"
  | "prepareAbort"
  | "completeCommit"
  | "completeAbort";

/** A transactional id's metadata: one record of the `__transaction_state` partition, keyed by the id. */
export interface TransactionMetadata {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  state: TransactionState;
  /** The partitions of the open (or deciding) transaction, ascending. */
  partitions: number[];
  transactionTimeoutUs: number;
}

const states: readonly TransactionState[] = [
  "empty",
  "ongoing",
  "prepareCommit",
  "prepareAbort",
  "completeCommit",
  "completeAbort",
];

/** Metadata as the value of a `__transaction_state` record. */
export function encodeTransactionMetadata(metadata: TransactionMetadata): string {
  assert(states.includes(metadata.state), `unknown transaction state ${metadata.state}`);
  return JSON.stringify(metadata);
}

/** The metadata a `__transaction_state` record holds. */
export function decodeTransactionMetadata(value: string): TransactionMetadata {
  const metadata = JSON.parse(value) as TransactionMetadata;
  assert(
    typeof metadata.transactionalId === "string" && states.includes(metadata.state),
    `not a transaction state record: ${value.slice(0, 80)}`,
  );
  return metadata;
}

/**
 * Each transactional id's latest metadata in the records of its state partition (the log is the
 * truth; later records win, as compaction would keep them), and the producer ids it handed out.
 */
export function replayTransactionLog(records: Iterable<LogRecord>): Map<string, TransactionMetadata> {
  const latest = new Map<string, TransactionMetadata>();
  for (const record of records) {
    if (record.control !== undefined || record.value === "") continue;
    const metadata = decodeTransactionMetadata(record.value);
    latest.set(metadata.transactionalId, metadata);
  }
  return latest;
}

/**
 * The state partition of `transactionalId` among `count` of them, numbered after the topic's
 * `topicPartitions` (Kafka hashes into `__transaction_state`'s 50; a string hash, stable across runs).
 */
export function transactionStatePartition(transactionalId: string, topicPartitions: number, count = 1): number {
  assert(count >= 1, `transaction state partitions ${count} is below 1`);
  let hash = 0;
  for (let i = 0; i < transactionalId.length; i++) hash = (hash * 31 + transactionalId.charCodeAt(i)) >>> 0;
  return topicPartitions + (hash % count);
}
