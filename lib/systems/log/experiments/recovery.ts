/**
 * The `log-recovery` experiment: producers write to a topic until brokers lose power (the disk
 * keeps only what was flushed) and restart; the figures say how long recovery held each restarted
 * broker and what the power loss cost.
 *
 * Recovery reads back what the recovery-point checkpoint does not vouch for: every segment holding
 * an offset at or after the checkpointed flushed end is read whole and checked record by record,
 * and an older segment only has its indexes checked (and is read whole if one must be rebuilt).
 * Recovery time is those bytes at `recoveryBytesPerSecond` (the read and check rate), held as the
 * broker's CPU work: it serves nothing until done. So recovery time grows with the segment size
 * (the active segment is always read) and with lost indexes (`indexes=lost`: never flushed, a
 * power loss takes them and each segment is read to rebuild them), and without the checkpoint
 * (`recoveryPoint=false`) every segment is read.
 *
 * The fsync policy's trade-off: `always` acknowledges later (each append waits for its flush) and
 * loses nothing it acknowledged; `interval` and `never` acknowledge sooner and lose the records a
 * broker had only in its page cache, and when every replica loses power together (`crash=all`),
 * records that were acknowledged.
 *
 * Figures: `recoveryUsMax` (the longest recovery of a restarted broker), `recoveryBytesScanned`,
 * `recoverySegmentsScanned`, `indexesRebuilt` and `timeIndexesRebuilt` (at the restarts),
 * `recordsLostUnflushed` (records the brokers held when they went down that recovery did not find),
 * `acknowledgedLost` (acknowledged sends no drain found), and `sendLatencyUsP50` and `...P99`.
 *
 * @example
 * ```ts
 * import { logRecoveryExperiment } from "./recovery.ts";
 * const output = logRecoveryExperiment.run({ durationUs: 1_000_000, crashAtUs: 800_000 }, 1);
 * (output.figures.recoveryUsMax as number) > 0; // true
 * ```
 * @module
 */
import { checkDelivery } from "../../../check/mod.ts";
import {
  boolean,
  choice,
  defineExperiment,
  defineParams,
  integer,
  number,
  paramGroups,
  type ValuesOf,
  type Workload,
} from "../../../harness/mod.ts";
import { operationLatencies } from "../../../metrics/mod.ts";
import type { Op } from "../../../sim/mod.ts";
import { partitionKey, partitionsMax } from "../mod.ts";
import { sendGenerator } from "./eos.ts";
import { type LogOptions, logSystem } from "./system.ts";

/** The experiment's parameters. */
export const logRecoveryParams = defineParams({
  ...paramGroups.cluster({ default: 3, min: 1, max: 9 }),
  partitions: integer({ default: 2, min: 1, max: partitionsMax, description: "partitions of the topic" }),
  replicationFactor: integer({ default: 3, min: 1, max: 9, description: "replicas per partition" }),
  producers: integer({ default: 8, min: 1, max: 64, description: "producer processes" }),
  thinkTimeUsMean: number({ default: 500, min: 0, description: "mean client think time" }),
  segmentBytes: integer({ default: 16_384, min: 256, max: 1 << 26, description: "segment size before a roll" }),
  fsync: choice(["always", "interval", "never"], { default: "interval", description: "when appends are flushed" }),
  fsyncIntervalUs: integer({
    default: 5_000,
    min: 100,
    description: "with fsync=interval: how often appends are flushed",
  }),
  indexes: choice(["flushed", "lost"], {
    default: "flushed",
    description: "flushed: a segment's indexes are flushed when it rolls; lost: never, so a power loss takes them",
  }),
  recoveryPoint: boolean({
    default: true,
    description: "keep the recovery-point checkpoint, so a restart reads only the segments after it",
  }),
  recoveryBytesPerSecond: integer({
    default: 100_000_000,
    min: 1_000,
    description: "how fast recovery reads and checks segment bytes",
  }),
  crash: choice(["one", "all"], {
    default: "one",
    description: "one: broker 0 loses power; all: every broker loses power together",
  }),
  crashAtUs: integer({ default: 1_500_000, min: 1, description: "when the power loss strikes (after the start)" }),
  ...paramGroups.duration({ defaultUs: 2_000_000 }),
}, {
  constraint(p) {
    if (p.replicationFactor > p.servers) {
      return `replicationFactor ${p.replicationFactor} is above servers ${p.servers}`;
    }
    if (p.crashAtUs >= warmupUs + p.durationUs) {
      return `crashAtUs ${p.crashAtUs} is not before the end of the run (${warmupUs + p.durationUs} us)`;
    }
    return undefined;
  },
});

