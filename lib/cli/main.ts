/**
 * The Faultline command line. `./faultline <command>`; `./faultline help` lists the commands.
 *
 * The CLI is the one place besides benchmarks that may read the wall clock (for wall time in
 * manifests and progress); everything it runs is deterministic.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import { describeParams } from "../params.ts";
import { benchCheck, benchKernel, benchKv, benchLog, benchRaft, benchSweep } from "../bench/mod.ts";
import { exitCodeOf } from "../check/mod.ts";
import {
  cellKey,
  codeVersion,
  experimentNamed,
  experiments,
  resultsRoot,
  runExperiment,
  storedRun,
  writeRun,
} from "../lab/mod.ts";
import { suggest } from "../base/mod.ts";
import { type ParamSchema, type ParamValues, resolveParams } from "../params.ts";
import {
  commandNamed,
  commandNames,
  type CommandSpec,
  helpFor,
  integerOption,
  type OptionSpec,
  parseCommandLine,
  usageText,
} from "./options.ts";
import { checkCommand } from "./check.ts";
import { demo } from "./demo.ts";
import { compareCommand, replayCommand, reportCommand } from "./results_commands.ts";
import { mergeCommand, sweepCommand } from "./sweep.ts";
import { k8sSweepCommand } from "./k8s.ts";
import { ensureSlurm, slurmSweepCommand } from "./slurm.ts";
import { campaignCommand } from "./campaign.ts";
import { rcaCommand, regressAddCommand, shrinkCommand } from "./chaos.ts";
import { ensureDenoKernel, ensureJupyter, ensureTslabKernel, startNotebook } from "./jupyter.ts";
import { buildPackage } from "./build.ts";
import { runTestSuite } from "./test_runner.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** `--param NAME=VALUE` assignments as given parameters; an unknown name suggests the closest. */
export function paramAssignments(assignments: string[], schema: ParamSchema): Record<string, string> {
  const given: Record<string, string> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new InputError(`--param takes NAME=VALUE, got ${JSON.stringify(assignment)}`);
    const name = assignment.slice(0, eq);
    if (!(name in schema)) {
      throw new InputError(
        `unknown parameter ${JSON.stringify(name)}${suggest(name, Object.keys(schema))}; allowed: ${
          Object.keys(schema).join(", ")
        }`,
      );
    }
    if (Object.hasOwn(given, name)) {
      throw new InputError(
        `--param ${name} given twice (${given[name]} and ${assignment.slice(eq + 1)}); give it once`,
      );
    }
    given[name] = assignment.slice(eq + 1);
  }
  return given;
}

