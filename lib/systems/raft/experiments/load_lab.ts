/**
 * Raft under open-loop load with CPU service times on: the latency-throughput curve and its knee.
 *
 * Each server's work is priced (`raftServiceTime`: a cost per message plus a cost per entry it
 * carries), so a server handles one event at a time and the rest queue; the leader, which handles
 * every client request and every follower's acknowledgement, saturates first. Operations arrive
 * as a Poisson process at the offered rate whatever the cluster does (open_loop.ts), so an offer
 * above capacity shows as queueing latency, timeouts and shed arrivals, where closed-loop clients
 * would slow down instead.
 *
 * A run is a warm-up (the first election, arrivals already on), a measurement window, and a
 * drain after arrivals stop, long enough for every operation to be answered or given up on:
 * - throughput: ok completions inside the window, per second;
 * - latency: of the ok operations invoked inside the window (whenever they completed);
 * - info: operations invoked inside the window that were given up on; shed: arrivals inside the
 *   window that found every process of the pool busy;
 * - CPU: each server's CPU time charged inside the window over the window's length (a server
 *   handles one event at a time, so 1 is saturated); the busiest server's is reported.
 *
 * The window ends at `warmupUs + windowUs`, when arrivals stop, and opens at `warmupUs`, but never
 * before the cluster has settled: {@linkcode settleUs} (300 ms) after the first leader's first
 * commit (an entry of its own term, Raft §5.4.2; looked for every {@linkcode commitProbeUs}).
 * Until that commit no operation completes, so a window holding the first election reports its
 * ~175 ms as the p99 latency of a light load; and the operations that arrived during the election
 * are answered in a burst just after it, which a window opened at the commit would count as
 * throughput the offer never asked for, while the queue behind them inflates its p99 (2× at
 * 250/s and 7× at 1414/s, seed 16). A warm-up shorter than that (even 0) therefore shortens the
 * window rather than letting the transient in; `windowStartUs` says where it opened. The first
 * election commits at about 175 ms, so the default 500 ms warm-up is just enough and the default
 * window is normally the full `windowUs`. A run that would leave less than
 * {@linkcode windowUsMin} (100 ms) of window is refused (InputError).
 *
 * `raft-load` is one point (sweep it over `offeredPerSecond`); `raft-load-curve` runs a range of
 * offered loads itself and reports the knee (lib/metrics/knee.ts) with its chart.
 *
 * @example
 * ```ts
 * import { runRaftLoad } from "./load_lab.ts";
 * const { point } = runRaftLoad({ offeredPerSecond: 500, windowUs: 1_000_000 }, 1);
 * point.throughputPerSecond; // about 500: well below capacity, the cluster keeps up
 * ```
 * @module
 */
import { checkNumber, InputError } from "../../../assert.ts";
import type { Op } from "../../../history/mod.ts";
import type { CheckResult } from "../../../check/mod.ts";
import {
  boolean,
  defineCustomExperiment,
  defineParams,
  integer,
  number,
  outputOf,
  paramGroups,
  type ParamsOf,
  type ValuesOf,
} from "../../../harness/mod.ts";
import { Histogram } from "../../../metrics/mod.ts";
import { type Knee, loadKnee } from "../../../metrics/mod.ts";
import { loadCurve } from "../../../viz/mod.ts";
import { throughputLatencyTimeline } from "../../../viz/mod.ts";
import { windowedSeries } from "../../../metrics/mod.ts";
import type { Simulation } from "../../../sim/mod.ts";
import { type RaftRunResult, runRaftCluster } from "./cluster.ts";
import type { RaftServer } from "../mod.ts";
import { raftServiceTime } from "../mod.ts";

