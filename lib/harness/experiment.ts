/**
 * Experiments: a system, a workload, a fault schedule, phases, the figures and the checks, with
 * typed parameters. A run is a pure function of (experiment, parameters, seed). Most experiments
 * are a declaration for {@linkcode defineExperiment}; one that is not a single run of a system
 * (a set of trials, a sweep of its own) uses {@linkcode defineCustomExperiment} and still gets
 * typed parameters.
 *
 * @example
 * ```ts
 * import { defineCustomExperiment } from "./experiment.ts";
 * import { defineParams, integer } from "./params.ts";
 * const squares = defineCustomExperiment({
 *   name: "squares",
 *   description: "squares a number",
 *   params: defineParams({ n: integer({ default: 3, min: 0, max: 100, description: "the number" }) }),
 *   run: (p) => ({ figures: { square: p.n * p.n } }),
 * });
 * squares.run({ n: 4 }, 1).figures.square; // 16
 * ```
 * @module
 */
import { assert } from "../assert.ts";
import { digestText } from "../base/mod.ts";
import type { CheckResult } from "../check/mod.ts";
import type { CoverageReport, Schedule } from "../faults/mod.ts";
import { History } from "../history/mod.ts";
import type { ParamSchema, ParamSpec, ParamValues } from "../params.ts";
import { RunHash, type Simulation, type SimulationOptions } from "../sim/mod.ts";
import type { VegaLiteSpec } from "../viz/mod.ts";
import { type FigureOptions, standardFigures } from "./figures.ts";
import type { DefinedParams, ParamsOf } from "./params.ts";
import { type HarnessRun, type Phases, runSystem } from "./run.ts";
import type { ClusterHandle, SystemDefinition } from "./system.ts";
import type { Workload } from "./workload.ts";
import type { SwarmRunner } from "./swarm_fixture.ts";

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
  /**
   * Throws an InputError when `params` cannot run together, without running: a sweep asks this of
   * every point before its first cell, so a bad combination is refused, not recorded as a failure.
   */
  validate?(params: ParamValues): void;
  /**
   * For a swarm experiment (one that draws its configuration from the seed): the space it draws
   * from and a run given its draw, so a draw can be kept, edited and shrunk (see swarm_fixture.ts).
   */
  swarm?: SwarmRunner;
}

/** What an experiment adds to the standard output. */
export interface Extras {
  figures?: Record<string, Figure>;
  checks?: CheckResult[];
  tables?: Record<string, Record<string, Figure>[]>;
  charts?: Record<string, VegaLiteSpec>;
}

/** An experiment as a declaration: every part is a function of the typed parameters. */
export interface ExperimentDeclaration<S extends Record<string, ParamSpec>, M, O, C extends ClusterHandle> {
  name: string;
  description: string;
  params: DefinedParams<S>;
  system: SystemDefinition<M, O, C>;
  /** The system's build options. */
  options(params: ParamsOf<S>): O;
  workload(params: ParamsOf<S>): Workload;
  schedule(params: ParamsOf<S>): Schedule;
  phases(params: ParamsOf<S>): Phases;
  /** Kernel options beyond the seed; default none. */
  simulation?(params: ParamsOf<S>): Omit<SimulationOptions, "seed">;
  /** Which optional standard figures to compute; default the basic ones. */
  figures?(params: ParamsOf<S>): FigureOptions;
  /** Kernel-side probes scheduled before the run (they must change nothing the system does). */
  probe?(params: ParamsOf<S>): ((sim: Simulation, cluster: C, run: { endUs: number }) => void) | undefined;
  /** Figures, checks, tables and charts of this experiment beyond the standard ones. */
  extras?(run: HarnessRun<C>, params: ParamsOf<S>): Extras;
}

/** An experiment that runs `declaration.system` once per seed on the harness. */
export function defineExperiment<const S extends Record<string, ParamSpec>, M, O, C extends ClusterHandle>(
  declaration: ExperimentDeclaration<S, M, O, C>,
): Experiment {
  return {
    name: declaration.name,
    description: declaration.description,
    params: declaration.params.schema,
    run(given, seed) {
      const params = declaration.params.resolve(given);
      const run = runDeclared(declaration, params, seed);
      return outputOf(run, standardFigures(run, declaration.figures?.(params)), declaration.extras?.(run, params));
    },
    validate(given) {
      // The declaration's parts are pure functions of the parameters: building them runs nothing
      // but meets the checks that would refuse the combination at the start of a run.
      const params = declaration.params.resolve(given);
      declaration.options(params);
      declaration.workload(params);
      declaration.schedule(params);
      declaration.phases(params);
    },
  };
}

