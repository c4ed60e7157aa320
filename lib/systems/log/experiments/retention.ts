/**
 * The `log-retention` experiment: producers write keyed records (some of them tombstones) at a
 * steady rate to a topic with retention by time and size and a log cleaner (`cleanupPolicy`), and
 * a slow reader polls a few records at a time. No faults: the run measures how storage is
 * reclaimed, and the `table` check (`table.ts`) judges what a reader of a compacted topic ends up
 * with. With `bug=tombstoneDroppedEarly` the cleaner drops tombstones at once and the reader keeps
 * keys the producers deleted.
 *
 * Figures: `bytesReclaimed` (by retention and cleaning), `retentionDelayUsP50` and `...Max` (from a
 * segment becoming eligible for deletion to its deletion), `cleanerBytes` and
 * `cleanerThroughputBytesPerS` (bytes the cleaner read over the time its cleans took), `diskBytesEnd`,
 * and the produce latency while a clean is in flight on some broker and otherwise
 * (`sendLatencyUsP99WhileCleaning`, `sendLatencyUsP99Otherwise`). Table and chart `diskBytes`: each
 * broker's log bytes over time (the reclaim curve).
 *
 * @example
 * ```ts
 * import { logRetentionExperiment } from "./retention.ts";
 * const output = logRetentionExperiment.run({ durationUs: 2_000_000 }, 1);
 * output.checks.every((c) => c.valid === true); // true
 * ```
 * @module
 */
import { operationLatencies } from "../../../metrics/mod.ts";
import type { Op } from "../../../sim/mod.ts";
import {
  choice,
  defineExperiment,
  defineParams,
  type Generator,
  integer,
  number,
  paramGroups,
  type ValuesOf,
  type Workload,
} from "../../../harness/mod.ts";
import { reclaimCurve } from "../../../viz/mod.ts";
import { fetchRecordsMax, partitionKey, partitionsMax } from "../mod.ts";
import { type LogOptions, logSystem } from "./system.ts";
import { checkTable } from "./table.ts";

/** The experiment's parameters. */
export const logRetentionParams = defineParams({
  ...paramGroups.cluster({ default: 3, min: 1, max: 9 }),
  partitions: integer({ default: 2, min: 1, max: partitionsMax, description: "partitions of the topic" }),
  replicationFactor: integer({ default: 3, min: 1, max: 9, description: "replicas per partition" }),
  producers: integer({ default: 4, min: 1, max: 64, description: "producer processes" }),
  keys: integer({ default: 64, min: 1, max: 100_000, description: "keys the producers write" }),
  deleteFraction: number({ default: 0.1, min: 0, max: 1, description: "fraction of writes that are tombstones" }),
  readerRecordsMax: integer({
    default: 1,
    min: 1,
    max: fetchRecordsMax,
    description: "records the reader takes per poll (few: a slow reader)",
  }),
  cleanupPolicy: choice(["compact", "delete", "compact,delete"], {
    default: "compact",
    description: "compact: the cleaner keeps the last record per key; delete: retention by time and size; both",
  }),
  segmentBytes: integer({ default: 4_096, min: 256, max: 1 << 24, description: "segment size before a roll" }),
  retentionUs: integer({ default: 1_000_000, min: 1, description: "retention.ms (µs): a closed segment's age limit" }),
  retentionBytes: integer({ default: 32_768, min: 1, description: "retention.bytes: a partition's size limit" }),
  retentionCheckIntervalUs: integer({ default: 100_000, min: 1_000, description: "how often retention runs" }),
  deleteRetentionUs: integer({
    default: 10_000_000,
    min: 0,
    description: "delete.retention.ms (µs): how long a tombstone is kept after the cleaner first keeps it",
  }),
  cleanerBytesPerSecond: integer({
    default: 2_000_000,
    min: 1_000,
    description: "the cleaner's disk I/O budget (bytes read and written per second)",
  }),
  thinkTimeUsMean: number({ default: 2_000, min: 0, description: "mean client think time" }),
  ...paramGroups.duration({ defaultUs: 5_000_000 }),
  ...paramGroups.bug(["tombstoneDroppedEarly"] as const),
}, {
  constraint(p) {
    if (p.replicationFactor > p.servers) {
      return `replicationFactor ${p.replicationFactor} is above servers ${p.servers}`;
    }
    return undefined;
  },
});

/** Typed values of the experiment's parameters. */
export type LogRetentionParams = ValuesOf<typeof logRetentionParams>;

/** Producers write a random key (its partition fixed by the key, as Kafka's partitioner does). */
export function keyedSendGenerator(p: Pick<LogRetentionParams, "keys" | "partitions" | "deleteFraction">): Generator {
  return {
    next: (rng, { process, sequence }) => {
      const k = Math.floor(rng.next() * p.keys);
      const tombstone = rng.next() < p.deleteFraction;
      return {
        f: "send",
        key: partitionKey(k % p.partitions),
        value: { key: `k${k}`, value: tombstone ? null : `${process}:${sequence}` },
      };
    },
  };
}

/** The reader polls every partition in turn, `readerRecordsMax` records at a time. */
function readerGenerator(p: Pick<LogRetentionParams, "partitions" | "readerRecordsMax">): Generator {
  return {
    next: (_rng, { sequence }) => ({
      f: "poll",
      key: partitionKey(sequence % p.partitions),
      value: { recordsMax: p.readerRecordsMax },
    }),
  };
}

