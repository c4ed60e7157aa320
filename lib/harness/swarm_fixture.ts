/**
 * Explicit draws and fixtures. A swarm experiment draws its configuration from the seed; here the
 * draw becomes an input of its own, so a run can be given a draw that no seed drew (a simpler one,
 * while shrinking) and kept as a fixture: plain JSON `{experiment, seed, params, draw}` that
 * reproduces its run to the trace hash. A fixture may also record what its run showed when it was
 * written (`expected`), which regression tests compare against.
 *
 * @example
 * ```ts
 * import { defineSwarmExperiment } from "./swarm_fixture.ts";
 * import { defineParams } from "./params.ts";
 * const experiment = defineSwarmExperiment({
 *   name: "toy-swarm",
 *   description: "figures from the draw alone",
 *   params: defineParams({}),
 *   space: { packages: { a: { choices: [] } }, meanIntervalUs: [1_000, 2_000], knobs: { n: [1, 2] } },
 *   bugs: {},
 *   run: (_p, _seed, draw) => ({ figures: { n: draw.knobs.n as number } }),
 * });
 * experiment.swarm!.run({}, 1, { packages: ["a"], meanIntervalUs: 1_500, knobs: { n: 2 } }).figures.n; // 2
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import type { TraceEvent } from "../base/mod.ts";
import type { Validity } from "../check/mod.ts";
import type { ParamSpec, ParamValues } from "../params.ts";
import type { Simulation } from "../sim/mod.ts";
import { type CustomOutput, defineCustomExperiment, type Experiment, type RunOutput } from "./experiment.ts";
import type { DefinedParams, ParamsOf } from "./params.ts";
import { drawSwarm, type KnobValue, type SwarmDraw, type SwarmSpace } from "./swarm.ts";

/** What a run given its draw may be asked for beyond its output. */
export interface SwarmRunOptions {
  /** Keep the kernel's trace (every send, delivery, crash...); off by default, as it costs memory. */
  trace?: boolean;
}

/** A traced run's trace, with the names of its nodes by id. */
export interface SwarmTrace {
  events: readonly TraceEvent[];
  nodeNames: readonly string[];
  /** Whether events past the trace's bound were dropped. */
  truncated: boolean;
}

/** A swarm run's output: the experiment's, plus the trace when asked. */
export type SwarmRunOutput = RunOutput & { trace?: SwarmTrace };

/** The simulation options of a swarm run: the kernel's trace on when asked, bounded by `eventsMax`. */
export function swarmSimulation(options: SwarmRunOptions, eventsMax: number) {
  // Tracing records events beside the run and changes nothing in it: the trace hash is the same.
  return options.trace ? { trace: true, traceEventsMax: eventsMax } : undefined;
}

/** A swarm run's output with its simulation's trace when `options` asked for it. */
export function withTrace(output: RunOutput, sim: Simulation, options: SwarmRunOptions): SwarmRunOutput {
  if (!options.trace) return output;
  const nodeNames = Array.from({ length: sim.nodeCount }, (_, node) => sim.nodeName(node));
  return { ...output, trace: { events: sim.trace.events, nodeNames, truncated: sim.trace.truncated } };
}

/** How a swarm experiment runs a draw it is given. */
export interface SwarmRunner {
  space: SwarmSpace;
  /** The planted bugs of the system by name, each with its documentation. */
  bugs: Readonly<Record<string, string>>;
  /** Runs `draw` (refused when the space could not have drawn it) with resolved parameters. */
  run(params: ParamValues, seed: number, draw: SwarmDraw, options?: SwarmRunOptions): SwarmRunOutput;
}

/**
 * A swarm experiment: `run` takes the draw, and the experiment's ordinary run (by seed) draws it
 * with {@linkcode drawSwarm}, so a run by seed and the run of that seed's draw are the same run.
 */
