/**
 * What the leaderless store's nodes counted during a run, as figures: how often reads and writes
 * met concurrent versions (the conflict rate), and the traffic of each repair mechanism (read
 * repair, hinted handoff, anti-entropy).
 *
 * @example
 * ```ts
 * import { kvModesExperiment } from "./modes.ts";
 * const output = kvModesExperiment.run({ durationUs: 500_000, faults: "none" }, 1);
 * typeof output.figures.readConflictRate; // "number"
 * ```
 * @module
 */
import type { ClusterHandle, Figure, HarnessRun } from "../../../harness/mod.ts";
import { Histogram, operationLatencies, staleness } from "../../../metrics/mod.ts";

/** The sum of every value the nodes recorded under `name`. */
export function metricSum(run: HarnessRun<ClusterHandle>, name: string): number {
  let sum = 0;
  for (const value of run.sim.metrics.series(name).value) sum += value;
  return sum;
}

/**
 * Conflicts and repair traffic:
 * - `readConflictRate`: reads whose coordinator met more than one sibling in the replies it
 *   merged, over the reads coordinated; `writeConflictRate`: writes that left a sibling beside the
 *   new one (their client had not seen a concurrent write), over the writes coordinated.
 * - `readRepairs`: repair messages sent by reads; `hintsStored`, `hintsDelivered`: hinted handoff;
 *   `antiEntropyBytes`, `antiEntropyMessages`, `antiEntropyKeysExchanged`: anti-entropy.
 */
export function storeFigures(run: HarnessRun<ClusterHandle>): Record<string, Figure> {
  const sum = (name: string) => metricSum(run, name);
  const reads = sum("kv_reads_coordinated");
  const writes = sum("kv_writes_coordinated");
  return {
    readConflictRate: reads === 0 ? null : sum("kv_read_conflicts") / reads,
    writeConflictRate: writes === 0 ? null : sum("kv_write_conflicts") / writes,
    readRepairs: sum("kv_read_repairs"),
    hintsStored: sum("kv_hints_stored"),
    hintsDelivered: sum("kv_hints_delivered"),
    antiEntropyBytes: sum("kv_anti_entropy_bytes"),
    antiEntropyMessages: sum("kv_anti_entropy_messages"),
    antiEntropyKeysExchanged: sum("kv_anti_entropy_keys"),
  };
}

/** The latency percentiles of one kind of operation (ok ones), as a row of the `latency` table. */
export interface LatencyPercentileRow extends Record<string, Figure> {
  f: string;
  count: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

/**
 * What every mode is compared by, beyond the standard figures:
 * - the `latency` table: per kind of operation, the percentiles of its latency histogram, and the
 *   figures `getLatencyUsP999`, `putLatencyUsP999`;
 * - `availabilityDuringFaults` and `availabilityOutsideFaults`: ok over completed operations
 *   invoked while a fault (a partition, a crash...) was active, and while none was;
 * - with `staleness` (reads that name one write): `versionsBehindMean` and `versionsBehindMax`
 *   (acknowledged writes the read missed), and `stalenessUsP50` and `stalenessUsMax` (how long
 *   the value read had been superseded), over the stale reads.
 */
export function modeFigures(
  run: HarnessRun<ClusterHandle>,
  options: { staleness: boolean },
): { figures: Record<string, Figure>; latency: LatencyPercentileRow[] } {
  const events = run.sim.history.events;
  const rows = operationLatencies(events);
  const histograms = new Map<string, Histogram>();
  for (const row of rows) {
    if (row.type !== "ok") continue;
    if (!histograms.has(row.f)) histograms.set(row.f, new Histogram());
    histograms.get(row.f)!.record(row.latencyUs);
  }
  const latency = [...histograms.keys()].sort().map((f): LatencyPercentileRow => {
    const h = histograms.get(f)!;
    const q = (x: number) => h.quantile(x);
    return { f, count: h.count, p50Us: q(0.5), p90Us: q(0.9), p99Us: q(0.99), p999Us: q(0.999), maxUs: q(1) };
  });
  const figures: Record<string, Figure> = {};
  for (const row of latency) figures[`${row.f}LatencyUsP999`] = row.p999Us;
  const windows = run.coverage.faults
    .filter((f) => f.skipped === undefined)
    .map((f) => [f.startUs, f.endUs ?? run.endUs] as const);
  const during = (us: number) => windows.some(([start, end]) => us >= start && us < end);
  const counts = { during: [0, 0], outside: [0, 0] };
  for (const row of rows) {
    const c = during(row.invokeUs) ? counts.during : counts.outside;
    c[1]++;
    if (row.type === "ok") c[0]++;
  }
  figures.availabilityDuringFaults = counts.during[1] === 0 ? null : counts.during[0] / counts.during[1];
  figures.availabilityOutsideFaults = counts.outside[1] === 0 ? null : counts.outside[0] / counts.outside[1];
  if (options.staleness) Object.assign(figures, stalenessDepth(events));
  return { figures, latency };
}

function stalenessDepth(events: HarnessRun<ClusterHandle>["sim"]["history"]["events"]): Record<string, Figure> {
  const stale = staleness(events, { initial: "" }).filter((row) => !row.fresh && Number.isFinite(row.stalenessUs));
  if (stale.length === 0) return { versionsBehindMean: 0, versionsBehindMax: 0, stalenessUsP50: 0, stalenessUsMax: 0 };
  const h = new Histogram();
  for (const row of stale) h.record(row.stalenessUs);
  return {
    versionsBehindMean: stale.reduce((n, row) => n + row.versionsBehind, 0) / stale.length,
    versionsBehindMax: Math.max(...stale.map((row) => row.versionsBehind)),
    stalenessUsP50: h.quantile(0.5),
    stalenessUsMax: h.quantile(1),
  };
}