function workload(p: LogRetentionParams): Workload {
  return {
    processes: p.producers + 1,
    thinkTimeUsMean: p.thinkTimeUsMean,
    generator: keyedSendGenerator(p),
    generatorFor: (index) => (index < p.producers ? undefined : readerGenerator(p)),
    final: Array.from({ length: p.partitions }, (_, i) => ({ f: "drain", key: partitionKey(i), value: null })),
    // A reader cannot rebuild keys whose last writes retention deleted: the check is compaction's.
    checkers: p.cleanupPolicy === "compact"
      ? [{ name: "table", check: ({ events }) => checkTable(events as Op[]) }]
      : [],
  };
}

function options(p: LogRetentionParams): LogOptions {
  const deletes = p.cleanupPolicy !== "compact";
  const compacts = p.cleanupPolicy !== "delete";
  return {
    servers: p.servers,
    partitions: p.partitions,
    replicationFactor: p.replicationFactor,
    minInsyncReplicas: Math.min(2, p.replicationFactor),
    acks: "all",
    fsyncPolicy: "always",
    uncleanLeaderElection: false,
    consumerCrashProbability: 0,
    bug: p.bug,
    segmentBytesMax: p.segmentBytes,
    retention: deletes
      ? { retentionUs: p.retentionUs, retentionBytes: p.retentionBytes, checkIntervalUs: p.retentionCheckIntervalUs }
      : undefined,
    compaction: compacts
      ? { deleteRetentionUs: p.deleteRetentionUs, cleanerBytesPerSecond: p.cleanerBytesPerSecond }
      : undefined,
  };
}

interface SeriesLike {
  timeUs: ArrayLike<number>;
  node: ArrayLike<number>;
  value: ArrayLike<number>;
}

function sum(series: SeriesLike): number {
  let total = 0;
  for (let i = 0; i < series.value.length; i++) total += series.value[i];
  return total;
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The produce latencies of sends invoked while some clean was in flight, and of the others. */
function sendLatencies(events: readonly Op[], cleans: SeriesLike): { cleaning: number[]; otherwise: number[] } {
  const windows: [number, number][] = [];
  for (let i = 0; i < cleans.timeUs.length; i++) windows.push([cleans.timeUs[i] - cleans.value[i], cleans.timeUs[i]]);
  const out = { cleaning: [] as number[], otherwise: [] as number[] };
  for (const row of operationLatencies(events as Op[])) {
    if (row.f !== "send" || row.type !== "ok") continue;
    const during = windows.some(([from, to]) => row.invokeUs >= from && row.invokeUs < to);
    (during ? out.cleaning : out.otherwise).push(row.latencyUs);
  }
  return out;
}

/** Storage reclaimed by retention and cleaning under steady keyed produce. */
export const logRetentionExperiment = defineExperiment({
  name: "log-retention",
  description: "Kafka-like log under steady keyed produce with retention by time and size and a log cleaner; " +
    "measures disk bytes, bytes reclaimed, deletion delay, cleaner throughput; checks a reader's rebuilt table",
  params: logRetentionParams,
  system: logSystem,
  options,
  workload,
  schedule: () => ({ faults: [], recoveryUs: 0 }),
  phases: (p) => ({ warmupUs: 100_000, durationUs: p.durationUs, recoveryBoundUs: 3_000_000 }),
  extras: (run) => {
    const metrics = run.sim.metrics;
    const disk = metrics.series("log_disk_bytes");
    const delays = Array.from(metrics.series("log_retention_delay_us").value);
    const cleanerBytes = sum(metrics.series("log_cleaner_bytes"));
    const cleans = metrics.series("log_clean_duration_us");
    const cleanUs = sum(cleans);
    const latencies = sendLatencies(run.sim.history.events, cleans);
    const diskBytes = Array.from(disk.timeUs, (timeUs, i) => ({ timeUs, node: disk.node[i], bytes: disk.value[i] }));
    const last = new Map<number, number>();
    for (const row of diskBytes) last.set(row.node, row.bytes);
    return {
      figures: {
        bytesReclaimed: sum(metrics.series("log_bytes_reclaimed")),
        retentionDelayUsP50: quantile(delays, 0.5),
        retentionDelayUsMax: quantile(delays, 1),
        segmentsDeleted: delays.length,
        cleanerBytes,
        cleans: cleans.value.length,
        cleanerThroughputBytesPerS: cleanUs === 0 ? 0 : Math.round(cleanerBytes * 1e6 / cleanUs),
        diskBytesEnd: [...last.values()].reduce((a, b) => a + b, 0),
        sendLatencyUsP99WhileCleaning: quantile(latencies.cleaning, 0.99),
        sendLatencyUsP99Otherwise: quantile(latencies.otherwise, 0.99),
        sendsWhileCleaning: latencies.cleaning.length,
      },
      tables: { diskBytes },
      charts: {
        diskBytes: reclaimCurve(
          diskBytes.map((row) => ({ timeUs: row.timeUs, bytes: row.bytes, series: `broker ${row.node}` })),
          { title: "log bytes on each broker's disk" },
        ),
      },
    };
  },
});
