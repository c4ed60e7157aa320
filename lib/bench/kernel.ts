/**
 * Kernel benchmark: message ping-pong among 100 nodes through the full node and network API,
 * against the same workload in a bare binary-heap loop in the same process (the practical limit).
 *
 * Prints a JSON array of `{name, unit, value}` (the form github-action-benchmark reads) with the
 * medians of several runs. This file may read the wall clock: measuring it is its job.
 *
 * @module
 */
import { Rng } from "../base/mod.ts";
import { Simulation } from "../sim/mod.ts";
import { median } from "./_stats.ts";

/** One figure, in the form benchmark dashboards read. */
export interface BenchFigure {
  name: string;
  unit: string;
  value: number;
}

/** The ping-pong workload's shape. */
export interface PingPongOptions {
  nodes: number;
  events: number;
  seed: number;
}

const latencyUsMin = 100;
const latencyUsMax = 300;

/**
 * Ping-pong through the kernel: every node starts one exchange; on each message a node answers a
 * random peer, so `nodes` messages are always in flight. Returns events processed and seconds.
 */
export function runKernelPingPong(
  options: PingPongOptions,
): { events: number; seconds: number; heapPeakBytes: number } {
  const sim = new Simulation({
    seed: options.seed,
    network: { latencyUs: { kind: "uniform", min: latencyUsMin, max: latencyUsMax } },
  });
  for (let i = 0; i < options.nodes; i++) {
    sim.addNode({
      create: (api) => {
        const peers = api.nodeCount();
        return {
          onStart: () => api.send((api.id + 1) % peers, 0),
          onMessage: (_from, hops: number) => api.send(Math.floor(api.rng.next() * peers), hops + 1),
        };
      },
    });
  }
  let heapPeakBytes = 0;
  const started = performance.now();
  const slices = 20;
  for (let s = 1; s <= slices; s++) {
    const target = Math.floor((options.events * s) / slices);
    sim.run({ untilEvents: target });
    heapPeakBytes = Math.max(heapPeakBytes, Deno.memoryUsage().heapUsed);
  }
  const seconds = (performance.now() - started) / 1000;
  return { events: sim.eventsProcessed, seconds, heapPeakBytes };
}

/** Rates of repeated runs, each beside the bare loop measured right after it. */
export interface RatesBesideBareLoop<R> {
  results: R[];
  /** What each run counted per wall second. */
  rates: number[];
  /** The bare loop's events per wall second after each run: how fast the shared machine was then. */
  baselines: number[];
  /** Each rate per million of the bare loop's events measured after it. */
  normalised: number[];
}

/**
 * Runs `runOnce` `runs` times (seeds 1, 2, ...), each followed by a fixed bare event loop, since
 * the machine is shared: the loop's rate says how fast it was, and normalises the run's.
 */
export function ratesBesideBareLoop<R extends { seconds: number }>(
  runs: number,
  runOnce: (seed: number) => R,
  counted: (result: R) => number,
): RatesBesideBareLoop<R> {
  const measured: RatesBesideBareLoop<R> = { results: [], rates: [], baselines: [], normalised: [] };
  for (let run = 0; run < runs; run++) {
    const result = runOnce(run + 1);
    const rate = counted(result) / result.seconds;
    const bare = runBarePingPong({ nodes: 100, events: 1_000_000, seed: run + 1 });
    const baseline = bare.events / bare.seconds;
    measured.results.push(result);
    measured.rates.push(rate);
    measured.baselines.push(baseline);
    measured.normalised.push(rate / baseline * 1e6);
  }
  return measured;
}

/**
 * The same ping-pong in a bare loop: a typed-array binary heap keyed by (time, sequence), the
 * same random stream for peers and latencies, and nothing else.
 */