/** The parts of a declaration that make a run. */
export type RunParts<S extends Record<string, ParamSpec>, M, O, C extends ClusterHandle> = Pick<
  ExperimentDeclaration<S, M, O, C>,
  "system" | "options" | "workload" | "schedule" | "phases" | "simulation" | "probe"
>;

/** Runs a declaration's system once with resolved `params`: for code that wants the run itself. */
export function runDeclared<S extends Record<string, ParamSpec>, M, O, C extends ClusterHandle>(
  parts: RunParts<S, M, O, C>,
  params: ParamsOf<S>,
  seed: number,
): HarnessRun<C> {
  return runSystem({
    system: parts.system,
    options: parts.options(params),
    workload: parts.workload(params),
    schedule: parts.schedule(params),
    phases: parts.phases(params),
    seed,
    simulation: parts.simulation?.(params),
    probe: parts.probe?.(params),
  });
}

/** The lab's output of a harness run: the one place a run's hash, events and verdicts are gathered. */
export function outputOf<C extends ClusterHandle>(
  run: HarnessRun<C>,
  figures: Record<string, Figure>,
  extras: Extras = {},
): RunOutput {
  return {
    figures: { ...figures, ...extras.figures },
    checks: [...run.checks, ...(extras.checks ?? [])],
    history: run.sim.history,
    traceHash: run.sim.hash(),
    events: run.sim.eventsProcessed,
    tables: extras.tables ?? {},
    schedule: run.schedule,
    coverage: run.coverage,
    charts: extras.charts,
  };
}

/** What a custom experiment returns: its output, with empty defaults for what it has none of. */
export type CustomOutput = Partial<RunOutput> & { figures: Record<string, Figure> };

/** An experiment that is not one run of a system, with typed parameters. */
export function defineCustomExperiment<const S extends Record<string, ParamSpec>>(declaration: {
  name: string;
  description: string;
  params: DefinedParams<S>;
  run(params: ParamsOf<S>, seed: number): CustomOutput;
}): Experiment {
  return {
    name: declaration.name,
    description: declaration.description,
    params: declaration.params.schema,
    run(given, seed) {
      const output = declaration.run(declaration.params.resolve(given), seed);
      // Replay compares trace hashes: one that runs no single simulation and gives none is
      // checked on its result instead (figures and tables), never on an empty string.
      const traceHash = output.traceHash || resultHash(output.figures, output.tables ?? {});
      return { checks: [], history: new History(), events: 0, tables: {}, ...output, traceHash };
    },
    validate(given) {
      declaration.params.resolve(given);
    },
  };
}

/**
 * One hash standing for several runs' trace hashes, in order, and their events: an experiment made
 * of many simulations (trials, a load curve) carries it, so a replay compares every one of them.
 *
 * @example
 * ```ts
 * import { TrialHash } from "./experiment.ts";
 * const hash = new TrialHash();
 * hash.add({ traceHash: "0123456789abcdef", events: 10 });
 * hash.hex(); // 16 hex digits
 * ```
 */
export class TrialHash {
  readonly #hash = new RunHash();
  events = 0;

  add(trial: { traceHash: string; events: number }): void {
    assert(/^[0-9a-f]{16}$/.test(trial.traceHash), `a trial hash of 16 hex digits, not ${trial.traceHash}`);
    this.#hash.add(parseInt(trial.traceHash.slice(0, 8), 16) | 0);
    this.#hash.add(parseInt(trial.traceHash.slice(8), 16) | 0);
    this.events += trial.events;
  }

  hex(): string {
    return this.#hash.hex();
  }
}

function resultHash(figures: Record<string, Figure>, tables: Record<string, Record<string, unknown>[]>): string {
  return digestText(JSON.stringify({ figures, tables }));
}
