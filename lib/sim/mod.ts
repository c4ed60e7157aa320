/**
 * The deterministic simulation kernel: virtual time, seeded randomness, nodes on hosts with CPU
 * and disk, a faulty network and drifting clocks.
 *
 * @example
 * ```ts
 * import { Simulation } from "./mod.ts";
 * const sim = new Simulation({ seed: 7 });
 * const server = sim.addNode({ create: (api) => ({ onMessage: (from, m) => api.send(from, m) }) });
 * sim.addNode({ create: (api) => ({ onStart: () => api.send(server, "hello"), onMessage: () => {} }) });
 * sim.run();
 * ```
 * @module
 */
export * from "./simulation.ts";
export * from "./types.ts";
export type * from "./client.ts";
export * from "./rng.ts";
export * from "./distributions.ts";
export * from "./empirical.ts";
export type { DiskCompletion, DiskOptions, StorageStats, UnsyncedOnCrash } from "./disk.ts";
export { NodeFiles } from "./disk.ts";
export type { HostOptions } from "./host.ts";
export type { LinkOptions, LinkStats, Network, NetworkOptions, Placement } from "./network.ts";
export type { Recorder, Series } from "./recorder.ts";
export type { TraceEvent } from "./trace.ts";
export { Clock } from "./clock.ts";
export { RunHash } from "./run_hash.ts";
/** The history event a client records; systems import it from here, as they may import only kernel types. */
export type { Op } from "../history/mod.ts";
