/**
 * Experiments: a system, a workload, a fault schedule, the measurements and the checks, bundled
 * with a typed parameter schema. A run is a pure function of (experiment, parameters, seed).
 *
 * @module
 */
import type { CheckResult } from "../check/mod.ts";
import type { CoverageReport, Schedule } from "../faults/mod.ts";
import type { History } from "../history/mod.ts";
import type { ParamSchema, ParamValues } from "../params.ts";
import type { VegaLiteSpec } from "../viz/mod.ts";

/** A figure of a run: one cell of its row in a results table. */
export type Figure = number | string | boolean | null;

/** What one run produces. */
export interface RunOutput {
  /** Figures of the run, one row of the results table (latency percentiles, availability...). */
  figures: Record<string, Figure>;
  /** Checker verdicts on the run's history and state. */
  checks: CheckResult[];
  history: History;
  /** The kernel's trace hash: the same seed and parameters give the same hash. */
  traceHash: string;
  events: number;
  /** Tidy tables for charts and notebooks, by name. */
  tables: Record<string, Record<string, Figure>[]>;
  schedule?: Schedule;
  coverage?: CoverageReport;
  /** Charts of the run, by file stem. */
  charts?: Record<string, VegaLiteSpec>;
}

/** An experiment users can run, sweep and compare. */
export interface Experiment {
  name: string;
  /** One line for `faultline list`. */
  description: string;
  params: ParamSchema;
  /** Runs once; must depend on nothing but `params` and `seed`. */
  run(params: ParamValues, seed: number): RunOutput;
}
