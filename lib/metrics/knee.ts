/**
 * The knee of a latency-throughput curve: the highest offered load a system still keeps up with.
 *
 * A point of the curve is one run at a fixed offered load (open-loop arrivals): what was offered,
 * what actually arrived, what was served (ok completions per second), and the p99 latency of what
 * was served. A point keeps up when the throughput is within `throughputShortfallMax` (default 5%)
 * of the arrivals and its p99 latency is within `latencyFactorMax` times the p99 of the lightest
 * load (default 3×, the unloaded latency). The knee is the last point of the run of points, from
 * the lightest load up, that all keep up: past it the system saturates, and queueing latency climbs
 * (as it does in any queue as its utilisation nears 1). Capacity is the highest throughput any
 * point achieved.
 *
 * Throughput is judged against the arrivals the run drew (`arrivalsPerSecond`: every arrival in
 * the measurement window, served, given up on or shed), not against the nominal rate, when the
 * point gives them. A Poisson process at 250/s draws 375 ± 19 arrivals in 1.5 s, so a light load
 * can arrive 10% short of its nominal rate and be served in full; judged against the nominal rate
 * it would "fall behind" with nothing queued, and the curve would have no knee at all. Arrivals
 * the system shed or gave up on count among the arrivals, so an overloaded point falls behind as
 * before. A point without `arrivalsPerSecond` is judged against `offeredPerSecond`.
 *
 * @example
 * ```ts
 * import { loadKnee } from "./knee.ts";
 * const knee = loadKnee([
 *   // 100/s offered, 91/s drawn, all served: it keeps up.
 *   { offeredPerSecond: 100, arrivalsPerSecond: 91, throughputPerSecond: 91, latencyUsP99: 2_000 },
 *   { offeredPerSecond: 200, arrivalsPerSecond: 203, throughputPerSecond: 199, latencyUsP99: 3_000 },
 *   { offeredPerSecond: 400, arrivalsPerSecond: 398, throughputPerSecond: 260, latencyUsP99: 90_000 },
 * ]);
 * knee.offeredPerSecond; // 200
 * knee.capacityPerSecond; // 260
 * ```
 * @module
 */
import { checkNumber, InputError } from "../assert.ts";

/** One point of a latency-throughput curve. */
export interface LoadPoint {
  /** The offered load (arrival rate), operations per second. */
  offeredPerSecond: number;
  /**
   * The arrivals actually drawn in the measurement window per second (served, given up on or
   * shed): what throughput is judged against. Default `offeredPerSecond`.
   */
  arrivalsPerSecond?: number;
  /** Ok completions per second. */
  throughputPerSecond: number;
  /** p99 latency of the ok operations (NaN when none completed: such a point does not keep up). */
  latencyUsP99: number;
}

/** What counts as keeping up. */
export interface KneeOptions {
  /** The largest fraction of the arrivals (the offer as drawn) that may go unserved; default 0.05. */
  throughputShortfallMax?: number;
  /** The largest p99 latency, as a multiple of the lightest load's p99; default 3. */
  latencyFactorMax?: number;
}

/** The knee of a curve. */
export interface Knee {
  /** Index (in order of offered load) of the knee point; undefined when even the lightest load did not keep up. */
  index: number | undefined;
  /** Offered load at the knee; NaN without a knee. */
  offeredPerSecond: number;
  /** Throughput at the knee; NaN without a knee. */
  throughputPerSecond: number;
  /** p99 latency at the knee; NaN without a knee. */
  latencyUsP99: number;
  /** p99 latency at the lightest load: the unloaded latency the factor is applied to. */
  baselineLatencyUsP99: number;
  /** The highest throughput of any point: what the system can serve. */
  capacityPerSecond: number;
  /** Per point in order of offered load: whether it keeps up. */
  keepsUp: boolean[];
}

/**
 * The knee of the curve through `points` (see the module doc).
 *
 * @param points one per offered load, in any order (average over seeds first: a repeated offered
 *   load is refused)
 * @param options the throughput shortfall and the latency factor that still count as keeping up
 * @returns the knee point, the baseline latency, the capacity and which points keep up
 */
export function loadKnee(points: readonly LoadPoint[], options: KneeOptions = {}): Knee {
  const shortfallMax = checkNumber("throughputShortfallMax", options.throughputShortfallMax ?? 0.05, {
    min: 0,
    max: 1,
  });
  const factorMax = checkNumber("latencyFactorMax", options.latencyFactorMax ?? 3, { min: 1 });
  if (points.length === 0) throw new InputError("loadKnee needs at least one point");
  const sorted = [...points].sort((a, b) => a.offeredPerSecond - b.offeredPerSecond);
  sorted.forEach((point, i) => {
    checkNumber(`point ${i} offeredPerSecond`, point.offeredPerSecond, { min: 0 });
    checkNumber(`point ${i} throughputPerSecond`, point.throughputPerSecond, { min: 0 });
    if (point.arrivalsPerSecond !== undefined) {
      checkNumber(`point ${i} arrivalsPerSecond`, point.arrivalsPerSecond, { min: 0 });
    }
    if (i > 0 && point.offeredPerSecond === sorted[i - 1].offeredPerSecond) {
      throw new InputError(`offered load ${point.offeredPerSecond}/s appears twice: average its seeds first`);
    }
  });
  const baselineLatencyUsP99 = sorted[0].latencyUsP99;
  const keepsUp = sorted.map((point) =>
    point.throughputPerSecond >= (1 - shortfallMax) * (point.arrivalsPerSecond ?? point.offeredPerSecond) &&
    point.latencyUsP99 <= factorMax * baselineLatencyUsP99
  );
  const firstBehind = keepsUp.indexOf(false);
  const index = firstBehind === 0 ? undefined : (firstBehind < 0 ? sorted.length : firstBehind) - 1;
  const knee = index === undefined ? undefined : sorted[index];
  return {
    index,
    offeredPerSecond: knee?.offeredPerSecond ?? NaN,
    throughputPerSecond: knee?.throughputPerSecond ?? NaN,
    latencyUsP99: knee?.latencyUsP99 ?? NaN,
    baselineLatencyUsP99,
    capacityPerSecond: Math.max(...sorted.map((point) => point.throughputPerSecond)),
    keepsUp,
  };
}
