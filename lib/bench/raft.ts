/**
 * Raft benchmark: a five-server cluster at steady load (no faults, tracing off), measured in
 * committed client operations per second of wall time (the median of several runs), with the live
 * heap at two run lengths. The load is stated in the figures' names. Prints `{name, unit, value}`
 * figures. This file may read the wall clock: measuring is its job.
 *
 * The runs keep only what a long run needs: the history is discarded (client operations are
 * counted, not kept), metrics are kept as histograms, and snapshots compact the log and the WAL
 * every 1000 entries, so memory stays flat however long the run. The heap is measured in two runs
 * of its own (the run length and four times it), after a forced garbage collection with the
 * finished cluster still reachable: what a run holds, not the garbage it left (the kernel
 * benchmark, which never forces one, reports peaks instead).
 *
 * @module
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { assert } from "../assert.ts";
import { runRaftCluster } from "../systems/raft/experiments/mod.ts";
import { median } from "./_stats.ts";
import { type BenchFigure, ratesBesideBareLoop } from "./kernel.ts";

/** Options of the Raft benchmark. */
export interface RaftBenchOptions {
  /** Measured runs; the figures are their medians. */
  runs: number;
  /** Closed-loop clients (2 ms mean think time, half reads, half puts). */
  clients: number;
  /** Virtual duration of a measured run; the heap is also measured after a run four times as long. */
  durationUs: number;
}

/** The snapshot cadence the benchmark runs with (the cluster's default), stated in the figures. */
const snapshotEveryEntries = 1000;

/**
 * A function that forces a full garbage collection, or undefined. Deno exposes `gc` when run with
 * `--v8-flags=--expose-gc`; otherwise it is fetched from a new context after setting the flag at
 * run time, as Node's documentation shows (`./faultline` passes no V8 flags). Called when the
 * benchmark starts, not when this module loads: the CLI imports it for every command.
 */
function findGc(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === "function") return exposed;
  try {
    setFlagsFromString("--expose-gc");
    const fromContext = runInNewContext("gc") as unknown;
    return typeof fromContext === "function" ? fromContext as () => void : undefined;
  } catch {
    return undefined;
  }
}

function runOnce(clients: number, durationUs: number, seed: number) {
  const started = performance.now();
  const run = runRaftCluster(
    {
      servers: 5,
      clients,
      durationUs,
      bug: "none",
      schedule: { faults: [], recoveryUs: 0 },
      skipLinearizability: true,
      writeF: "put",
      snapshotEveryEntries,
      history: "discard",
      metrics: "histograms",
    },
    seed,
  );
  const seconds = (performance.now() - started) / 1000;
  return { run, operations: run.figures.operationsOk, seconds };
}

/**
 * The heap a run of `durationUs` holds when it ends: measured after a forced collection, with the
 * run still reachable. A run of its own: forcing collections between throughput runs slowed the
 * runs after them (by about a tenth, on two shared cores), so those never force one.
 */
function heapAfterRun(clients: number, durationUs: number, collectGarbage: (() => void) | undefined): number {
  collectGarbage?.(); // the previous run's garbage is not this run's
  const { run } = runOnce(clients, durationUs, 1);
  collectGarbage?.();
  const heapBytes = Deno.memoryUsage().heapUsed;
  assert(run.figures.operationsOk > 0, "the heap run committed nothing");
  return heapBytes;
}

/** Runs the Raft benchmark. */
export function benchRaft(options: RaftBenchOptions): BenchFigure[] {
  runOnce(options.clients, 1_000_000, 99); // warm up the JIT
  const { results, rates, baselines: baselineRates, normalised } = ratesBesideBareLoop(
    options.runs,
    (seed) => runOnce(options.clients, options.durationUs, seed),
    (result) => result.operations,
  );
  const operations = results.at(-1)!.operations;
  const collectGarbage = findGc();
  const heapBytes = heapAfterRun(options.clients, options.durationUs, collectGarbage);
  const heapLongBytes = heapAfterRun(options.clients, options.durationUs * 4, collectGarbage);
  const load = `5 servers, ${options.clients} closed-loop clients (2 ms mean think time), 50% reads, 50% puts, ` +
    "3 keys, no faults, tracing off";
  const kept = `history discarded, metrics as histograms, snapshots every ${snapshotEveryEntries} entries`;
  const heap = collectGarbage !== undefined
    ? "live heap after a run (forced GC)"
    : "heap used after a run (no GC could be forced)";
  return [
    {
      name: `committed client operations per wall second, ${load} (median)`,
      unit: "operations/s",
      value: Math.round(median(rates)),
    },
    {
      name: "baseline: bare heap loop events per wall second, measured between the runs (median)",
      unit: "events/s",
      value: Math.round(median(baselineRates)),
    },
    {
      name: "committed operations per million baseline events (machine-normalised)",
      unit: "operations/M events",
      value: Math.round(median(normalised)),
    },
    {
      name: "committed operations per virtual second",
      unit: "operations/s",
      value: Math.round(operations / (options.durationUs / 1e6)),
    },
    { name: `${heap}; ${kept}`, unit: "MiB", value: mebibytes(heapBytes) },
    { name: `${heap} 4x as long; ${kept}`, unit: "MiB", value: mebibytes(heapLongBytes) },
    {
      name: "heap ratio, 4x run length vs 1x",
      unit: "ratio",
      value: Math.round(heapLongBytes / heapBytes * 1000) / 1000,
    },
    { name: "virtual seconds per run", unit: "s", value: options.durationUs / 1e6 },
    { name: "runs", unit: "runs", value: options.runs },
  ];
}

function mebibytes(bytes: number): number {
  return Math.round(bytes / 2 ** 20 * 10) / 10;
}
