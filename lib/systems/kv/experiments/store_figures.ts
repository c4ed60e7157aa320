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
