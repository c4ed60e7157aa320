/**
 * Raft benchmark: a five-server cluster at steady load (no faults, tracing off), measured in
 * committed client operations per second of wall time, with heap at two run lengths. The load is
 * stated in the figures' names. Prints `{name, unit, value}` figures, medians of several runs.
 * This file may read the wall clock: measuring is its job.
 *
 * @module
 */
import { runRaftCluster } from "../systems/raft/cluster.ts";
import { median } from "./_stats.ts";
import type { BenchFigure } from "./kernel.ts";

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
    },
    seed,
  );
  const seconds = (performance.now() - started) / 1000;
  return { operations: run.figures.operationsOk, seconds, heapBytes: Deno.memoryUsage().heapUsed };
}

/** Runs the Raft benchmark. */
export function benchRaft(options: { runs: number; clients: number; durationUs: number }): BenchFigure[] {
  runOnce(options.clients, 1_000_000, 99); // warm up the JIT
  const rates: number[] = [];
  const heaps: number[] = [];
  let operations = 0;
  for (let run = 0; run < options.runs; run++) {
    const result = runOnce(options.clients, options.durationUs, run + 1);
    rates.push(result.operations / result.seconds);
    heaps.push(result.heapBytes);
    operations = result.operations;
  }
  const long = runOnce(options.clients, options.durationUs * 4, 1);
  const load = `5 servers, ${options.clients} closed-loop clients (2 ms mean think time), 50% reads, 50% puts`;
  return [
    {
      name: `committed client operations per wall second, ${load} (median)`,
      unit: "operations/s",
      value: Math.round(median(rates)),
    },
    {
      name: "committed operations per virtual second",
      unit: "operations/s",
      value: Math.round(operations / (options.durationUs / 1e6)),
    },
    { name: "heap used after a run (median)", unit: "MiB", value: Math.round(median(heaps) / 2 ** 20 * 10) / 10 },
    {
      name: "heap used after a run 4x as long (snapshots every 1000 entries; the history is kept)",
      unit: "MiB",
      value: Math.round(long.heapBytes / 2 ** 20 * 10) / 10,
    },
    { name: "runs", unit: "runs", value: options.runs },
  ];
}
