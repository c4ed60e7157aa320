/**
 * Sweep benchmark: the same sweep of independent runs on one worker and on two, interleaved over
 * several repeats, with the median speed-up. Prints `{name, unit, value}` figures. This file may
 * read the wall clock: measuring is its job.
 *
 * @module
 */
import { runSweep } from "../lab/mod.ts";
import type { BenchFigure } from "./kernel.ts";
import { median } from "./_stats.ts";

const libDir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

async function timeSweep(workers: number, cells: number): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "faultline-bench-sweep-" });
  const clock = () => performance.now();
  const started = clock();
  await runSweep(
    {
      experiment: "echo",
      fixed: { durationUs: 20_000_000, clients: 20 },
      seeds: Array.from({ length: cells }, (_, i) => i + 1),
    },
    { dir: `${dir}/s`, cacheDir: `${dir}/c`, workers, force: true, wallClockMs: clock },
    libDir,
  );
  const seconds = (clock() - started) / 1000;
  await Deno.remove(dir, { recursive: true });
  return seconds;
}

/** Times one-worker and two-worker sweeps of `cells` runs, `runs` times each. */
export async function benchSweep(options: { runs: number; cells: number }): Promise<BenchFigure[]> {
  await timeSweep(2, 2); // warm up
  const one: number[] = [];
  const two: number[] = [];
  const speedups: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const a = await timeSweep(1, options.cells);
    const b = await timeSweep(2, options.cells);
    one.push(a);
    two.push(b);
    speedups.push(a / b);
  }
  return [
    { name: `sweep of ${options.cells} echo runs, 1 worker (median)`, unit: "s", value: round(median(one)) },
    { name: `sweep of ${options.cells} echo runs, 2 workers (median)`, unit: "s", value: round(median(two)) },
    { name: "speed-up of 2 workers over 1 (median of per-run ratios)", unit: "ratio", value: round(median(speedups)) },
    { name: "cores", unit: "cores", value: navigator.hardwareConcurrency },
    { name: "runs", unit: "runs", value: options.runs },
  ];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
