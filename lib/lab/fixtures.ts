/**
 * Swarm fixtures as files: read from a fixture file, a directory holding `fixture.json` (what
 * `shrink` and `rca` write), a run directory of a swarm experiment, or a sweep directory (a
 * campaign's batch) and one of its seeds; shrink results written as a directory Faultline owns;
 * and fixtures added to a system's regression folder, which its regression test runs.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import {
  checkRegression,
  drawSwarm,
  parseFixture,
  runFixture,
  type ShrinkResult,
  type SwarmFixture,
  swarmRunnerOf,
  withExpected,
} from "../harness/mod.ts";
import { resolveParams } from "../params.ts";
import { writeResultDir } from "./files.ts";
import { loadResults } from "./load.ts";
import { experimentNamed } from "./registry.ts";
import { escapeMarkdown, markdownCode } from "./report_html.ts";
import type { Experiment } from "./experiment.ts";

/** A fixture read from the user's input, and where it came from. */
export interface FixtureInput {
  fixture: SwarmFixture;
  experiment: Experiment;
  /** Where it came from, in words ("run directory results/...", "seed 7 of sweep ..."). */
  source: string;
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  return await Deno.stat(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  });
}

async function readFixtureFile(path: string): Promise<SwarmFixture> {
  let value: unknown;
  try {
    value = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof SyntaxError) throw new InputError(`${path} is not valid JSON`);
    throw error;
  }
  return parseFixture(value, path);
}

/**
 * The fixture `path` names: a fixture file, a directory with `fixture.json`, a run directory of a
 * swarm experiment (its seed's draw), or a sweep directory with `seed` (default: its first failing
 * seed). Stored results are verified before they are used; anything else is refused naming what
 * was expected.
 */
export async function loadFixtureInput(path: string, options: { seed?: number } = {}): Promise<FixtureInput> {
  const info = await statOrUndefined(path);
  if (info === undefined) throw new InputError(`${path} does not exist`);
  let fixture: SwarmFixture;
  let source: string;
  if (info.isFile) {
    fixture = await readFixtureFile(path);
    source = `fixture ${path}`;
  } else if (await statOrUndefined(`${path}/fixture.json`) !== undefined) {
    fixture = await readFixtureFile(`${path}/fixture.json`);
    source = `fixture ${path}/fixture.json`;
  } else {
    ({ fixture, source } = await fixtureOfResults(path, options.seed));
  }
  if (options.seed !== undefined && options.seed !== fixture.seed) {
    throw new InputError(`--seed ${options.seed} does not match the fixture's seed ${fixture.seed} in ${path}`);
  }
  const experiment = experimentNamed(fixture.experiment);
  swarmRunnerOf(experiment);
  // Parameters are resolved as a run resolves them, so a bad one is named before anything runs.
  fixture = { ...fixture, params: resolveParams(experiment.params, fixture.params) };
  return { fixture, experiment, source };
}

async function fixtureOfResults(
  dir: string,
  seed: number | undefined,
): Promise<{ fixture: SwarmFixture; source: string }> {
  const results = await loadResults(dir).catch((error) => {
    if (error instanceof InputError && /no manifest.json/.test(error.message)) {
      throw new InputError(
        `${dir} is neither a fixture (file, or a directory with fixture.json) nor a run or sweep directory`,
      );
    }
    throw error;
  });
  const experiment = experimentNamed(results.experiment);
  const space = swarmRunnerOf(experiment).space;
  let row: Record<string, unknown> | undefined;
  if (results.kind === "run") row = results.rows[0];
  else {
    const failing = results.rows.filter((r) => String(r.verdict) === "false").map((r) => Number(r.seed));
    const wanted = seed ?? Math.min(...failing);
    if (seed === undefined && failing.length === 0) {
      throw new InputError(`no cell of the sweep in ${dir} failed a check; give --seed to pick a run`);
    }
    const rows = results.rows.filter((r) => Number(r.seed) === wanted);
    if (rows.length !== 1) {
      throw new InputError(
        rows.length === 0
          ? `the sweep in ${dir} has no cell with seed ${wanted}; its failing seeds: ${failing.join(", ") || "none"}`
          : `the sweep in ${dir} has ${rows.length} cells with seed ${wanted}; shrink one run directory instead`,
      );
    }
    row = rows[0];
  }
  const params = Object.fromEntries(results.parameters.filter((p) => p in row!).map((p) => [p, row![p]]));
  const fixtureSeed = Number(row.seed);
  const fixture = {
    experiment: experiment.name,
    seed: fixtureSeed,
    params: resolveParams(experiment.params, params),
    draw: drawSwarm(space, fixtureSeed),
  };
  const source = results.kind === "run" ? `run directory ${dir}` : `seed ${fixtureSeed} of the sweep in ${dir}`;
  return { fixture, source };
}

