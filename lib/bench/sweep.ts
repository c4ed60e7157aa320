/**
 * Sweep benchmark: the same sweep of independent runs on one worker and on two, interleaved over
 * several repeats, with the median speed-up; beside it the ceiling (the same number of pure CPU
 * loops on one worker and on two), a worker's start-up time, and the process's CPU time for each
 * sweep, which tells overhead (more CPU for the same cells) from waiting (the same CPU, spread
 * worse) even when other processes share the cores. Prints `{name, unit, value}` figures. This
 * file may read the wall clock: measuring is its job.
 *
 * @module
 */
import { type CellRequest, runSweep, sweepWorkerModule } from "../lab/mod.ts";
import type { BenchFigure } from "./kernel.ts";
import { median } from "./_stats.ts";

const libDir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const clock = () => performance.now();

/** Iterations of the ceiling's loop per cell: a few tenths of a second, as an echo cell takes. */
const loopIterationsPerCell = 150_000_000;

/** The CPU time this process has used, all threads (ended workers included); NaN without /proc. */
function processCpuSeconds(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const userHz = 100;
    return (Number(fields[11]) + Number(fields[12])) / userHz;
  } catch {
    return NaN;
  }
}

interface Timing {
  seconds: number;
  cpuSeconds: number;
}

async function timeSweep(workers: number, cells: number): Promise<Timing> {
  const dir = await Deno.makeTempDir({ prefix: "faultline-bench-sweep-" });
  const cpuStarted = processCpuSeconds();
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
  const timing = { seconds: (clock() - started) / 1000, cpuSeconds: processCpuSeconds() - cpuStarted };
  await Deno.remove(dir, { recursive: true });
  return timing;
}

/** `cells` CPU loops on `workers` workers, each taking the next loop as it finishes one. */
async function timeCpuLoops(workers: number, cells: number): Promise<number> {
  const started = clock();
  let next = 0;
  const work = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(new URL("./_cpu_loop_worker.ts", import.meta.url), { type: "module" });
      const send = () => {
        if (next >= cells) {
          worker.terminate();
          resolve();
        } else worker.postMessage({ iterations: loopIterationsPerCell, seed: ++next });
      };
      worker.onmessage = send;
      worker.onerror = (event) => {
        worker.terminate();
        reject(new Error(`the CPU loop worker failed: ${event.message}`));
      };
      send();
    });
  await Promise.all(Array.from({ length: workers }, work));
  return (clock() - started) / 1000;
}

/**
 * Milliseconds from starting a sweep worker to its answer to a tiny echo cell: isolate, modules
 * (echo's only, as a sweep loads them, or the whole registry when `system` is left out), one run.
 */
async function timeWorkerStart(system: "echo" | undefined): Promise<number> {
  const started = clock();
  const worker = new Worker(sweepWorkerModule, { type: "module" });
  const request: CellRequest = {
    index: 0,
    experiment: "echo",
    system,
    params: { durationUs: 1_000 },
    seed: 1,
    keepHistory: false,
  };
  try {
    await new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (event) => reject(new Error(`the sweep worker failed: ${event.message}`));
      worker.postMessage(request);
    });
  } finally {
    worker.terminate();
  }
  return clock() - started;
}

/** Times one-worker and two-worker sweeps of `cells` runs, `runs` times each, with the ceiling beside them. */
export async function benchSweep(options: { runs: number; cells: number }): Promise<BenchFigure[]> {
  await timeSweep(2, 2); // warm up
  const one: Timing[] = [];
  const two: Timing[] = [];
  const loopSpeedups: number[] = [];
  const startEcho: number[] = [];
  const startRegistry: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    one.push(await timeSweep(1, options.cells));
    two.push(await timeSweep(2, options.cells));
    loopSpeedups.push(await timeCpuLoops(1, options.cells) / await timeCpuLoops(2, options.cells));
    startEcho.push(await timeWorkerStart("echo"));
    startRegistry.push(await timeWorkerStart(undefined));
  }
  const of = (timings: Timing[], field: keyof Timing) => timings.map((t) => t[field]);
  const cpuKnown = one.every((t) => Number.isFinite(t.cpuSeconds));
  const cells = `${options.cells} echo runs`;
  return [
    { name: `sweep of ${cells}, 1 worker (median)`, unit: "s", value: round(median(of(one, "seconds"))) },
    { name: `sweep of ${cells}, 2 workers (median)`, unit: "s", value: round(median(of(two, "seconds"))) },
    {
      name: "speed-up of 2 workers over 1 (median of per-run ratios)",
      unit: "ratio",
      value: round(median(one.map((t, i) => t.seconds / two[i].seconds))),
    },
    {
      name: `ceiling: speed-up of ${options.cells} pure CPU loops on 2 workers over 1 (median of per-run ratios)`,
      unit: "ratio",
      value: round(median(loopSpeedups)),
    },
    ...(cpuKnown
      ? [
        {
          name: `CPU time of the sweep of ${cells}, 1 worker (median)`,
          unit: "s",
          value: round(median(of(one, "cpuSeconds"))),
        },
        {
          name: `CPU time of the sweep of ${cells}, 2 workers (median)`,
          unit: "s",
          value: round(median(of(two, "cpuSeconds"))),
        },
      ]
      : []),
    { name: "sweep worker start-up to its first tiny echo cell (median)", unit: "ms", value: round(median(startEcho)) },
    {
      name: "the same, loading every system's experiments (median)",
      unit: "ms",
      value: round(median(startRegistry)),
    },
    { name: "load average over the last minute, at the end", unit: "processes", value: round(Deno.loadavg()[0]) },
    { name: "cores", unit: "cores", value: navigator.hardwareConcurrency },
    { name: "runs", unit: "runs", value: options.runs },
  ];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
