/**
 * The commit log's vocabulary: records, the messages between brokers, the controller and clients,
 * and every bound, with units in the names.
 *
 * @example
 * ```ts
 * import { partitionKey } from "./types.ts";
 * partitionKey(2); // "p2"
 * ```
 * @module
 */
import type { GroupMessage } from "./group_types.ts";

/** One record of a partition's log. */
export interface LogRecord {
  /** Position in the partition's log, from 0, dense. */
  offset: number;
  /**
   * When the leader appended it, on the leader's wall clock (Kafka's LogAppendTime): the time index
   * and retention by time read it. Followers copy it.
   */
  timestampUs: number;
  /** The leader epoch in which the leader appended it (KIP-101 keys truncation on it). */
  leaderEpoch: number;
  /** The idempotent producer that sent it, its epoch and its sequence number for this partition. */
  producerId: number;
  producerEpoch: number;
  sequence: number;
  value: string;
  /** The record's key, for compacted topics; absent on unkeyed records. */
  key?: string;
  /** A delete marker for `key` (Kafka's null value); its `value` is empty. */
  tombstone?: boolean;
  /**
   * Set on a tombstone by the cleaner that first kept it: past this instant (the broker's
   * monotonic clock, µs) the next clean may drop it (KIP-534's delete horizon).
   */
  deleteHorizonUs?: number;
  /** Written inside a transaction of its producer (KIP-98): visible to `read_committed` once committed. */
  transactional?: boolean;
  /**
   * A control record (a transaction marker) ends its producer's open transaction in this
   * partition; it carries no data and no consumer sees it. Its sequence is -1.
   */
  control?: "commit" | "abort";
  /**
   * In memory only, not in the frame: on the first record of a batch of several appended in one
   * write, the batch's record count, so that replication hands the batch on whole.
   */
  batchRecords?: number;
}

/** Which records a consumer reads: all below the watermark, or only committed transactions' (below the LSO). */
export type Isolation = "read_uncommitted" | "read_committed";

/** How often a log makes its appends durable. */
export type FsyncPolicy = "always" | "interval" | "never";

/** How many replicas must have a record before the producer hears it was written. */
export type Acks = 0 | 1 | "all";

/** The controller's view of one partition: who leads, in which epoch, who is in sync. */
export interface PartitionState {
  partition: number;
  /** Broker ids holding a replica, in preference order. */
  replicas: number[];
  /** The leader's broker id, or {@linkcode noLeader} while the partition is offline. */
  leader: number;
  leaderEpoch: number;
  isr: number[];
  /** Bumped on every change of leader or ISR; an ISR change based on an older one is refused. */
  partitionEpoch: number;
}

/** No broker leads the partition (no live in-sync replica, unclean election off). */
export const noLeader = -1;

/** The name a partition has in the history: the delivery checker's key. */
export function partitionKey(partition: number): string {
  return `p${partition}`;
}

/** Messages a broker handles. */
export type BrokerMessage =
  | { type: "controllerState"; partitions: PartitionState[] }
  | { type: "alterIsrResult"; partition: number; state: PartitionState | undefined }
  | {
    type: "produce";
    requestId: number;
    partition: number;
    acks: Acks;
    producerId: number;
    producerEpoch: number;
    sequence: number;
    value: string;
    /** A keyed record's key; with `tombstone`, a delete of the key (its value is empty). */
    key?: string;
    tombstone?: boolean;
    /** Part of the producer's open transaction (a transactional producer). */
    transactional?: boolean;
    /**
     * A batch (Kafka's record batch): further unkeyed records after `value`, with the sequences
     * after `sequence`, appended in one write and acknowledged together with the first's offset.
     */
    moreValues?: string[];
  }
  | { type: "fetch"; partition: number; leaderEpoch: number; fetchOffset: number; replica: number }
  | { type: "fetchResponse"; partition: number; leaderEpoch: number; records: LogRecord[]; highWatermark: number }
  | { type: "fetchError"; partition: number; leaderEpoch: number; error: "notLeader" | "fencedEpoch" | "outOfRange" }
  | { type: "epochEndOffset"; partition: number; leaderEpoch: number; requestedEpoch: number; replica: number }
  | {
    type: "epochEndOffsetResponse";
    partition: number;
    leaderEpoch: number;
    /** The largest epoch at most the requested one that the leader knows, and where it ended. */
    epoch: number;
    endOffset: number;
  }
  | {
    type: "consume";
    requestId: number;
    partition: number;
    offset: number;
    recordsMax: number;
    /** Default `read_uncommitted`. */
    isolation?: Isolation;
  }
  /** Kafka's ListOffsets by timestamp: the first committed record stamped at or after `timestampUs`. */
  | { type: "listOffsets"; requestId: number; partition: number; timestampUs: number }
  | TransactionRequest
  | {
    /** Coordinator to partition leader: end `producerId`'s transaction in `partition` (Kafka's WriteTxnMarkers). */
    type: "writeTxnMarker";
    requestId: number;
    partition: number;
    producerId: number;
    producerEpoch: number;
    commit: boolean;
  }
  | { type: "writeTxnMarkerResponse"; requestId: number; partition: number; error?: "notLeader" };

