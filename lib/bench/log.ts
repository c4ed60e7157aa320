/**
 * The commit log's benchmark: acknowledged records per wall second on 3 brokers, one topic whose
 * partitions have 3 replicas each, `acks=all` (`min.insync.replicas` 2), fsync `always`,
 * closed-loop producers with no think time, no faults, history discarded (operations are counted,
 * not kept) and metrics as histograms. Prints `{name, unit, value}` figures; the medians of
 * several runs, each beside a bare event loop measured after it, since the machine is shared (the
 * rate is also given per million bare-loop events, which varies less with the load). This file
 * may read the wall clock: measuring is its job.
 *
 * @module
 */
import { assert, InputError } from "../assert.ts";
import { runSystem } from "../harness/mod.ts";
import type { Generator } from "../harness/mod.ts";
import { batchRecordsMax, partitionKey } from "../systems/log/mod.ts";
import { logSystem } from "../systems/log/experiments/mod.ts";
import { median } from "./_stats.ts";
import { type BenchFigure, ratesBesideBareLoop } from "./kernel.ts";

/** Options of the log's benchmark. */
export interface LogBenchOptions {
  runs: number;
  /** Closed-loop producers (no think time), each sending a batch at a time to a random partition. */
  producers: number;
  /** Records per produce request (Kafka's record batch). */
  batchRecords: number;
  partitions: number;
  /** Virtual duration of a run. */
  durationUs: number;
}

/** Each operation is one produce request: a batch of `batchRecords` unique values to a random partition. */
function batchGenerator(options: LogBenchOptions): Generator {
  return {
    next: (rng, { process, sequence }) => ({
      f: "sendBatch",
      key: partitionKey(Math.floor(rng.next() * options.partitions)),
      value: Array.from({ length: options.batchRecords }, (_, i) => `${process}:${sequence}:${i}`),
    }),
  };
}

/** Segments of 1 MiB (Kafka's default is 1 GiB): the load, not the roll, is measured. */
const segmentBytesMax = 1 << 20;

function runOnce(options: LogBenchOptions, seed: number) {
  const started = performance.now();
  const run = runSystem({
    system: logSystem,
    options: {
      servers: 3,
      partitions: options.partitions,
      replicationFactor: 3,
      minInsyncReplicas: 2,
      acks: "all",
      fsyncPolicy: "always",
      uncleanLeaderElection: false,
      consumerCrashProbability: 0,
      bug: "none",
      segmentBytesMax,
    },
    workload: {
      processes: options.producers,
      thinkTimeUsMean: 0,
      generator: batchGenerator(options),
      checkers: [],
    },
    schedule: { faults: [], recoveryUs: 0 },
    phases: { warmupUs: 0, durationUs: options.durationUs, recoveryBoundUs: 1_000_000, extendForLiveness: false },
    seed,
    simulation: { history: { retain: "faults" }, metrics: { histograms: "all" } },
  });
  const seconds = (performance.now() - started) / 1000;
  const records = run.sim.history.counts.ok * options.batchRecords;
  assert(records > 0, "log bench: no record was acknowledged");
  return { records, seconds };
}

/** Runs the log's benchmark. */
export function benchLog(options: LogBenchOptions): BenchFigure[] {
  if (!Number.isInteger(options.batchRecords) || options.batchRecords < 1 || options.batchRecords > batchRecordsMax) {
    throw new InputError(
      `--batch is the records per produce request, 1 to ${batchRecordsMax}; got ${options.batchRecords}`,
    );
  }
  const load = `${options.producers} closed-loop producers (no think time, ${options.batchRecords} records of ` +
    `about 10 bytes per produce request, one request in flight each), ${options.partitions} partitions, 3 brokers, ` +
    "3 replicas, acks=all, min.insync.replicas 2, fsync always, 1 MiB segments, no faults";
  runOnce({ ...options, durationUs: Math.min(options.durationUs, 300_000) }, 99); // warm up the JIT
  const { results, rates, baselines, normalised } = ratesBesideBareLoop(
    options.runs,
    (seed) => runOnce(options, seed),
    (result) => result.records,
  );
  const records = results.at(-1)!.records;
  return [
    {
      name: `acknowledged records per wall second, ${load} (median)`,
      unit: "records/s",
      value: Math.round(median(rates)),
    },
    {
      name: "acknowledged records per million baseline events, each run against the bare loop measured after it " +
        "(machine-normalised, median)",
      unit: "records/M events",
      value: Math.round(median(normalised)),
    },
    {
      name: "acknowledged records per virtual second",
      unit: "records/s",
      value: Math.round(records / (options.durationUs / 1e6)),
    },
    {
      name: "baseline: bare heap loop events per wall second, measured between the runs (median)",
      unit: "events/s",
      value: Math.round(median(baselines)),
    },
    { name: "virtual seconds per run", unit: "s", value: options.durationUs / 1e6 },
    { name: "runs", unit: "runs", value: options.runs },
  ];
}
