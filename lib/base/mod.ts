/**
 * Pure helpers shared by the kernel, the checkers and the charts: the seeded random streams, the
 * log-linear latency histogram, CRC-32, copies of small byte arrays carved from shared slabs, and
 * the shape of a traced event. Imports only `lib/assert.ts`.
 *
 * @example
 * ```ts
 * import { Histogram, Rng } from "./mod.ts";
 * const rng = Rng.fromSeed(1).fork("latency");
 * const latency = new Histogram();
 * for (let i = 0; i < 100; i++) latency.record(rng.int(100, 200));
 * latency.quantile(0.5); // about 150
 * ```
 * @module
 */
export * from "./rng.ts";
export * from "./histogram.ts";
export * from "./crc32.ts";
export * from "./text.ts";
export * from "./byte_slab.ts";
export * from "./bytes.ts";
export type { TraceEvent, TraceEventKind } from "./trace_event.ts";