/** The figures of one offered load. */
export interface RaftLoadPoint {
  offeredPerSecond: number;
  /** Arrivals in the window per second (invoked or shed): the offer as drawn, what the knee judges throughput by. */
  arrivalsPerSecond: number;
  throughputPerSecond: number;
  latencyUsP50: number;
  latencyUsP99: number;
  latencyUsMax: number;
  operationsOk: number;
  operationsInfo: number;
  operationsShed: number;
  /**
   * The busiest server's CPU utilisation over the measurement window (the leader's, normally): CPU
   * charged in the window over its length. CPU is charged when a service starts, so a service that
   * straddles an edge counts on the side it began; capped at 1.
   */
  cpuUtilisationMax: number;
  /** When the measurement window opened: `warmupUs`, or `settleUs` after the first leader's first commit if later. */
  windowStartUs: number;
}

/** Time after arrivals stop for every operation to end: the client's give-up time and a timeout. */
export const drainUs = 1_200_000;

/** How often the run looks for the first leader's first commit (so the window opens at most this late). */
export const commitProbeUs = 1_000;

/**
 * The least time from the first leader's first commit to the window's start: the election's
 * backlog answered and the queue it built drained. Below capacity the operations that arrived
 * during the first election are all answered within 25-30 ms of its first commit at 250/s and
 * 105-150 ms at 2181/s (seeds 1-5 and 16); 300 ms leaves twice that for the queue behind them.
 * Past capacity the backlog never drains: that is the overload the window measures.
 */
export const settleUs = 300_000;

/** The shortest measurement window, as given and as left once the cluster has settled. */
export const windowUsMin = 100_000;

/** The parameters `raft-load` and `raft-load-curve` share: the cluster, the run's phases and the prices of work. */
const loadParamSpecs = {
  ...paramGroups.cluster({ default: 5, max: 15 }),
  warmupUs: integer({
    default: 500_000,
    min: 0,
    description: "arrivals before the measurement window, which opens no earlier than 300 ms after the first commit",
  }),
  windowUs: integer({
    default: 1_500_000,
    min: windowUsMin,
    max: 600_000_000,
    description: "measurement window, up to when arrivals stop",
  }),
  messageUs: number({ default: 100, min: 0, description: "server CPU per message handled (µs)" }),
  entryUs: number({ default: 20, min: 0, description: "server CPU per log entry carried (µs)" }),
  readFraction: number({ default: 0.5, min: 0, max: 1, description: "fraction of reads" }),
  processesMax: integer({ default: 1000, min: 1, max: 100_000, description: "most operations in flight" }),
};

/** The run options the shared parameters give, at one offered load. */
function loadOptions(p: ParamsOf<typeof loadParamSpecs>, offeredPerSecond: number): RaftLoadOptions {
  const { servers, warmupUs, windowUs, messageUs, entryUs, readFraction, processesMax } = p;
  return { offeredPerSecond, servers, warmupUs, windowUs, messageUs, entryUs, readFraction, processesMax };
}

/** The parameters of `raft-load`. */
export const raftLoadParams = defineParams({
  offeredPerSecond: number({
    default: 1000,
    min: 1,
    max: 1_000_000,
    description: "offered load: mean Poisson arrival rate (operations/s)",
  }),
  ...loadParamSpecs,
  linearizability: boolean({ default: false, description: "run the linearizability check (slow at high load)" }),
});

/**
 * Options of one load run: the experiment's parameters, each but `offeredPerSecond` defaulted as
 * there, and the keys written and read (default 20).
 */
export type RaftLoadOptions = Partial<ValuesOf<typeof raftLoadParams>> & { offeredPerSecond: number; keys?: number };

/** What the window watch reads during a run (see {@linkcode watchWindow}). */
interface WindowWatch {
  /** When a leader was first seen with an entry of its own term committed; undefined if not before arrivals stopped. */
  firstCommitUs: number | undefined;
  /** When the window opens: `warmupUs`, or `settleUs` after the first commit if that is later. */
  startUs: number | undefined;
  /** Each server's CPU time charged so far, at the window's start and at its end. */
  cpuStartUs: number[];
  cpuEndUs: number[];
}

