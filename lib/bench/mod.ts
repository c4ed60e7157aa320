/**
 * Benchmarks: the kernel's event rate against a bare loop, Raft's throughput, the checkers on the
 * Porcupine corpus, and a sweep's speed-up from workers. Each returns figures for `faultline bench`.
 *
 * @example
 * ```ts
 * import { benchKernel } from "./mod.ts";
 * const figures = benchKernel({ nodes: 2, events: 10_000, seed: 1, repeats: 1 });
 * ```
 * @module
 */
export * from "./kernel.ts";
export * from "./check.ts";
export * from "./raft.ts";
export * from "./sweep.ts";
export * from "./kv.ts";
export * from "./log.ts";