/** A fixture as the JSON written to files: stable field order, two-space indent. */
export function fixtureJson(fixture: SwarmFixture): string {
  const { experiment, seed, params, draw, expected } = fixture;
  return JSON.stringify({ experiment, seed, params, draw, ...(expected ? { expected } : {}) }, null, 2) + "\n";
}

/** The `bug` parameter of a fixture, `none` when it has none. */
export function bugOf(fixture: SwarmFixture): string {
  return String(fixture.params.bug ?? "none");
}

/** The fixture with `checks` recorded as the ones it fails (for naming; the trace hash is kept or blank). */
export function withExpectedOf(fixture: SwarmFixture, checks: string[]): SwarmFixture {
  return { ...fixture, expected: { failedChecks: checks, traceHash: fixture.expected?.traceHash ?? "" } };
}

/** A name for files about a fixture: `<bug>-<first failed check>-seed-<seed>`, safe as a file name. */
export function fixtureName(fixture: SwarmFixture): string {
  const check = fixture.expected?.failedChecks[0] ?? "passing";
  const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return `${slug(bugOf(fixture))}-${slug(check)}-seed-${fixture.seed}`;
}

/** The command that runs a fixture file and shows its verdict. */
export function fixtureCommand(path: string): string {
  return `./faultline rca ${path}`;
}

/** Writes a shrink's outcome as directory `dir` (Faultline's): fixture.json, shrink.json and shrink.md. */
export async function writeShrink(dir: string, result: ShrinkResult): Promise<void> {
  const summary = {
    checks: result.checks,
    attempts: result.attempts,
    budgetExhausted: result.budgetExhausted,
    steps: result.steps,
    original: result.original,
  };
  await writeResultDir(dir, {
    "fixture.json": fixtureJson(result.minimal),
    "shrink.json": JSON.stringify(summary, null, 2) + "\n",
    "shrink.md": shrinkMarkdown(result),
  }, { kind: "shrink" });
}

function shrinkMarkdown(result: ShrinkResult): string {
  const md = (v: unknown) => escapeMarkdown(typeof v === "string" ? v : JSON.stringify(v));
  return [
    `# Shrunk ${md(result.minimal.experiment)}, seed ${result.minimal.seed}`,
    "",
    `Still fails ${md(result.checks.join(", "))} after ${result.steps.length} of ${result.attempts} attempted ` +
    `simplifications${result.budgetExhausted ? " (the budget ran out; more attempts may shrink further)" : ""}.`,
    "",
    "| step | dimension | from | to |",
    "| --- | --- | --- | --- |",
    ...result.steps.map((s, i) => `| ${i + 1} | ${md(s.dimension)} | ${md(s.from)} | ${md(s.to)} |`),
    "",
    `Minimal fixture: fixture.json. Report: ${markdownCode(fixtureCommand("fixture.json"))}.`,
    "",
  ].join("\n");
}

/** Where a system's regression fixtures live, relative to the project root. */
export function regressionsDir(experiment: Experiment): string {
  const system = experiment.name.replace(/-swarm$/, "");
  if (system === experiment.name) throw new InputError(`${experiment.name} is not a system's swarm experiment`);
  return `lib/systems/${system}/experiments/regressions`;
}

/** What adding a regression did. */
export interface RegressionAdded {
  path: string;
  kind: "planted" | "real";
  findings: string[];
}

/**
 * Copies the fixture into its system's regression folder under `root` (the project), named after
 * its bug, first failed check and seed. The fixture is run first: one found with a planted bug
 * must still fail its checks with the bug on and pass with it off, or it would be a test that
 * fails from the start; one found with bugs off is added failing, as it stands for a real bug.
 * An existing file of that name is never overwritten.
 */
export async function addRegression(input: FixtureInput, root: string): Promise<RegressionAdded> {
  let fixture = input.fixture;
  if (fixture.expected === undefined) fixture = withExpected(fixture, runFixture(input.experiment, fixture));
  if (fixture.expected!.failedChecks.length === 0) {
    throw new InputError(`the fixture from ${input.source} passes every check; a regression fixture is a failing run`);
  }
  const verdict = checkRegression(input.experiment, fixture);
  if (verdict.kind === "planted" && !verdict.ok) {
    throw new InputError(
      `not adding the fixture from ${input.source}: ${verdict.findings.join("; ")}; a regression test of it ` +
        `would fail from the start`,
    );
  }
  const folder = `${root}/${regressionsDir(input.experiment)}`;
  const path = `${folder}/${fixtureName(fixture)}.json`;
  await Deno.mkdir(folder, { recursive: true });
  try {
    await Deno.writeTextFile(path, fixtureJson(fixture), { createNew: true });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new InputError(`refusing to overwrite ${path}: a regression fixture of that name exists; remove it first`);
    }
    throw error;
  }
  return { path, kind: verdict.kind, findings: verdict.findings };
}
