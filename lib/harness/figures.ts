/**
 * The figures every run gets, whatever the system: operations and availability, throughput,
 * latency percentiles overall and per operation kind, time to recovery per fault (RTO), acknowledged
 * writes lost by the end (RPO, from the final reads), an SLO's verdict, read staleness where reads
 * can be stale, recovery after the heal, and fault coverage with the vacuity flag.
 *
 * @example
 * ```ts
 * import { standardFigures } from "./figures.ts";
 * typeof standardFigures; // "function": see lib/systems/register/experiments for a use
 * ```
 * @module
 */
import type { Op } from "../history/mod.ts";
import { evaluateSlo, Histogram, operationLatencies, recoveryTimes, staleness } from "../metrics/mod.ts";
import { lostAcknowledgedWrites } from "./checkers.ts";
import type { Figure } from "./experiment.ts";
import type { HarnessRun } from "./run.ts";
import type { ClusterHandle } from "./system.ts";

/** Which of the optional figures a run wants. */
export interface FigureOptions {
  /** An SLO sentence (`p99 < 50 ms in every 1 s window`): adds `sloMet` and `sloWindowsFailed`. */
  slo?: string;
  /** Reads may be stale: adds the fraction of stale reads and the staleness p99. */
  staleness?: boolean;
  /**
   * Writes accumulate (appends, journals), so the final reads show which acknowledged writes
   * survived: adds `writesLost` and `rpoUs`. Default false (overwritten puts would look lost).
   */
  recoveryPoint?: boolean;
  /** The window RTO judges service in; default 250 ms. */
  rtoWindowUs?: number;
  /** Per-kind latency figures for these functions; default every kind seen. */
  functions?: readonly string[];
}

/** Latency percentiles of the ok operations, overall and per function. */
export function latencyFigures(events: readonly Op[], functions?: readonly string[]): Record<string, Figure> {
  const all = new Histogram();
  const byF = new Map<string, Histogram>();
  for (const row of operationLatencies(events as Op[])) {
    if (row.type !== "ok") continue;
    all.record(row.latencyUs);
    if (functions !== undefined && !functions.includes(row.f)) continue;
    let histogram = byF.get(row.f);
    if (histogram === undefined) byF.set(row.f, histogram = new Histogram());
    histogram.record(row.latencyUs);
  }
  const figures: Record<string, Figure> = {
    latencyUsP50: quantile(all, 0.5),
    latencyUsP99: quantile(all, 0.99),
    latencyUsMax: quantile(all, 1),
  };
  for (const f of [...byF.keys()].sort()) {
    const histogram = byF.get(f)!;
    figures[`${f}LatencyUsP50`] = quantile(histogram, 0.5);
    figures[`${f}LatencyUsP99`] = quantile(histogram, 0.99);
  }
  return figures;
}

/** Every standard figure of `run` (see the module doc). */
export function standardFigures(run: HarnessRun<ClusterHandle>, options: FigureOptions = {}): Record<string, Figure> {
  const counts = run.sim.history.counts;
  const completed = counts.ok + counts.fail + counts.info;
  const figures: Record<string, Figure> = {
    operationsOk: counts.ok,
    operationsFail: counts.fail,
    operationsInfo: counts.info,
    availability: completed === 0 ? null : counts.ok / completed,
    throughputPerS: run.endUs === 0 ? null : counts.ok / (run.endUs / 1e6),
  };
  if (run.sim.history.retain === "all") {
    const events = run.sim.history.events;
    Object.assign(figures, latencyFigures(events, options.functions), recoveryFigures(run, events, options));
    if (options.slo !== undefined) {
      const slo = evaluateSlo(events, options.slo, { startUs: 0, endUs: run.endUs });
      figures.sloMet = slo.met;
      figures.sloWindowsFailed = slo.windowsFailed;
    }
    if (options.staleness) Object.assign(figures, stalenessFigures(events));
  }
  figures.recoveryUs = run.recoveredUs === undefined ? null : run.recoveredUs - run.healUs;
  // What only the system can tell (white-box), read once at the end.
  Object.assign(figures, run.cluster.figures?.());
  figures.invariantViolations = run.violations.length;
  figures.faultsTouched = run.coverage.faultsTouched;
  figures.vacuous = run.coverage.vacuous;
  return figures;
}

function recoveryFigures(
  run: HarnessRun<ClusterHandle>,
  events: readonly Op[],
  options: FigureOptions,
): Record<string, Figure> {
  const figures: Record<string, Figure> = {};
  const rto = recoveryTimes(events as Op[], { windowUs: options.rtoWindowUs ?? 250_000, endUs: run.endUs });
  if (rto.length > 0) {
    const restored = rto.filter((row) => row.rtoUs !== undefined).map((row) => row.rtoUs!);
    figures.rtoUsMax = restored.length === 0 ? null : Math.max(...restored);
    figures.faultsNotRestored = rto.length - restored.length;
  }
  if (run.finalValues !== undefined && options.recoveryPoint) {
    const point = lostAcknowledgedWrites(events, run.finalValues, run.elements, run.endUs);
    figures.writesLost = point.lostCount;
    figures.rpoUs = point.rpoUs;
  }
  return figures;
}

function stalenessFigures(events: readonly Op[]): Record<string, Figure> {
  const rows = staleness(events as Op[]).filter((row) => Number.isFinite(row.stalenessUs));
  const stale = rows.filter((row) => !row.fresh);
  const histogram = new Histogram();
  for (const row of stale) histogram.record(row.stalenessUs);
  return {
    staleReadFraction: rows.length === 0 ? null : stale.length / rows.length,
    stalenessUsP99: stale.length === 0 ? 0 : quantile(histogram, 0.99),
  };
}

function quantile(histogram: Histogram, q: number): number | null {
  return histogram.count === 0 ? null : histogram.quantile(q);
}
