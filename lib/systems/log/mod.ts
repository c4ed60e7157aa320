/**
 * A Kafka-like commit log: topics of partitions, each a segmented log on the simulated disk,
 * replicated leader-to-followers with an in-sync replica set, a high watermark, `acks`, leader
 * epochs (KIP-101) and idempotent producers (KIP-98); a controller node assigns leaders, and
 * group coordinators keep consumer groups and their offsets in `__consumer_offsets`. See docs/log.md for the design and what is simplified.
 *
 * @example
 * ```ts
 * import { highWatermark, logBugNames } from "./mod.ts";
 * logBugNames.length; // 5
 * highWatermark({ isr: [0, 1], endOffsets: new Map([[0, 4], [1, 3]]), current: 0 }); // 3
 * ```
 * @module
 */
export * from "./types.ts";
export * from "./bugs.ts";
export * from "./records.ts";
export * from "./epoch_cache.ts";
export * from "./producer_state.ts";
export * from "./transactions.ts";
export * from "./txn_coordinator.ts";
export * from "./replication.ts";
export * from "./partition_log.ts";
export * from "./broker.ts";
export * from "./controller.ts";
export * from "./client.ts";
export * from "./group_types.ts";
export * from "./assignor.ts";
export * from "./group_coordinator.ts";
export * from "./consumer_group.ts";