/** A short digest of parameter values, naming a run's directory. */
function paramsDigest(params: ParamValues): string {
  let h = 0x811c9dc5 | 0;
  const text = JSON.stringify(params);
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Option values as parsed: strings, flags and repeated lists. */
type Values = Record<string, string | boolean | string[] | undefined>;

const text = (values: Values, name: string) => values[name] as string | undefined;
const list = (values: Values, name: string) => (values[name] as string[] | undefined) ?? [];
const relative = (path: string) => path.replace(`${root}/`, "");

/** The exit code of an internal error: a fault of Faultline's, not of the input or the system. */
export const internalErrorExitCode = 4;

/** Picks the command (and benchmark) the arguments name; an unknown one suggests the closest. */
function commandOf(args: string[]): { command: CommandSpec; rest: string[] } {
  const [name, ...rest] = args;
  if (name === "bench") {
    const benchmarks = ["kernel", "check", "sweep", "raft", "kv", "log"];
    const command = commandNamed(`bench ${rest[0]}`);
    if (command === undefined) {
      throw new InputError(
        `unknown benchmark ${JSON.stringify(rest[0] ?? "")}${suggest(rest[0] ?? "", benchmarks)}; allowed: ${
          benchmarks.join(", ")
        }`,
      );
    }
    return { command, rest: rest.slice(1) };
  }
  if (name === "regress") {
    const command = commandNamed(`regress ${rest[0]}`);
    if (command === undefined) {
      throw new InputError(`unknown regress command ${JSON.stringify(rest[0] ?? "")}; allowed: add`);
    }
    return { command, rest: rest.slice(1) };
  }
  if (name === "k8s" || name === "slurm") {
    const command = commandNamed(`${name} ${rest[0]}`);
    if (command === undefined) {
      throw new InputError(`unknown ${name} command ${JSON.stringify(rest[0] ?? "")}; allowed: sweep`);
    }
    return { command, rest: rest.slice(1) };
  }
  const command = commandNamed(name);
  if (command === undefined) {
    throw new InputError(
      `unknown command ${JSON.stringify(name)}${suggest(name, commandNames)}; allowed: ${commandNames.join(", ")}`,
    );
  }
  return { command, rest };
}

/** The demo takes the echo experiment's parameters as options of their own (`--clients 20`). */
function demoOptions(): Record<string, OptionSpec> {
  const schema = experimentNamed("echo").params;
  return Object.fromEntries(
    Object.keys(schema).map((name) => [name, { type: "string", value: "V", description: `parameter ${name}` }]),
  );
}

async function main(args: string[]): Promise<number> {
  if (args.length === 0 || args[0] === "--help" || args[0] === "-h") {
    console.log(usageText());
    return 0;
  }
  const { command, rest } = commandOf(args);
  const { values, positionals } = parseCommandLine(command, rest, command.name === "demo" ? demoOptions() : {});
  if (values.help === true) {
    console.log(helpFor(command.name));
    return 0;
  }
  switch (command.name) {
    case "demo":
      return await demoCommand(values);
    case "run":
      return await runCommand(positionals[0], values);
    case "check":
      return await checkCommand({
        file: positionals[0],
        model: text(values, "model")!,
        init: text(values, "init"),
        json: values.json === true,
        html: text(values, "html"),
        steps: text(values, "steps") === undefined
          ? undefined
          : integerOption("steps", text(values, "steps"), { fallback: 0, min: 1 }),
        timeoutSeconds: text(values, "timeout") === undefined
          ? undefined
          : integerOption("timeout", text(values, "timeout"), { fallback: 0 }),
        workload: text(values, "workload"),
      });
    case "sweep":
      return await sweepCommand(positionals[0], values, root);
    case "k8s sweep":
      return await k8sSweepCommand(positionals[0], values);
    case "slurm sweep":
      return await slurmSweepCommand(positionals[0], values, root);
    case "merge":
      return await mergeCommand(positionals, values, root);
    case "campaign":
      return await campaignCommand(positionals[0], values, root);
    case "shrink":
      return await shrinkCommand(positionals[0], values, root);
    case "regress add":
      return await regressAddCommand(positionals[0], values, root);
    case "rca":
      return await rcaCommand(positionals[0], values, root);
    case "report":
      return await reportCommand(positionals[0]);
    case "compare":
      return await compareCommand(positionals, { json: values.json === true, out: text(values, "out") });
    case "replay":
      return await replayCommand(positionals[0]);
    case "test":
      return await runTestSuite({ root, quick: values.quick === true, filter: positionals });
    case "bench kernel":
    case "bench check":
    case "bench sweep":
    case "bench raft":
    case "bench kv":
    case "bench log":
      return await benchCommand(command.name, values);
    case "notebook": {
      // Everything else is Jupyter's; `--node` is ours.
      const node = positionals.includes("--node");
      await ensureJupyter();
      await ensureDenoKernel();
      if (node) await setUpNode();
      await startNotebook(`${root}/notebooks`, positionals.filter((arg) => arg !== "--node"));
      return 0;
    }
    case "setup":
      await ensureJupyter();
      await ensureDenoKernel();
      if (values.node === true) await setUpNode();
      console.log(
        `faultline: Jupyter and the Deno ${values.node === true ? "and tslab kernels are" : "kernel is"} ready`,
      );
      // Slurm is only needed by its test (which says so and skips without it), so a failed
      // installation is reported and does not fail the set-up.
      console.log(`faultline: ${await ensureSlurm()}`);
      return 0;
    case "build": {
      const result = await buildPackage(root, { force: values.force === true });
      console.log(`${result.built ? "built" : "up to date:"} ${relative(result.dir)}/ (entry dist/mod.js)`);
      return 0;
    }
    case "list":
      listCommand(values.json === true);
      return 0;
    case "help":
      return helpCommand(positionals[0]);
  }
  throw new InputError(`unknown command ${JSON.stringify(command.name)}`);
}

/** Builds dist/ (when stale) and registers the tslab kernel, installing tslab into the project if needed. */
async function setUpNode(): Promise<void> {
  const result = await buildPackage(root);
  if (result.built) console.error(`faultline: built ${relative(result.dir)}/`);
  await ensureTslabKernel(root);
}

function helpCommand(name: string | undefined): number {
  if (name === undefined) {
    console.log(usageText());
    return 0;
  }
  const help = helpFor(name);
  if (help === undefined) {
    throw new InputError(`no command ${JSON.stringify(name)}${suggest(name, commandNames)}; see ./faultline help`);
  }
  console.log(help);
  return 0;
}

async function demoCommand(values: Values): Promise<number> {
  const seed = integerOption("seed", text(values, "seed"), { fallback: 1 });
  const resultsDir = text(values, "results") ?? resultsRoot(root);
  const params = Object.fromEntries(
    Object.entries(values).filter(([name]) => !["seed", "results", "help"].includes(name)),
  );
  const { dir, run } = await demo({ seed, params, resultsDir });
  console.log(JSON.stringify({ ...run.output.figures, verdict: run.manifest.verdict }, null, 2));
  console.log(`wrote ${relative(dir)}/ (report.md, latency.svg, history.jsonl, manifest.json, ...)`);
  return exitCodeOf(run.manifest.verdict);
}

async function runCommand(name: string, values: Values): Promise<number> {
  const experiment = experimentNamed(name);
  const seed = integerOption("seed", text(values, "seed"), { fallback: 1 });
  const given = paramAssignments(list(values, "param"), experiment.params);
  const params = resolveParams(experiment.params, given);
  experiment.validate?.(params);
  const dir = text(values, "out") ?? `${resultsRoot(root)}/${experiment.name}/seed-${seed}-${paramsDigest(params)}`;
  const code = await codeVersion(`${root}/lib`);
  const key = cellKey(experiment.name, params, seed, code);
  const stored = values.force === true ? undefined : await storedRun(dir, key);
  if (stored !== undefined) {
    if (values.json === true) {
      console.log(JSON.stringify({ manifest: stored.manifest, checks: stored.checks, dir, reused: true }, null, 2));
    } else {
      console.log(`reused ${relative(dir)}/ (same experiment, parameters, seed and code; --force runs again)`);
    }
    return exitCodeOf(stored.manifest.verdict);
  }
  const run = await runExperiment(experiment, given, seed, () => performance.now());
  run.manifest.cacheKey = key;
  run.manifest.codeVersion = code;
  const manifest = await writeRun(dir, run, { keepHistory: true });
  if (values.json === true) {
    const printed = { manifest, figures: run.output.figures, checks: run.output.checks, dir };
    console.log(JSON.stringify(printed, null, 2));
    return exitCodeOf(run.manifest.verdict);
  }
  for (const check of run.output.checks) {
    const verdict = check.valid === true ? "valid" : check.valid === false ? "INVALID" : "unknown";
    console.log(`${check.checker}: ${verdict} - ${check.message}`);
  }
  console.log(`wrote ${relative(dir)}/`);
  return exitCodeOf(run.manifest.verdict);
}

async function benchCommand(name: string, values: Values): Promise<number> {
  const count = (option: string, fallback: number, min = 1) =>
    integerOption(option, text(values, option), { fallback, min });
  let figures: unknown;
  if (name === "bench check") {
    figures = benchCheck({ runs: count("runs", 5), operations: count("operations", 100_000) });
  } else if (name === "bench raft") {
    figures = benchRaft({ runs: count("runs", 5), clients: count("clients", 50), durationUs: 5_000_000 });
  } else if (name === "bench kv") {
    figures = benchKv({ runs: count("runs", 5), clients: count("clients", 50), durationUs: 3_000_000 });
  } else if (name === "bench log") {
    figures = benchLog({
      runs: count("runs", 5),
      producers: count("producers", 12),
      partitions: 6,
      batchRecords: count("batch", 1_000),
      durationUs: 200_000,
    });
  } else if (name === "bench sweep") {
    figures = benchSweep({ runs: count("runs", 3), cells: count("cells", 16, 2) });
  } else {
    figures = benchKernel({ nodes: 100, events: count("events", 2_000_000, 0), seed: 1, repeats: count("runs", 5) });
  }
  console.log(JSON.stringify(await figures, null, 2));
  return 0;
}

function listCommand(json: boolean): void {
  if (json) {
    const listed = experiments.map((e) => ({ name: e.name, description: e.description, params: e.params }));
    console.log(JSON.stringify(listed, null, 2));
    return;
  }
  for (const experiment of experiments) {
    console.log(`${experiment.name}: ${experiment.description}`);
    for (const line of describeParams(experiment.params)) console.log(`  ${line}`);
  }
}

/**
 * What the process prints and returns for an error that escaped a command: bad input (ours, or a
 * path the user gave that the system refuses) is exit 2, anything else is an internal error with
 * its own code. Either way one line, never a stack trace, which would read as a crash of the
 * system under test; FAULTLINE_DEBUG=1 prints the stack for those who debug Faultline itself.
 */
export function errorOutcome(error: unknown): { code: number; message: string } {
  if (error instanceof InputError) return { code: 2, message: `faultline: ${error.message}` };
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  const fileErrors = [
    Deno.errors.NotFound,
    Deno.errors.PermissionDenied,
    Deno.errors.IsADirectory,
    Deno.errors.NotADirectory,
    Deno.errors.AlreadyExists,
  ];
  if (fileErrors.some((kind) => error instanceof kind)) return { code: 2, message: `faultline: ${message}` };
  const name = error instanceof Error ? error.name : "Error";
  return {
    code: internalErrorExitCode,
    message: `faultline: internal error (${name}: ${message}); set FAULTLINE_DEBUG=1 for the stack trace`,
  };
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    const outcome = errorOutcome(error);
    console.error(outcome.message);
    if (outcome.code === internalErrorExitCode && Deno.env.get("FAULTLINE_DEBUG") === "1") console.error(error);
    code = outcome.code;
  }
  Deno.exit(code);
}