/**
 * Schedules the readings of the measurement window on a run that has not started: looks every
 * {@linkcode commitProbeUs} for a leader that has committed an entry of its own term, opens the
 * window at `warmupUs` or {@linkcode settleUs} after that commit, the later, and reads each
 * server's CPU time where the window opens and where it ends (when arrivals stop). The readings
 * are kernel-side: they change nothing the servers do.
 */
function watchWindow(
  sim: Simulation,
  cluster: { servers: readonly number[]; instance(node: number): RaftServer | undefined },
  window: { warmupUs: number; arrivalsStopUs: number },
): WindowWatch {
  const watch: WindowWatch = { firstCommitUs: undefined, startUs: undefined, cpuStartUs: [], cpuEndUs: [] };
  const cpu = (s: Simulation) => cluster.servers.map((n) => s.nodeStats(n).cpuUsedUs);
  const committed = (n: number) => {
    const server = cluster.instance(n);
    return server !== undefined && server.role === "leader" && server.log.termAt(server.commit) === server.term;
  };
  const poll = (s: Simulation) => {
    if (!cluster.servers.some(committed)) {
      if (s.nowUs + commitProbeUs < window.arrivalsStopUs) s.at(s.nowUs + commitProbeUs, poll);
      return;
    }
    watch.firstCommitUs = s.nowUs;
    const startUs = Math.max(window.warmupUs, s.nowUs + settleUs);
    if (startUs > window.arrivalsStopUs - windowUsMin) return;
    watch.startUs = startUs;
    s.at(startUs, (at) => {
      watch.cpuStartUs = cpu(at);
    });
  };
  sim.at(0, poll);
  sim.at(window.arrivalsStopUs, (s) => {
    watch.cpuEndUs = cpu(s);
  });
  return watch;
}

/**
 * Runs one offered load and measures it.
 *
 * @param options the offered load, the cluster, the prices of work and the run's phases
 * @param seed the run's seed
 * @returns the cluster run and the point's figures
 */
export function runRaftLoad(options: RaftLoadOptions, seed: number): { run: RaftRunResult; point: RaftLoadPoint } {
  const { keys = 20, ...given } = options;
  const p = raftLoadParams.resolve(given);
  const { offeredPerSecond, warmupUs, windowUs } = p;
  const arrivalsStopUs = warmupUs + windowUs;
  let watch: WindowWatch | undefined;
  const run = runRaftCluster({
    servers: p.servers,
    clients: 0,
    durationUs: arrivalsStopUs + drainUs,
    bug: "none",
    schedule: { faults: [], recoveryUs: 0 },
    keys,
    // Puts keep the state bounded (snapshots stay small) and the values unique for the checker.
    writeF: "put",
    skipLinearizability: !p.linearizability,
    serverServiceTimeUs: raftServiceTime({ messageUs: p.messageUs, entryUs: p.entryUs }),
    openLoop: {
      offeredPerSecond,
      readFraction: p.readFraction,
      processesMax: p.processesMax,
      arrivalsStopUs,
    },
    probe: (sim, cluster) => {
      watch = watchWindow(sim, cluster, { warmupUs, arrivalsStopUs });
    },
  }, seed);
  const { firstCommitUs, startUs: fromUs, cpuStartUs, cpuEndUs } = watch!;
  if (fromUs === undefined) {
    throw new InputError(
      firstCommitUs === undefined
        ? `no leader committed before arrivals stopped at ${arrivalsStopUs} us: there is no window to measure`
        : `the measurement window would open at ${firstCommitUs + settleUs} us, ${settleUs} us after the first ` +
          `commit at ${firstCommitUs} us, leaving less than ${windowUsMin} us before arrivals stop at ` +
          `${arrivalsStopUs} us: lengthen warmupUs or windowUs`,
    );
  }
  const seconds = (arrivalsStopUs - fromUs) / 1e6;
  const shedTimesUs = run.sim.metrics.series("raft_open_loop_shed").timeUs;
  const operations = windowFigures(run.sim.history.events, { fromUs, toUs: arrivalsStopUs });
  const shed = Array.from(shedTimesUs).filter((t) => t >= fromUs && t < arrivalsStopUs).length;
  const cpu = cpuEndUs.map((usedUs, i) => Math.min(1, (usedUs - cpuStartUs[i]) / (arrivalsStopUs - fromUs)));
  return {
    run,
    point: {
      offeredPerSecond,
      arrivalsPerSecond: (operations.invoked + shed) / seconds,
      ...operations.figures,
      operationsShed: shed,
      cpuUtilisationMax: Math.max(...cpu),
      windowStartUs: fromUs,
    },
  };
}

