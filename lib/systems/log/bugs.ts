/**
 * The log service's planted bugs: each a flag, off by default, consulted at exactly one place.
 *
 * @example
 * ```ts
 * import { logBugsFor } from "./bugs.ts";
 * logBugsFor("truncateToHighWatermark").truncateToHighWatermark; // true
 * ```
 * @module
 */

/** Planted bugs of the brokers and clients. */
export interface LogBugs {
  /**
   * A replica that becomes a follower (at start-up after a crash, or when the leader changes)
   * truncates its log to its own high watermark instead of asking the leader where its latest
   * epoch ended (broker.ts, `enterFollower`). This is Kafka before KIP-101: the follower's high
   * watermark lags the leader's by a fetch and its checkpoint lags further, so acknowledged
   * records above it are dropped; if that replica is elected before it fetches them again (two
   * brokers restarting together), they are gone from every log. Caught by the delivery checker
   * (acknowledged records lost) and the `committed-logs-agree` invariant.
   */
  truncateToHighWatermark: boolean;
  /**
   * The producer gives a retried record a new sequence number, as a producer without idempotence
   * does (client.ts, `retrySequence`). When the first attempt was appended but its answer lost
   * (a leader crash, a partition), the leader takes the retry for a new record and appends it
   * again. Caught by the delivery checker (duplicated records).
   */
  producerResetsSequenceOnRetry: boolean;
  /**
   * The consumer commits its new offset before it processes what it fetched (client.ts,
   * `poll`). A consumer that crashes in between has committed past records it never processed;
   * after its restart it resumes after them. Caught by the delivery checker (records lost: taken
   * only by polls whose outcome is unknown).
   */
  consumerCommitsBeforeProcessing: boolean;
  /**
   * The log cleaner drops a tombstone the first time it sees it, ignoring `deleteRetentionUs`
   * (partition_log.ts, `#tombstoneExpired`). A reader that has read a key's old value but not yet
   * its tombstone reads on past the gap the clean left and never learns the key was deleted: the
   * table it rebuilds keeps a key the producer deleted. Caught by `log-retention`'s `table` check.
   */
  tombstoneDroppedEarly: boolean;
  /**
   * The transaction coordinator and the partition leaders accept a producer epoch older than the
   * one they know (transactions.ts, `isFenced`): KIP-98's zombie fencing is gone. A producer that
   * paused while a new instance with its transactional id took over (and redid its work) resumes
   * and commits its transaction too, so its records are delivered twice. Caught by the delivery
   * checker (duplicated records) in `log-eos` with transactional producers that restart.
   */
  noZombieFencing: boolean;
}

/** Every bug's name, with what it breaks and which check catches it. */
export const logBugDocs = {
  truncateToHighWatermark:
    "a new follower truncates to its high watermark instead of asking the leader for its epoch's end (pre-KIP-101); " +
    "acknowledged records are lost when it is elected before refetching; caught by delivery (lost)",
  producerResetsSequenceOnRetry:
    "the producer gives each retry a new sequence number; a retry of an appended record is appended again; " +
    "caught by delivery (duplicated)",
  consumerCommitsBeforeProcessing:
    "the consumer commits offsets before processing; a crash in between skips records; caught by delivery (lost)",
  tombstoneDroppedEarly:
    "the log cleaner drops tombstones at once, ignoring delete retention; a slow reader keeps a deleted key; " +
    "caught by log-retention's table check",
  noZombieFencing:
    "the transaction coordinator and partition leaders accept an older producer epoch; a zombie producer commits " +
    "work a new instance of its transactional id redid; caught by delivery (duplicated)",
} as const satisfies Record<keyof LogBugs, string>;

/** Every bug's name. */
export const logBugNames = Object.keys(logBugDocs) as (keyof LogBugs)[];

/** The bugs of delivery, which `log-eos` catches; the cleaner's are `log-retention`'s. */
export const logDeliveryBugNames = logBugNames.filter((name) => name !== "tombstoneDroppedEarly");

/** The bug set with only `name` on ("none": the correct system). */
export function logBugsFor(name: "none" | keyof LogBugs): LogBugs {
  return {
    truncateToHighWatermark: name === "truncateToHighWatermark",
    producerResetsSequenceOnRetry: name === "producerResetsSequenceOnRetry",
    consumerCommitsBeforeProcessing: name === "consumerCommitsBeforeProcessing",
    tombstoneDroppedEarly: name === "tombstoneDroppedEarly",
    noZombieFencing: name === "noZombieFencing",
  };
}
