/**
 * A mode × replication-factor sweep of `kv-modes`, as tidy rows for charts: per leaderless mode and
 * N (quorums by majority in `quorum` mode), availability overall and during faults, latency
 * percentiles and staleness.
 *
 * @example
 * ```ts
 * import { modeReplicationSweep } from "./mode_sweep.ts";
 * const rows = modeReplicationSweep({ modes: ["one"], ns: [1], durationUs: 500_000, faults: "none" });
 * rows.length; // 1
 * ```
 * @module
 */
import { kvModesExperiment } from "./modes.ts";

/** One cell of the sweep. */
export interface ModeReplicationRow extends Record<string, string | number | null> {
  mode: string;
  n: number;
  seed: number;
  availability: number | null;
  availabilityDuringFaults: number | null;
  getLatencyUsP50: number | null;
  getLatencyUsP99: number | null;
  putLatencyUsP50: number | null;
  putLatencyUsP99: number | null;
  staleReadFraction: number | null;
  versionsBehindMean: number | null;
  stalenessUsP50: number | null;
}

/** Options of {@linkcode modeReplicationSweep}. */
export interface ModeReplicationSweepOptions {
  modes: readonly ("quorum" | "one" | "session")[];
  ns: readonly number[];
  seeds?: readonly number[];
  durationUs: number;
  faults?: "partitions" | "crashes" | "mixed" | "none";
  keys?: number;
}

/** Runs every mode × N × seed of `kv-modes` (five servers) and returns one row per run. */
export function modeReplicationSweep(options: ModeReplicationSweepOptions): ModeReplicationRow[] {
  const rows: ModeReplicationRow[] = [];
  const num = (value: unknown) => (typeof value === "number" ? value : null);
  for (const mode of options.modes) {
    for (const n of options.ns) {
      const majority = Math.floor(n / 2) + 1;
      for (const seed of options.seeds ?? [1]) {
        const params = {
          mode,
          n,
          r: majority,
          w: majority,
          durationUs: options.durationUs,
          faults: options.faults ?? "partitions",
          keys: options.keys ?? 8,
        };
        const f = kvModesExperiment.run(params as never, seed).figures;
        rows.push({
          mode,
          n,
          seed,
          availability: num(f.availability),
          availabilityDuringFaults: num(f.availabilityDuringFaults),
          getLatencyUsP50: num(f.getLatencyUsP50),
          getLatencyUsP99: num(f.getLatencyUsP99),
          putLatencyUsP50: num(f.putLatencyUsP50),
          putLatencyUsP99: num(f.putLatencyUsP99),
          staleReadFraction: num(f.staleReadFraction),
          versionsBehindMean: num(f.versionsBehindMean),
          stalenessUsP50: num(f.stalenessUsP50),
        });
      }
    }
  }
  return rows;
}
