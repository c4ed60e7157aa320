/**
 * Checker benchmark: the whole Porcupine corpus (total and per file) and generated keyed
 * histories of 100,000 operations from 10 concurrent processes. Prints `{name, unit, value}`
 * figures, medians of several runs. This file may read the wall clock: measuring is its job.
 *
 * @module
 */
import { checkLinearizable, generateKvHistory, modelNamed, pairOperations, pairOperationsFrom } from "../check/mod.ts";
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
export async function benchCheck(options: { runs: number; operations: number }): Promise<BenchFigure[]> {
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
  ];
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