export function runBarePingPong(options: PingPongOptions): { events: number; seconds: number } {
  const capacity = options.nodes * 4;
  const times = new Float64Array(capacity);
  const seqs = new Float64Array(capacity);
  const targets = new Int32Array(capacity);
  const hops = new Float64Array(capacity);
  let size = 0;
  let seqNext = 0;
  const rng = Rng.fromSeed(options.seed).fork("bare");
  const push = (time: number, target: number, hop: number) => {
    let i = size++;
    const seq = seqNext++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent] < time || (times[parent] === time && seqs[parent] < seq)) break;
      times[i] = times[parent];
      seqs[i] = seqs[parent];
      targets[i] = targets[parent];
      hops[i] = hops[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    targets[i] = target;
    hops[i] = hop;
  };
  const latency = () => Math.round(latencyUsMin + rng.next() * (latencyUsMax - latencyUsMin));
  for (let n = 0; n < options.nodes; n++) push(latency(), (n + 1) % options.nodes, 0);
  const started = performance.now();
  let events = 0;
  while (events < options.events) {
    const now = times[0];
    const hop = hops[0];
    // Pop: move the last entry down from the root.
    const last = --size;
    const lt = times[last], ls = seqs[last], lg = targets[last], lh = hops[last];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (
        right < size && (times[right] < times[child] || (times[right] === times[child] && seqs[right] < seqs[child]))
      ) {
        child = right;
      }
      if (lt < times[child] || (lt === times[child] && ls < seqs[child])) break;
      times[i] = times[child];
      seqs[i] = seqs[child];
      targets[i] = targets[child];
      hops[i] = hops[child];
      i = child;
    }
    times[i] = lt;
    seqs[i] = ls;
    targets[i] = lg;
    hops[i] = lh;
    events++;
    push(now + latency(), Math.floor(rng.next() * options.nodes), hop + 1);
  }
  return { events, seconds: (performance.now() - started) / 1000 };
}

/** Runs both loops `repeats` times, interleaved so machine noise hits both alike, and returns medians. */
export function benchKernel(options: PingPongOptions & { repeats: number }): BenchFigure[] {
  const kernelRates: number[] = [];
  const bareRates: number[] = [];
  const ratios: number[] = [];
  const heapPeaks: number[] = [];
  runKernelPingPong({ ...options, events: 200_000 }); // warm up the JIT on both paths
  runBarePingPong({ ...options, events: 200_000 });
  for (let r = 0; r < options.repeats; r++) {
    const kernel = runKernelPingPong({ ...options, seed: options.seed + r });
    const bare = runBarePingPong({ ...options, seed: options.seed + r });
    kernelRates.push(kernel.events / kernel.seconds);
    bareRates.push(bare.events / bare.seconds);
    ratios.push(kernel.events / kernel.seconds / (bare.events / bare.seconds));
    heapPeaks.push(kernel.heapPeakBytes);
  }
  // Memory must not grow with run length: compare peak heap at the run length and at four times it.
  const long = runKernelPingPong({ ...options, events: options.events * 4 });
  const heapPeakRatio = long.heapPeakBytes / median(heapPeaks);
  return [
    { name: "kernel ping-pong events per second (median)", unit: "events/s", value: Math.round(median(kernelRates)) },
    { name: "bare heap loop events per second (median)", unit: "events/s", value: Math.round(median(bareRates)) },
    { name: "kernel / bare loop ratio (median of per-run ratios)", unit: "ratio", value: round3(median(ratios)) },
    { name: "kernel peak heap used (median)", unit: "MiB", value: round3(median(heapPeaks) / 2 ** 20) },
    { name: "kernel peak heap used, run 4x as long", unit: "MiB", value: round3(long.heapPeakBytes / 2 ** 20) },
    { name: "peak heap ratio, 4x run length vs 1x", unit: "ratio", value: round3(heapPeakRatio) },
    { name: "events per run", unit: "events", value: options.events },
    { name: "nodes", unit: "nodes", value: options.nodes },
    { name: "runs", unit: "runs", value: options.repeats },
  ];
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (import.meta.main) {
  console.log(JSON.stringify(benchKernel({ nodes: 100, events: 2_000_000, seed: 1, repeats: 5 }), null, 2));
}
