/**
 * The key-value store with tunable consistency: a consistent-hash ring, dotted version vectors
 * and hybrid logical clocks for the leaderless (AP) modes.
 *
 * @module
 */
export * from "./ring.ts";
export * from "./hlc.ts";
export * from "./versions.ts";
export * from "./siblings.ts";
export * from "./merkle.ts";
export * from "./types.ts";
export * from "./bugs.ts";
export * from "./log_store.ts";
export * from "./node.ts";
export * from "./client.ts";