/**
 * Throughput and latency of a measurement window (see the module doc): ok completions in
 * `[fromUs, toUs)` per second, and the latency of ok operations invoked in it.
 *
 * @param events the history's events
 * @param window the measurement window
 * @returns the operations invoked in the window and the point's throughput and latency figures
 */
export function windowFigures(
  events: readonly Op[],
  window: { fromUs: number; toUs: number },
): {
  invoked: number;
  figures: Pick<
    RaftLoadPoint,
    "throughputPerSecond" | "latencyUsP50" | "latencyUsP99" | "latencyUsMax" | "operationsOk" | "operationsInfo"
  >;
} {
  const { fromUs, toUs } = window;
  checkNumber("toUs", toUs, { min: fromUs + 1 });
  const invokedUs = new Map<number, number>();
  const latency = new Histogram();
  let invoked = 0;
  let completedOkInWindow = 0;
  let info = 0;
  for (const op of events) {
    if (op.process === "nemesis") continue;
    if (op.type === "invoke") {
      invokedUs.set(op.process, op.time);
      if (op.time >= fromUs && op.time < toUs) invoked++;
      continue;
    }
    const startUs = invokedUs.get(op.process)!;
    if (op.type === "ok" && op.time >= fromUs && op.time < toUs) completedOkInWindow++;
    if (startUs < fromUs || startUs >= toUs) continue;
    if (op.type === "ok") latency.record(op.time - startUs);
    else info++;
  }
  return {
    invoked,
    figures: {
      throughputPerSecond: completedOkInWindow / ((toUs - fromUs) / 1e6),
      latencyUsP50: latency.quantile(0.5),
      latencyUsP99: latency.quantile(0.99),
      latencyUsMax: latency.max,
      operationsOk: latency.count,
      operationsInfo: info,
    },
  };
}

/**
 * One offered load against Raft with CPU service times: sweep `offeredPerSecond` for the curve.
 * Its figures are the measurement window's (see the module doc), not the harness's standard
 * figures over the whole run, which would count the first election and the drain.
 */
export const raftLoadExperiment = defineCustomExperiment({
  name: "raft-load",
  description: "Raft under open-loop load with CPU service times: throughput and latency at one offered load",
  params: raftLoadParams,
  run(p, seed) {
    const { run, point } = runRaftLoad(
      p,
      seed,
    );
    const windows = windowedSeries(run.sim.history, { windowUs: 50_000, startUs: 0, endUs: run.sim.nowUs });
    return outputOf(run.run, { ...point, terms: run.figures.terms }, {
      tables: { windows: windows.map((row) => ({ ...row })) },
      charts: {
        timeline: throughputLatencyTimeline(windows, {
          title: `raft-load ${point.offeredPerSecond}/s, seed ${seed}: throughput and p99 latency`,
        }),
      },
    });
  },
});

/** Offered loads from `min` to `max` in `steps` geometric steps (rounded to whole operations/s). */
export function offeredLoads(range: { min: number; max: number; steps: number }): number[] {
  checkNumber("steps", range.steps, { min: 2, max: 100, integer: true });
  if (!(range.min >= 1 && range.max > range.min)) {
    throw new InputError(`offered loads need 1 <= min < max, got ${range.min} and ${range.max}`);
  }
  const ratio = (range.max / range.min) ** (1 / (range.steps - 1));
  const loads = Array.from({ length: range.steps }, (_, i) => Math.round(range.min * ratio ** i));
  return [...new Set(loads)];
}

