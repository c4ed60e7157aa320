/**
 * Checker benchmark: the whole Porcupine corpus (total and per file), generated keyed histories
 * of 100,000 operations from 10 concurrent processes, hard cas-register histories (20 clients,
 * 5,000 operations, a tenth info, valid and with a stale read) and the linearizability check of
 * raft-chaos runs (30 and 50 clients, 10 virtual seconds). Prints `{name, unit, value}`
 * figures, medians of several runs. This file may read the wall clock: measuring is its job.
 *
 * @module
 */
import {
  casRegister,
  checkLinearizable,
  generateCasRegisterHistory,
  generateKvHistory,
  kv,
  type Model,
  modelNamed,
  pairOperations,
  pairOperationsFrom,
} from "../check/mod.ts";
import { resolveParams } from "../params.ts";
import { raftChaosExperiment } from "../systems/raft/experiments/mod.ts";
import { readHistory } from "../history/mod.ts";
import { Rng } from "../base/mod.ts";
import type { BenchFigure } from "./kernel.ts";
import { median } from "./_stats.ts";

const corpusDir = new URL("../../datasets/porcupine/", import.meta.url).pathname;

/** Checks every corpus file once (reading, pairing and checking); returns milliseconds per file. */
export async function checkCorpusOnce(): Promise<Map<string, number>> {
  const verdicts: Record<string, boolean> = JSON.parse(await Deno.readTextFile(`${corpusDir}verdicts.json`));
  const times = new Map<string, number>();
  for (const name of Object.keys(verdicts).sort()) {
    const keyed = name.startsWith("c");
    const started = performance.now();
    const operations = await pairOperationsFrom(readHistory(`${corpusDir}${name}.jsonl`));
    const result = checkLinearizable(operations, modelNamed(keyed ? "kv" : "cas-register"), {
      initial: keyed ? "" : null,
    });
    times.set(name, performance.now() - started);
    if (result.valid !== verdicts[name]) {
      throw new Error(`${name}: verdict ${result.valid}, expected ${verdicts[name]}`);
    }
  }
  return times;
}

/** Runs the checker benchmark `runs` times and returns medians. */
export async function benchCheck(options: {
  runs: number;
  operations: number;
  /** Seeds of the hard cas-register histories (default 3). */
  hardSeeds?: number;
  /** Client counts and seeds of the raft-chaos runs (default 30 and 50 clients, 2 seeds). */
  raftClients?: number[];
  raftSeeds?: number;
}): Promise<BenchFigure[]> {
  await checkCorpusOnce(); // warm up the JIT
  const totals: number[] = [];
  const perFile = new Map<string, number[]>();
  const generatedMs: number[] = [];
  const heapPeaks: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const times = await checkCorpusOnce();
    totals.push([...times.values()].reduce((a, b) => a + b, 0));
    for (const [name, ms] of times) perFile.set(name, [...(perFile.get(name) ?? []), ms]);
    const history = generateKvHistory(Rng.fromSeed(run + 1), {
      operations: options.operations,
      processes: 10,
      keys: 100,
    });
    const started = performance.now();
    const result = checkLinearizable(pairOperations(history), modelNamed("kv"), { initial: "" });
    generatedMs.push(performance.now() - started);
    heapPeaks.push(Deno.memoryUsage().heapUsed);
    if (result.valid !== true) throw new Error(`generated history ${run} judged ${result.valid}`);
  }
  const slowest = [...perFile].map(([name, ms]) => [name, median(ms)] as const).sort((a, b) => b[1] - a[1]).slice(0, 8);
  const generatedMedianMs = median(generatedMs);
  return [
    { name: "Porcupine corpus, all 109 files, total (median)", unit: "ms", value: round(median(totals)) },
    { name: "Porcupine (Go) on the same corpus, from the corpus README", unit: "ms", value: 800 },
    ...slowest.map(([name, ms]) => ({ name: `corpus file ${name} (median)`, unit: "ms", value: round(ms) })),
    {
      name: `generated kv history, ${options.operations} operations, 10 processes, 100 keys (median)`,
      unit: "ms",
      value: round(generatedMedianMs),
    },
    {
      name: "generated kv history throughput (median)",
      unit: "operations/s",
      value: Math.round(options.operations / (generatedMedianMs / 1000)),
    },
    { name: "heap used after a generated check (median)", unit: "MiB", value: round(median(heapPeaks) / 2 ** 20) },
    { name: "runs", unit: "runs", value: options.runs },
    ...benchHardHistories({ seeds: options.hardSeeds ?? 3, operations: 5000 }),
    ...benchRaftHistories({
      clients: options.raftClients ?? [30, 50],
      durationUs: 10_000_000,
      seeds: options.raftSeeds ?? 2,
    }),
  ];
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** One timed check: milliseconds, the verdict, and the process's resident memory after it. */
function timedCheck(history: Parameters<typeof pairOperations>[0], model: Model<unknown>, initial: unknown) {
  const started = performance.now();
  const result = checkLinearizable(pairOperations(history), model, { initial });
  return { ms: performance.now() - started, valid: result.valid, rssBytes: Deno.memoryUsage().rss };
}

