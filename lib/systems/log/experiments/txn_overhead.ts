/**
 * The `log-txn-overhead` experiment: what transactions cost a producer's throughput. Two runs on
 * the same seed and cluster, without faults: idempotent producers with `acks=all` and one request
 * in flight (Kafka's "at least once, in-order" producer), and the same producers in transactions
 * that commit every `commitIntervalUs`. Throughput is records acknowledged per second (the
 * transactional run counts only records of committed transactions). The network has a bandwidth
 * and the disk its default throughput, so `recordBytes` costs time on both.
 *
 * A transaction adds, per partition it touches, an `addPartitionsToTxn` round trip and a write to
 * the coordinator's replicated log, and at the end an `endTxn` round trip, another replicated log
 * write and a marker per partition (written while the next transaction starts). Longer
 * transactions spread that over more records, so the loss shrinks as the commit interval grows.
 *
 * @example
 * ```ts
 * import { logTxnOverheadExperiment } from "./txn_overhead.ts";
 * const output = logTxnOverheadExperiment.run({ durationUs: 500_000 }, 1);
 * typeof output.figures.overheadPercent; // "number"
 * ```
 * @module
 */
import {
  choice,
  defineCustomExperiment,
  defineParams,
  type Generator,
  type HarnessRun,
  integer,
  runSystem,
  type ValuesOf,
  type Workload,
} from "../../../harness/mod.ts";
import { partitionKey, partitionsMax } from "../mod.ts";
import { type LogOptions, logSystem } from "./system.ts";

/** The experiment's parameters. */
export const logTxnOverheadParams = defineParams({
  servers: integer({ default: 3, min: 1, max: 9, description: "brokers" }),
  partitions: integer({ default: 3, min: 1, max: partitionsMax, description: "partitions of the topic" }),
  producers: integer({ default: 4, min: 1, max: 64, description: "producer processes, each one request in flight" }),
  commitIntervalUs: integer({
    default: 100_000,
    min: 0,
    max: 10_000_000,
    description: "a transaction commits after its first record at least this old (0: every record)",
  }),
  recordBytes: integer({ default: 1_000, min: 16, max: 1_000_000, description: "size of each record's value" }),
  bandwidthBytesPerSecond: integer({
    default: 125_000_000,
    min: 0,
    description: "network bandwidth of each link (0: unlimited)",
  }),
  fsync: choice(["interval", "always", "never"], {
    default: "interval",
    description: "when appends are flushed (Kafka relies on the page cache: interval)",
  }),
  durationUs: integer({ default: 2_000_000, min: 100_000, max: 60_000_000, description: "measured phase" }),
});

/** Typed values of the experiment's parameters. */
export type LogTxnOverheadParams = ValuesOf<typeof logTxnOverheadParams>;

const warmupUs = 200_000;

/** Producers send `process:sequence:` padded to `recordBytes`, to a random partition, without pause. */
function paddedSendGenerator(partitions: number, recordBytes: number): Generator {
  return {
    next: (rng, { process, sequence }) => {
      const head = `${process}:${sequence}:`;
      return {
        f: "send",
        key: partitionKey(Math.floor(rng.next() * partitions)),
        value: head + "x".repeat(Math.max(0, recordBytes - head.length)),
      };
    },
  };
}

function workload(p: LogTxnOverheadParams): Workload {
  return {
    processes: p.producers,
    thinkTimeUsMean: 0,
    generator: paddedSendGenerator(p.partitions, p.recordBytes),
    final: [],
    checkers: [],
  };
}

function options(p: LogTxnOverheadParams, transactional: boolean): LogOptions {
  return {
    servers: p.servers,
    partitions: p.partitions,
    replicationFactor: Math.min(3, p.servers),
    minInsyncReplicas: Math.min(2, p.servers),
    acks: "all",
    fsyncPolicy: p.fsync,
    uncleanLeaderElection: false,
    consumerCrashProbability: 0,
    bug: "none",
    segmentBytesMax: 1_048_576,
    ...(transactional
      ? {
        transactions: { commitIntervalUs: p.commitIntervalUs, restartProbability: 0, transactionTimeoutUs: 60_000_000 },
      }
      : {}),
  };
}

function run(p: LogTxnOverheadParams, seed: number, transactional: boolean): HarnessRun {
  return runSystem({
    system: logSystem,
    options: options(p, transactional),
    workload: workload(p),
    schedule: { faults: [], recoveryUs: 0 },
    // Producers go on past the measured window long enough to commit what they wrote in it.
    phases: { warmupUs, durationUs: p.durationUs + p.commitIntervalUs + 200_000, recoveryBoundUs: 1_000_000 },
    seed,
    simulation: { network: { bandwidthBytesPerSecond: p.bandwidthBytesPerSecond } },
  });
}

/**
 * Records acknowledged per second of the measured window: ok sends, or records whose produce was
 * acknowledged in the window and whose transaction committed (at any time after).
 */
function throughputPerS(result: HarnessRun, p: LogTxnOverheadParams, transactional: boolean): number {
  const from = warmupUs, to = warmupUs + p.durationUs;
  let records = 0;
  if (transactional) {
    for (const ackedUs of result.sim.metrics.series("txn_record_acked_us").value) {
      if (ackedUs >= from && ackedUs < to) records++;
    }
  } else {
    for (const e of result.sim.history.events) {
      if (e.type === "ok" && e.f === "send" && e.time >= from && e.time < to) records++;
    }
  }
  return records / (p.durationUs / 1e6);
}

/** Transactions' throughput against the idempotent producer's, for one commit interval and record size. */
export const logTxnOverheadExperiment = defineCustomExperiment({
  name: "log-txn-overhead",
  description: "Kafka-like log: producer throughput with transactions (commit every commitIntervalUs) against " +
    "the idempotent acks=all producer, by record size; figures only",
  params: logTxnOverheadParams,
  run(p, seed) {
    const baseline = throughputPerS(run(p, seed, false), p, false);
    const transactionalRun = run(p, seed, true);
    const transactional = throughputPerS(transactionalRun, p, true);
    const commits = transactionalRun.sim.metrics.series("txn_records_committed").value;
    let committedRecords = 0;
    for (const n of commits) committedRecords += n;
    const ratio = baseline === 0 ? null : transactional / baseline;
    return {
      figures: {
        commitIntervalUs: p.commitIntervalUs,
        recordBytes: p.recordBytes,
        throughputBaselinePerS: Math.round(baseline),
        throughputTransactionalPerS: Math.round(transactional),
        throughputRatio: ratio === null ? null : Math.round(ratio * 1000) / 1000,
        overheadPercent: ratio === null ? null : Math.round((1 - ratio) * 1000) / 10,
        bytesPerSBaseline: Math.round(baseline * p.recordBytes),
        recordsPerTransactionMean: commits.length === 0
          ? null
          : Math.round(committedRecords / commits.length * 10) / 10,
      },
    };
  },
});
