/**
 * Storage gauges: the well-known metric names storage engines record through
 * `api.record(name, value)`, read back as tidy rows, and write amplification.
 *
 * A system records what it has, under these names, so notebooks and reports can chart any
 * engine's storage the same way. Levels are the current size after a change; events are one
 * sample per occurrence (a compaction, a snapshot); increments are added up over the run.
 *
 * @example
 * ```ts
 * import { Recorder } from "../sim/recorder.ts";
 * import { gaugeRows, writeAmplification } from "./gauges.ts";
 * const recorder = new Recorder();
 * recorder.record("bytes_written_logical", 10, 0, 100);
 * recorder.record("bytes_written_device", 10, 0, 4096);
 * writeAmplification(recorder); // 40.96
 * gaugeRows(recorder).length; // 2
 * ```
 * @module
 */
import { assert, InputError } from "../assert.ts";
import type { Recorder, StorageStats } from "../sim/mod.ts";

/** How a gauge's samples add up. */
export type GaugeKind = "level" | "event" | "increment";

/** What one well-known gauge means. */
export interface GaugeSpec {
  kind: GaugeKind;
  unit: "bytes" | "count" | "us";
  description: string;
}

/** The well-known storage gauges, by the name systems record them under. */
export const storageGauges = {
  wal_bytes: { kind: "level", unit: "bytes", description: "size of the write-ahead log after an append or truncation" },
  segments: { kind: "level", unit: "count", description: "live log or table segments (SSTables, chunks)" },
  tombstones: { kind: "level", unit: "count", description: "deletion markers not yet purged by compaction" },
  compaction_us: { kind: "event", unit: "us", description: "duration of one compaction" },
  compaction_bytes: { kind: "event", unit: "bytes", description: "bytes one compaction rewrote" },
  bytes_written_logical: { kind: "increment", unit: "bytes", description: "bytes the engine was asked to store" },
  bytes_written_device: { kind: "increment", unit: "bytes", description: "bytes the engine wrote to its disk" },
  snapshot_us: { kind: "event", unit: "us", description: "duration of taking or installing one snapshot" },
  repair_us: { kind: "event", unit: "us", description: "duration of one anti-entropy or read repair" },
  gc_pause_us: { kind: "event", unit: "us", description: "duration of one garbage-collection pause" },
} as const satisfies Record<string, GaugeSpec>;

/** A well-known gauge name. */
export type GaugeName = keyof typeof storageGauges;

/** The well-known gauge names, in catalogue order. */
export const gaugeNames: readonly GaugeName[] = Object.keys(storageGauges) as GaugeName[];

/** One sample of one gauge. */
export interface GaugeRow {
  timeUs: number;
  node: number;
  gauge: string;
  value: number;
}

/**
 * The samples of the named gauges (default: every well-known gauge), ordered by time, and by the
 * order of `names` among samples of the same time. A name that is neither well known nor
 * recorded is refused as a likely typo.
 *
 * @param recorder the run's metric recorder (`sim.metrics`)
 * @param names the gauges to read
 * @returns tidy rows `{timeUs, node, gauge, value}`
 *
 * @example
 * ```ts
 * import { Recorder } from "../sim/recorder.ts";
 * import { gaugeRows } from "./gauges.ts";
 * const recorder = new Recorder();
 * recorder.record("wal_bytes", 5, 1, 4096);
 * gaugeRows(recorder, ["wal_bytes"]); // [{ timeUs: 5, node: 1, gauge: "wal_bytes", value: 4096 }]
 * ```
 */
export function gaugeRows(recorder: Recorder, names: readonly string[] = gaugeNames): GaugeRow[] {
  const recorded = recorder.names();
  const unknown = names.find((name) => !(name in storageGauges) && !recorded.includes(name));
  if (unknown !== undefined) {
    throw new InputError(
      `gauge "${unknown}" is neither well known nor recorded; well known: ${gaugeNames.join(", ")}; ` +
        `recorded: ${recorded.join(", ") || "none"}`,
    );
  }
  const rows: GaugeRow[] = [];
  for (const gauge of names) {
    const { timeUs, node, value } = recorder.series(gauge);
    for (let i = 0; i < timeUs.length; i++) rows.push({ timeUs: timeUs[i], node: node[i], gauge, value: value[i] });
  }
  // A stable sort keeps each series' recorded order, and the order of names, among equal times.
  return rows.sort((a, b) => a.timeUs - b.timeUs);
}

/**
 * Write amplification from recorded gauges: the sum of `bytes_written_device` over the sum of
 * `bytes_written_logical`, over every node or one. NaN when nothing logical was written.
 *
 * @param recorder the run's metric recorder
 * @param options `node`: only that node's samples
 * @returns device bytes per logical byte
 *
 * @example
 * ```ts
 * import { Recorder } from "../sim/recorder.ts";
 * import { writeAmplification } from "./gauges.ts";
 * const recorder = new Recorder();
 * recorder.record("bytes_written_logical", 1, 0, 1000);
 * recorder.record("bytes_written_device", 2, 0, 3000);
 * writeAmplification(recorder, { node: 0 }); // 3
 * ```
 */
export function writeAmplification(recorder: Recorder, options: { node?: number } = {}): number {
  const logical = seriesSum(recorder, "bytes_written_logical", options.node);
  const device = seriesSum(recorder, "bytes_written_device", options.node);
  return logical === 0 ? NaN : device / logical;
}

function seriesSum(recorder: Recorder, name: GaugeName, only: number | undefined): number {
  const { node, value } = recorder.series(name);
  let sum = 0;
  for (let i = 0; i < value.length; i++) if (only === undefined || node[i] === only) sum += value[i];
  return sum;
}

/**
 * Write amplification from the kernel's storage counters (`sim.files(node).stats`): bytes the
 * device wrote over bytes the node asked to write, summed over every given node. NaN when
 * nothing was written.
 *
 * @param stats one node's counters, or several nodes'
 * @returns device bytes per logical byte
 *
 * @example
 * ```ts
 * import { writeAmplificationOf } from "./gauges.ts";
 * writeAmplificationOf({ bytesWritten: 100, bytesWrittenToDevice: 4096, writes: 1, fsyncs: 1, writesLostAtCrash: 0, writesTornAtCrash: 0 }); // 40.96
 * ```
 */
export function writeAmplificationOf(stats: StorageStats | readonly StorageStats[]): number {
  const all: readonly StorageStats[] = Array.isArray(stats) ? stats : [stats as StorageStats];
  let logical = 0;
  let device = 0;
  for (const one of all) {
    assert(one.bytesWritten >= 0 && one.bytesWrittenToDevice >= 0, "storage counters are never negative");
    logical += one.bytesWritten;
    device += one.bytesWrittenToDevice;
  }
  return logical === 0 ? NaN : device / logical;
}