export function defineSwarmExperiment<const S extends Record<string, ParamSpec>>(declaration: {
  name: string;
  description: string;
  params: DefinedParams<S>;
  space: SwarmSpace;
  bugs: Readonly<Record<string, string>>;
  run(
    params: ParamsOf<S>,
    seed: number,
    draw: SwarmDraw,
    options: SwarmRunOptions,
  ): CustomOutput & { trace?: SwarmTrace };
}): Experiment {
  const custom = defineCustomExperiment({
    name: declaration.name,
    description: declaration.description,
    params: declaration.params,
    run: (params, seed) => declaration.run(params, seed, drawSwarm(declaration.space, seed), {}),
  });
  return {
    ...custom,
    swarm: {
      space: declaration.space,
      bugs: declaration.bugs,
      run(given, seed, draw, options = {}) {
        checkDraw(declaration.space, draw, "draw");
        const params = declaration.params.resolve(given);
        const { trace, ...output } = declaration.run(params, seed, draw, options);
        return { ...completeOutput(output), trace };
      },
    },
  };
}

/** A custom output with the defaults an experiment's run fills in; it always has a trace hash here. */
function completeOutput(output: CustomOutput): RunOutput {
  if (output.traceHash === undefined || output.history === undefined) {
    throw new InputError("a swarm experiment's run must be one simulation (a trace hash and a history)");
  }
  return { checks: [], events: 0, tables: {}, ...output, history: output.history, traceHash: output.traceHash };
}

/**
 * Refuses a draw the space could not have made: an unknown, repeated or missing package, a mean
 * interval outside the space's range, a knob missing, unknown or holding a value it does not list.
 */
export function checkDraw(space: SwarmSpace, draw: unknown, where: string): asserts draw is SwarmDraw {
  if (typeof draw !== "object" || draw === null || Array.isArray(draw)) {
    throw new InputError(`${where} must be an object {packages, meanIntervalUs, knobs}`);
  }
  const { packages, meanIntervalUs, knobs } = draw as Record<string, unknown>;
  const names = Object.keys(space.packages);
  if (!Array.isArray(packages) || packages.length === 0) {
    throw new InputError(`${where}.packages must list at least one of: ${names.join(", ")}`);
  }
  for (const name of packages) {
    if (typeof name !== "string" || !names.includes(name)) {
      throw new InputError(`${where}.packages: unknown package ${JSON.stringify(name)}; allowed: ${names.join(", ")}`);
    }
  }
  if (new Set(packages).size !== packages.length) throw new InputError(`${where}.packages lists a package twice`);
  const [low, high] = space.meanIntervalUs;
  if (!Number.isSafeInteger(meanIntervalUs) || (meanIntervalUs as number) < low || (meanIntervalUs as number) > high) {
    throw new InputError(`${where}.meanIntervalUs must be an integer from ${low} to ${high}, got ${meanIntervalUs}`);
  }
  if (typeof knobs !== "object" || knobs === null || Array.isArray(knobs)) {
    throw new InputError(`${where}.knobs must be an object of knob values`);
  }
  const given = knobs as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!(name in space.knobs)) {
      throw new InputError(`${where}.knobs: unknown knob ${name}; allowed: ${Object.keys(space.knobs).join(", ")}`);
    }
  }
  for (const [name, values] of Object.entries(space.knobs)) {
    if (!values.includes(given[name] as KnobValue)) {
      throw new InputError(
        `${where}.knobs.${name} must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}, got ${
          JSON.stringify(given[name])
        }`,
      );
    }
  }
}

/** A swarm run kept as plain JSON. */
export interface SwarmFixture {
  /** The swarm experiment, e.g. `raft-swarm`. */
  experiment: string;
  seed: number;
  /** The experiment's parameters (missing ones take their defaults). */
  params: ParamValues;
  draw: SwarmDraw;
  /** What the run showed when the fixture was written. */
  expected?: {
    /** The checks that failed, by name; empty for a run that passed. */
    failedChecks: string[];
    /** The run's trace hash (it changes when the code does, so tests do not compare it). */
    traceHash: string;
  };
}

/**
 * A fixture read from JSON, its shape checked (the experiment and its space are checked where it
 * is run); `where` names the source in errors.
 */