/** The parameters of `raft-load-curve`. */
export const raftLoadCurveParams = defineParams({
  offeredPerSecondMin: number({ default: 250, min: 1, description: "lightest offered load (operations/s)" }),
  offeredPerSecondMax: number({ default: 8000, min: 2, description: "heaviest offered load (operations/s)" }),
  steps: integer({ default: 9, min: 2, max: 40, description: "offered loads, spaced geometrically" }),
  ...loadParamSpecs,
  throughputShortfallMax: number({
    default: 0.05,
    min: 0,
    max: 1,
    description: "knee: the largest fraction of the arrivals (the offer as drawn) that may go unserved",
  }),
  latencyFactorMax: number({
    default: 3,
    min: 1,
    description: "knee: the largest p99 as a multiple of the lightest load's p99",
  }),
});

/** The latency-throughput curve: `raft-load` at a range of offered loads, with the knee. */
export const raftLoadCurveExperiment = defineCustomExperiment({
  name: "raft-load-curve",
  description: "Raft latency against offered load with CPU service times: the curve and its knee",
  params: raftLoadCurveParams,
  run(p, seed) {
    const loads = offeredLoads({ min: p.offeredPerSecondMin, max: p.offeredPerSecondMax, steps: p.steps });
    const runs = loads.map((load) => runRaftLoad(loadOptions(p, load), seed));
    const points = runs.map((r) => r.point);
    const outputs = runs.map((r) => outputOf(r.run.run, { ...r.point }));
    const knee = loadKnee(points, {
      throughputShortfallMax: p.throughputShortfallMax,
      latencyFactorMax: p.latencyFactorMax,
    });
    return {
      figures: kneeFigures(knee),
      checks: combinedChecks(outputs.map((output) => output.checks)),
      traceHash: outputs.map((output) => output.traceHash).join(","),
      events: outputs.reduce((sum, output) => sum + output.events, 0),
      tables: { curve: points.map((point, i) => ({ ...point, keepsUp: knee.keepsUp[i] })) },
      charts: {
        curve: loadCurve(points, {
          kneeOfferedPerSecond: knee.index === undefined ? undefined : knee.offeredPerSecond,
          offeredScale: "log",
          title: `Raft, seed ${seed}: latency and throughput against offered load (${
            knee.index === undefined ? "no knee: even the lightest load fell behind" : "dashed: the knee"
          })`,
        }),
      },
    };
  },
});

/**
 * One check per checker over several runs, in the first run's order: the first run where it
 * failed, else the first where it was unknown, else valid with the number of runs it held in.
 */
export function combinedChecks(runs: readonly (readonly CheckResult[])[]): CheckResult[] {
  const names = [...new Set(runs.flatMap((checks) => checks.map((check) => check.checker)))];
  return names.map((checker) => {
    const all = runs.flatMap((checks) => checks.filter((check) => check.checker === checker));
    const failed = all.find((check) => check.valid === false) ?? all.find((check) => check.valid !== true);
    return failed ?? { checker, valid: true, message: `held in each of ${all.length} runs` };
  });
}

/** The knee as figures of a results row (NaN parts become null). */
export function kneeFigures(knee: Knee): Record<string, number | null> {
  const orNull = (value: number) => (Number.isFinite(value) ? value : null);
  return {
    kneeOfferedPerSecond: orNull(knee.offeredPerSecond),
    kneeThroughputPerSecond: orNull(knee.throughputPerSecond),
    kneeLatencyUsP99: orNull(knee.latencyUsP99),
    baselineLatencyUsP99: orNull(knee.baselineLatencyUsP99),
    capacityPerSecond: knee.capacityPerSecond,
  };
}
