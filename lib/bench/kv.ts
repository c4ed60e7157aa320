/**
 * The key-value store's benchmark: committed client operations per wall second in two modes, the
 * leaderless `quorum` mode (N = 3, R = W = 2 on 5 nodes) and the `linearizable` mode on Raft (5
 * servers), at the same closed-loop load, no faults, history discarded (operations are counted,
 * not kept) and metrics as histograms. Prints `{name, unit, value}` figures; the medians of several
 * runs, each beside a bare event loop measured between the runs, since the machine is shared (each
 * mode's rate is also given per million bare-loop events, which varies less with the load). This
 * file may read the wall clock: measuring is its job.
 *
 * @module
 */
import { assert } from "../assert.ts";
import { runSystem } from "../harness/mod.ts";
import { keyValueGenerator } from "../harness/mod.ts";
import { kvModesParams, kvOptions, kvStoreSystem } from "../systems/kv/experiments/mod.ts";
import { median } from "./_stats.ts";
import { type BenchFigure, ratesBesideBareLoop } from "./kernel.ts";

/** Options of the store's benchmark. */
export interface KvBenchOptions {
  runs: number;
  /** Closed-loop clients (2 ms mean think time, half gets, half puts over 100 keys). */
  clients: number;
  /** Virtual duration of a run. */
  durationUs: number;
}

const keys = 100;

function runOnce(mode: "quorum" | "linearizable", options: KvBenchOptions, seed: number) {
  const params = kvModesParams.resolve({
    mode,
    servers: 5,
    clients: options.clients,
    durationUs: options.durationUs,
    faults: "none",
    sloppyQuorum: false,
    keys,
  });
  const started = performance.now();
  const run = runSystem({
    system: kvStoreSystem,
    options: kvOptions(params),
    workload: {
      processes: options.clients,
      thinkTimeUsMean: 2_000,
      generator: keyValueGenerator({ keys, readFraction: 0.5, writeF: "put" }),
      checkers: [],
    },
    schedule: { faults: [], recoveryUs: 0 },
    phases: { warmupUs: 0, durationUs: options.durationUs, recoveryBoundUs: 1_000_000, extendForLiveness: false },
    seed,
    simulation: { history: { retain: "faults" }, metrics: { histograms: "all" } },
  });
  const seconds = (performance.now() - started) / 1000;
  const operations = run.sim.history.counts.ok;
  assert(operations > 0, `kv bench (${mode}): no operation completed`);
  return { operations, seconds, events: run.sim.eventsProcessed };
}

/** Runs the store's benchmark. */
export function benchKv(options: KvBenchOptions): BenchFigure[] {
  const load = `${options.clients} closed-loop clients (2 ms mean think time), 50% gets, 50% puts, ${keys} keys, ` +
    "no faults, 5 nodes";
  const figures: BenchFigure[] = [];
  const baselines: number[] = [];
  for (const mode of ["quorum", "linearizable"] as const) {
    runOnce(mode, { ...options, durationUs: 500_000 }, 99); // warm up the JIT
    const measured = ratesBesideBareLoop(
      options.runs,
      (seed) => runOnce(mode, options, seed),
      (result) => result.operations,
    );
    const { rates, normalised } = measured;
    baselines.push(...measured.baselines);
    const { operations, events } = measured.results.at(-1)!;
    const what = mode === "quorum" ? "quorum mode (N = 3, R = W = 2, strict)" : "linearizable mode (Raft, ReadIndex)";
    figures.push(
      {
        name: `${what}: committed operations per wall second, ${load} (median)`,
        unit: "operations/s",
        value: Math.round(median(rates)),
      },
      {
        name: `${what}: committed operations per million baseline events, each run against the bare loop measured ` +
          "after it (machine-normalised, median)",
        unit: "operations/M events",
        value: Math.round(median(normalised)),
      },
      {
        name: `${what}: committed operations per virtual second`,
        unit: "operations/s",
        value: Math.round(operations / (options.durationUs / 1e6)),
      },
      {
        // What a committed operation costs the kernel: the rate per wall second is at most the
        // bare loop's events per second over this, whatever the handlers cost.
        name: `${what}: simulated events per committed operation`,
        unit: "events/operation",
        value: Math.round(events / operations * 10) / 10,
      },
    );
  }
  figures.push(
    {
      name: "baseline: bare heap loop events per wall second, measured between the runs (median)",
      unit: "events/s",
      value: Math.round(median(baselines)),
    },
    { name: "virtual seconds per run", unit: "s", value: options.durationUs / 1e6 },
    { name: "runs per mode", unit: "runs", value: options.runs },
  );
  return figures;
}