export function parseFixture(value: unknown, where: string): SwarmFixture {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InputError(`${where}: a fixture is a JSON object {experiment, seed, params, draw}`);
  }
  const record = value as Record<string, unknown>;
  const known = ["experiment", "seed", "params", "draw", "expected"];
  const unknown = Object.keys(record).find((k) => !known.includes(k));
  if (unknown !== undefined) {
    throw new InputError(`${where}: unknown field ${JSON.stringify(unknown)}; allowed: ${known.join(", ")}`);
  }
  if (typeof record.experiment !== "string") throw new InputError(`${where}: experiment must be a name`);
  if (!Number.isSafeInteger(record.seed) || (record.seed as number) < 0) {
    throw new InputError(`${where}: seed must be a non-negative integer, got ${JSON.stringify(record.seed)}`);
  }
  const params = record.params ?? {};
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new InputError(`${where}: params must be an object of parameter values`);
  }
  const expected = record.expected as SwarmFixture["expected"];
  if (
    expected !== undefined &&
    (!Array.isArray(expected?.failedChecks) || !expected.failedChecks.every((c) => typeof c === "string") ||
      typeof expected.traceHash !== "string")
  ) {
    throw new InputError(`${where}: expected must be {failedChecks: [names], traceHash}`);
  }
  if (typeof record.draw !== "object" || record.draw === null) throw new InputError(`${where}: draw must be an object`);
  return {
    experiment: record.experiment,
    seed: record.seed as number,
    params: params as ParamValues,
    draw: record.draw as SwarmDraw,
    ...(expected === undefined ? {} : { expected }),
  };
}

/** The swarm runner of `experiment`, or a refusal naming it. */
export function swarmRunnerOf(experiment: Experiment): SwarmRunner {
  if (experiment.swarm === undefined) {
    throw new InputError(
      `${experiment.name} is not a swarm experiment (it draws no configuration from its seed); fixtures and ` +
        `shrinking take a swarm experiment such as raft-swarm`,
    );
  }
  return experiment.swarm;
}

/** Runs `fixture` on `experiment` (the one it names). */
export function runFixture(
  experiment: Experiment,
  fixture: SwarmFixture,
  options: SwarmRunOptions = {},
): SwarmRunOutput {
  if (experiment.name !== fixture.experiment) {
    throw new InputError(`the fixture is of ${fixture.experiment}, not ${experiment.name}`);
  }
  return swarmRunnerOf(experiment).run(fixture.params, fixture.seed, fixture.draw, options);
}

/** The names of the checks an output failed (valid false; an unknown verdict is not a failure). */
export function failedChecks(output: { checks: readonly { checker: string; valid: Validity }[] }): string[] {
  return output.checks.filter((c) => c.valid === false).map((c) => c.checker);
}

/** The fixture with what its run showed recorded as `expected`. */
export function withExpected(fixture: SwarmFixture, output: RunOutput): SwarmFixture {
  return { ...fixture, expected: { failedChecks: failedChecks(output), traceHash: output.traceHash } };
}

/** What a regression fixture asserts, and whether it held. */
export interface RegressionVerdict {
  /** `planted`: found with a planted bug on; `real`: found with every bug off. */
  kind: "planted" | "real";
  /** True when the fixture still says what it should (see {@linkcode checkRegression}). */
  ok: boolean;
  /** What was found, one sentence per run. */
  findings: string[];
}

/**
 * Judges a regression fixture. Found with a planted bug on (`params.bug` other than `none`): the
 * run with the bug on must still fail every check in `expected.failedChecks` (the repro still
 * detects the bug) and the run with the bug off must pass every check. Found with bugs off (a real
 * bug): the run must pass every check, so the fixture fails until the bug is fixed.
 */
export function checkRegression(experiment: Experiment, fixture: SwarmFixture): RegressionVerdict {
  const bug = fixture.params.bug ?? "none";
  const findings: string[] = [];
  if (bug === "none") {
    const failed = failedChecks(runFixture(experiment, fixture));
    findings.push(failed.length === 0 ? "passes every check" : `fails ${failed.join(", ")}`);
    return { kind: "real", ok: failed.length === 0, findings };
  }
  const expected = fixture.expected?.failedChecks ?? [];
  if (expected.length === 0) throw new InputError("a fixture found with a planted bug must name the checks it failed");
  const on = failedChecks(runFixture(experiment, fixture));
  const missed = expected.filter((c) => !on.includes(c));
  findings.push(
    missed.length === 0
      ? `with ${bug} on it still fails ${expected.join(", ")}`
      : `with ${bug} on it no longer fails ${missed.join(", ")}`,
  );
  const off = failedChecks(runFixture(experiment, { ...fixture, params: { ...fixture.params, bug: "none" } }));
  findings.push(off.length === 0 ? "with bugs off it passes every check" : `with bugs off it fails ${off.join(", ")}`);
  return { kind: "planted", ok: missed.length === 0 && off.length === 0, findings };
}