/** Requests a transactional producer sends its transaction coordinator. */
export type TransactionRequest =
  | { type: "initProducerId"; requestId: number; transactionalId: string; transactionTimeoutUs: number }
  | {
    type: "addPartitionsToTxn";
    requestId: number;
    transactionalId: string;
    producerId: number;
    producerEpoch: number;
    partitions: number[];
  }
  | {
    type: "endTxn";
    requestId: number;
    transactionalId: string;
    producerId: number;
    producerEpoch: number;
    commit: boolean;
  };

/**
 * Errors of a transaction request: `notCoordinator` and `concurrentTransactions` (a transition or
 * markers in progress) are retriable; `fenced` means a newer epoch of the transactional id exists;
 * `invalidTxnState` means the request does not fit the transaction's state (a commit of an aborted one).
 */
export type TransactionError = "notCoordinator" | "concurrentTransactions" | "fenced" | "invalidTxnState";

/** Messages the controller handles. */
export type ControllerMessage =
  | { type: "heartbeat"; incarnation: number; clean: boolean }
  | { type: "alterIsr"; partition: number; leaderEpoch: number; partitionEpoch: number; isr: number[] }
  | { type: "metadata"; requestId: number };

/** Errors of a produce; `duplicate` is a success (KIP-98: the record is already in the log). */
export type ProduceError =
  | "notLeader"
  | "notEnoughReplicas"
  | "outOfOrderSequence"
  | "unknownProducer"
  | "timeout"
  | "fenced";

/** Messages a client handles. */
export type ClientMessage =
  | { type: "produceResponse"; requestId: number; offset?: number; error?: ProduceError }
  | { type: "metadataResponse"; requestId: number; leaders: number[] }
  | {
    type: "consumeResponse";
    requestId: number;
    records?: LogRecord[];
    /** `outOfRange`: the offset is below the log start (retention deleted it); `logStartOffset` says where it is. */
    error?: "notLeader" | "outOfRange";
    logStartOffset?: number;
    /** Where the next read starts: past the last record read, filtered or not (markers, aborted records). */
    nextOffset?: number;
    /** `read_committed`: records below the watermark wait for an open transaction (the LSO is below it). */
    unstable?: boolean;
  }
  | {
    type: "txnResponse";
    requestId: number;
    error?: TransactionError;
    /** InitProducerId's answer. */
    producerId?: number;
    producerEpoch?: number;
  }
  | {
    type: "listOffsetsResponse";
    requestId: number;
    /** The record found, or null when no committed record is that late. */
    found?: { offset: number; timestampUs: number } | null;
    error?: "notLeader";
  };

/** Every message of the log service. */
export type LogMessage = BrokerMessage | ControllerMessage | ClientMessage | GroupMessage;

/** Records a follower or consumer fetches at most per request. */
export const fetchRecordsMax = 64;
/** Produce requests a leader holds waiting for the high watermark; beyond, it refuses (clients retry). */
export const pendingProducesMax = 4096;
/** Partitions a topic may have. */
export const partitionsMax = 64;
/** Records a produce request may carry. */
export const batchRecordsMax = 10_000;
/** Records a partition's log may hold: a run that exceeds it is refused loudly rather than slowed. */
export const partitionRecordsMax = 1_000_000;