/**
 * Hard cas-register histories (20 clients, `operations` operations, a tenth info) for seeds
 * 1..`seeds`, valid and with one stale read: the slowest check of each kind, and the verdicts.
 */
export function benchHardHistories(options: { seeds: number; operations: number }): BenchFigure[] {
  const figures: BenchFigure[] = [];
  for (const impossibleRead of [false, true]) {
    const runs = Array.from({ length: options.seeds }, (_, i) => {
      const history = generateCasRegisterHistory(Rng.fromSeed(i + 1), {
        operations: options.operations,
        processes: 20,
        impossibleRead,
      });
      return timedCheck(history, casRegister, null);
    });
    const kind = `cas-register, 20 clients, ${options.operations} operations, 10% info, ${
      impossibleRead ? "one stale read" : "valid"
    }, seeds 1..${options.seeds}`;
    figures.push(
      { name: `${kind}: slowest check`, unit: "ms", value: round(Math.max(...runs.map((r) => r.ms))) },
      { name: `${kind}: median check`, unit: "ms", value: round(median(runs.map((r) => r.ms))) },
      {
        name: `${kind}: checks with the expected verdict`,
        unit: "checks",
        value: runs.filter((r) => r.valid === !impossibleRead).length,
      },
      {
        name: `${kind}: resident memory after`,
        unit: "MiB",
        value: round(Math.max(...runs.map((r) => r.rssBytes)) / 2 ** 20),
      },
    );
  }
  return figures;
}

/**
 * The linearizability check of raft-chaos runs (bug none, default faults) with `clients` clients
 * and `durationUs` of virtual time, seeds 1..`seeds`: the check alone is timed, on the run's history.
 */
export function benchRaftHistories(options: { clients: number[]; durationUs: number; seeds: number }): BenchFigure[] {
  const figures: BenchFigure[] = [];
  for (const clients of options.clients) {
    const params = resolveParams(raftChaosExperiment.params, { clients, durationUs: options.durationUs, bug: "none" });
    const runs = Array.from({ length: options.seeds }, (_, i) => {
      const events = raftChaosExperiment.run(params, i + 1).history.events
        .filter((op) => op.process !== "nemesis" && op.process < 900_000_000);
      return { ...timedCheck(events, kv as Model<unknown>, ""), operations: events.length / 2 };
    });
    const kind = `raft-chaos, ${clients} clients, ${options.durationUs / 1e6} s, seeds 1..${options.seeds}`;
    figures.push(
      { name: `${kind}: slowest linearizability check`, unit: "ms", value: round(Math.max(...runs.map((r) => r.ms))) },
      {
        name: `${kind}: operations per run (median)`,
        unit: "operations",
        value: Math.round(median(runs.map((r) => r.operations))),
      },
      {
        name: `${kind}: runs decided (not unknown)`,
        unit: "runs",
        value: runs.filter((r) => r.valid !== "unknown").length,
      },
    );
  }
  return figures;
}