/** Typed values of the experiment's parameters. */
export type LogRecoveryParams = ValuesOf<typeof logRecoveryParams>;

const warmupUs = 100_000;
/** How long the brokers stay down. */
const downUs = 50_000;

function workload(p: LogRecoveryParams): Workload {
  return {
    processes: p.producers,
    thinkTimeUsMean: p.thinkTimeUsMean,
    generator: sendGenerator(p.partitions),
    final: Array.from({ length: p.partitions }, (_, i) => ({ f: "drain", key: partitionKey(i), value: null })),
    // What a correlated power loss costs is a figure here, not a verdict (log-eos judges delivery).
    checkers: [],
  };
}

function options(p: LogRecoveryParams): LogOptions {
  return {
    servers: p.servers,
    partitions: p.partitions,
    replicationFactor: p.replicationFactor,
    minInsyncReplicas: Math.min(2, p.replicationFactor),
    acks: "all",
    fsyncPolicy: p.fsync,
    fsyncIntervalUs: p.fsyncIntervalUs,
    uncleanLeaderElection: false,
    consumerCrashProbability: 0,
    bug: "none",
    segmentBytesMax: p.segmentBytes,
    recoveryPointCheckpoint: p.recoveryPoint,
    indexFsyncAtRoll: p.indexes === "flushed",
    recoveryBytesPerSecond: p.recoveryBytesPerSecond,
  };
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Broker recovery time against segment size, lost indexes, the checkpoint and the fsync policy. */
export const logRecoveryExperiment = defineExperiment({
  name: "log-recovery",
  description: "Kafka-like log: brokers lose power under steady produce and restart; measures recovery time " +
    "(against segment size, lost indexes, the recovery-point checkpoint) and what each fsync policy loses",
  params: logRecoveryParams,
  system: logSystem,
  options,
  workload,
  schedule: (p) => ({
    faults: [{
      at: p.crashAtUs,
      fault: {
        kind: "crash",
        targets: p.crash === "all" ? "all" : { nodes: [0] },
        unsyncedOnCrash: "lose",
        durationUs: downUs,
      },
    }],
    recoveryUs: 0,
  }),
  phases: (p) => ({ warmupUs, durationUs: p.durationUs, recoveryBoundUs: 3_000_000 }),
  extras: (run, p) => {
    const recoveries = run.sim.metrics.series("log_recovery_us");
    let recoveryUsMax = 0;
    for (let i = 0; i < recoveries.value.length; i++) {
      if (recoveries.timeUs[i] >= p.crashAtUs) recoveryUsMax = Math.max(recoveryUsMax, recoveries.value[i]);
    }
    const events = run.sim.history.events as Op[];
    const delivery = checkDelivery(events.filter((op) => op.process !== "nemesis"), { ordered: true });
    const latencies = operationLatencies(events).filter((row) => row.f === "send" && row.type === "ok")
      .map((row) => row.latencyUs);
    const system = run.cluster.figures!();
    return {
      figures: {
        recoveryUsMax,
        recoveryBytesScanned: system.logRecoveryBytesScanned,
        recoverySegmentsScanned: system.logRecoverySegmentsScanned,
        indexesRebuilt: system.logIndexesRebuilt,
        timeIndexesRebuilt: system.logTimeIndexesRebuilt,
        recordsLostUnflushed: system.logRecordsLostAtRestart,
        acknowledgedLost: delivery.details.counts.lost,
        sendLatencyUsP50: quantile(latencies, 0.5),
        sendLatencyUsP99: quantile(latencies, 0.99),
      },
    };
  },
});
