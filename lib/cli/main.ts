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
import { benchCheck, benchKernel, benchRaft, benchSweep } from "../bench/mod.ts";
import { exitCodeOf } from "../check/mod.ts";
import {
  cellKey,
  codeVersion,
  experimentNamed,
  experiments,
  runExperiment,
  storedRun,
  suggest,
  writeRun,
} from "../lab/mod.ts";
import { type ParamSchema, type ParamValues, resolveParams } from "../params.ts";
import { checkCommand } from "./check.ts";
import { demo } from "./demo.ts";
import { compareCommand, replayCommand, reportCommand } from "./results_commands.ts";
import { sweepCommand } from "./sweep.ts";
import { ensureDenoKernel, ensureJupyter, startNotebook } from "./jupyter.ts";
import { runTestSuite } from "./test_runner.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

const usage = `Faultline: a workbench for distributed databases under load and faults.

Usage: ./faultline <command> [options]

Commands:
  run EXPERIMENT [--param NAME=VALUE ...] [--seed N] [--out DIR] [--force] [--json]
                                     one run; writes results/EXPERIMENT/seed-N-DIGEST/ (reused
                                     when the same run of the same code is there, unless --force)
  sweep EXPERIMENT [--grid NAME=V1,V2,...] [--zip NAME=V1,V2,...] [--param NAME=VALUE]
        [--sample N --range NAME=MIN..MAX ... [--sample-seed S]]
        [--seeds A..B] [--workers N] [--out DIR] [--cache DIR] [--resume] [--force] [--keep-histories] [--json]
                                     many runs on a pool of workers; results/EXPERIMENT/sweep-DIGEST/
  report DIR                         a self-contained HTML report of a run or sweep directory
  compare DIR_A DIR_B [...] [--json] [--out FILE]
                                     figures side by side with differences and 95% intervals;
                                     exit 1 on a significant regression
  replay DIR                         re-run a stored run and confirm its trace hash
  list [--json]                      experiments and their parameters
  demo [--seed N] [--<param> V ...] [--results DIR]
                                     run the default experiment (echo service, a server crash)
                                     and write results/demo/seed-N/
  test [--quick] [files...]          the whole suite: format, lint, type check, unit tests,
                                     notebooks (--quick: unit tests only)
  check FILE --model NAME [--init VALUE] [--json] [--html OUT] [--steps N] [--timeout S] [--workload W]
                                     check a history (JSON Lines): linearizability for register,
                                     cas-register, kv, counter, set, queue; isolation (Elle) for
                                     serializable, snapshot-isolation, read-committed, ... with
                                     --workload list-append|rw-register. Exit 0 valid, 1 violation,
                                     2 bad input, 3 unknown
  bench kernel [--runs N] [--events N]  kernel benchmark; prints a JSON array of figures
  bench check [--runs N] [--operations N]  checker benchmark: Porcupine corpus, generated histories
  bench sweep [--runs N] [--cells N]  sweep on 1 worker against 2: the parallel speed-up
  bench raft [--runs N] [--clients N]  Raft: committed client operations per wall-clock second
  notebook [jupyter args]            start Jupyter with the Deno kernel registered
  setup                              install Jupyter (Debian packages) and register the kernel
  help [COMMAND]                     this text, or one command's
`;

/** The usage lines of one command (its entry in the text above). */
export function commandHelp(command: string): string | undefined {
  const lines = usage.split("\n");
  const picked: string[] = [];
  lines.forEach((line, start) => {
    if (!line.startsWith(`  ${command} `) && line !== `  ${command}`) return;
    let end = start + 1;
    while (end < lines.length && /^ {5,}/.test(lines[end])) end++;
    picked.push(...lines.slice(start, end).map((l) => l.slice(2)));
  });
  return picked.length === 0 ? undefined : picked.join("\n");
}

/** Options that may repeat: their values are collected in order. */
const repeatable = ["--param", "--grid", "--zip", "--range"];

/**
 * Splits `--key value` and `--key=value` options from positional arguments. `--param`, `--grid`
 * and `--zip` may repeat; their values are collected in `repeated`.
 */
export function parseOptions(
  args: string[],
): { options: Record<string, string>; positional: string[]; repeated: Record<string, string[]> } {
  const options: Record<string, string> = {};
  const repeated: Record<string, string[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    if (repeatable.includes(arg)) {
      if (i + 1 >= args.length) throw new InputError(`${arg} needs NAME=VALUE`);
      (repeated[arg.slice(2)] ??= []).push(args[++i]);
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq > 0) options[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1].startsWith("--")) options[arg.slice(2)] = args[++i];
    else options[arg.slice(2)] = "true";
  }
  return { options, positional, repeated };
}

function takeInteger(options: Record<string, string>, name: string, fallback: number): number {
  if (!(name in options)) return fallback;
  const value = Number(options[name]);
  delete options[name];
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InputError(`--${name} must be a non-negative integer, got ${JSON.stringify(options[name] ?? value)}`);
  }
  return value;
}

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

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const { options, positional, repeated } = parseOptions(rest);
  switch (command) {
    case "demo": {
      const seed = takeInteger(options, "seed", 1);
      const resultsDir = options.results ?? `${root}/results`;
      delete options.results;
      const { dir, run } = await demo({ seed, params: options, resultsDir });
      console.log(JSON.stringify({ ...run.output.figures, verdict: run.manifest.verdict }, null, 2));
      console.log(`wrote ${dir.replace(`${root}/`, "")}/ (report.md, latency.svg, history.jsonl, manifest.json, ...)`);
      return exitCodeOf(run.manifest.verdict);
    }
    case "run": {
      if (positional.length !== 1) {
        throw new InputError(`usage: ./faultline run EXPERIMENT [--param NAME=VALUE ...] [--seed N]`);
      }
      const experiment = experimentNamed(positional[0]);
      const seed = takeInteger(options, "seed", 1);
      const given = paramAssignments(repeated.param ?? [], experiment.params);
      const params = resolveParams(experiment.params, given);
      const dir = options.out ?? `${root}/results/${experiment.name}/seed-${seed}-${paramsDigest(params)}`;
      const key = cellKey(experiment.name, params, seed, await codeVersion(`${root}/lib`));
      const stored = options.force === "true" ? undefined : await storedRun(dir, key);
      if (stored !== undefined) {
        if (options.json === "true") {
          console.log(JSON.stringify({ manifest: stored.manifest, checks: stored.checks, dir, reused: true }, null, 2));
        } else {console.log(
            `reused ${dir.replace(`${root}/`, "")}/ (same experiment, parameters, seed and code; --force runs again)`,
          );}
        return exitCodeOf(stored.manifest.verdict);
      }
      const run = await runExperiment(experiment, given, seed, () => performance.now());
      run.manifest.cacheKey = key;
      await writeRun(dir, run, { keepHistory: true });
      if (options.json === "true") {
        console.log(
          JSON.stringify(
            { manifest: run.manifest, figures: run.output.figures, checks: run.output.checks, dir },
            null,
            2,
          ),
        );
      } else {
        for (const check of run.output.checks) {
          console.log(
            `${check.checker}: ${
              check.valid === true ? "valid" : check.valid === false ? "INVALID" : "unknown"
            } - ${check.message}`,
          );
        }
        console.log(`wrote ${dir.replace(`${root}/`, "")}/`);
      }
      return exitCodeOf(run.manifest.verdict);
    }
    case "check": {
      if (positional.length !== 1) {
        throw new InputError("usage: ./faultline check FILE --model NAME [--init VALUE] [--json] [--html OUT]");
      }
      if (options.model === undefined) {
        throw new InputError(
          "check needs --model: register, cas-register, kv, counter, set or queue (linearizability), " +
            "or an isolation model such as serializable or snapshot-isolation with --workload list-append|rw-register",
        );
      }
      return await checkCommand({
        file: positional[0],
        model: options.model,
        init: options.init,
        json: options.json === "true",
        html: options.html,
        steps: options.steps === undefined ? undefined : takeInteger(options, "steps", 0),
        timeoutSeconds: options.timeout === undefined ? undefined : takeInteger(options, "timeout", 0),
        workload: options.workload,
      });
    }
    case "sweep":
      return await sweepCommand(positional, options, repeated, root);
    case "report":
      if (positional.length !== 1) throw new InputError("usage: ./faultline report DIR");
      return await reportCommand(positional[0]);
    case "compare":
      return await compareCommand(positional, { json: options.json === "true", out: options.out });
    case "replay":
      if (positional.length !== 1) throw new InputError("usage: ./faultline replay DIR");
      return await replayCommand(positional[0]);
    case "test":
      return await runTestSuite({ root, quick: options.quick === "true", filter: positional });
    case "bench": {
      if (positional[0] === "check") {
        const runs = takeInteger(options, "runs", 5);
        const operations = takeInteger(options, "operations", 100_000);
        console.log(JSON.stringify(await benchCheck({ runs: Math.max(1, runs), operations }), null, 2));
        return 0;
      }
      if (positional[0] === "raft") {
        const runs = takeInteger(options, "runs", 5);
        const clients = takeInteger(options, "clients", 50);
        console.log(
          JSON.stringify(
            benchRaft({ runs: Math.max(1, runs), clients: Math.max(1, clients), durationUs: 5_000_000 }),
            null,
            2,
          ),
        );
        return 0;
      }
      if (positional[0] === "sweep") {
        const runs = takeInteger(options, "runs", 3);
        const cells = takeInteger(options, "cells", 16);
        console.log(JSON.stringify(await benchSweep({ runs: Math.max(1, runs), cells: Math.max(2, cells) }), null, 2));
        return 0;
      }
      if (positional[0] !== "kernel") {
        throw new InputError(`unknown benchmark ${JSON.stringify(positional[0])}; allowed: kernel, check, sweep, raft`);
      }
      const runs = takeInteger(options, "runs", 5);
      const events = takeInteger(options, "events", 2_000_000);
      console.log(JSON.stringify(benchKernel({ nodes: 100, events, seed: 1, repeats: Math.max(1, runs) }), null, 2));
      return 0;
    }
    case "notebook":
      await ensureJupyter();
      await ensureDenoKernel();
      await startNotebook(`${root}/notebooks`, rest);
      return 0;
    case "setup":
      await ensureJupyter();
      await ensureDenoKernel();
      console.log("faultline: Jupyter and the Deno kernel are ready");
      return 0;
    case "list":
      if (options.json === "true") {
        console.log(
          JSON.stringify(
            experiments.map((e) => ({ name: e.name, description: e.description, params: e.params })),
            null,
            2,
          ),
        );
        return 0;
      }
      for (const experiment of experiments) {
        console.log(`${experiment.name}: ${experiment.description}`);
        for (const line of describeParams(experiment.params)) console.log(`  ${line}`);
      }
      return 0;
    case undefined:
    case "help":
    case "--help": {
      if (positional[0] === undefined) {
        console.log(usage);
        return 0;
      }
      const help = commandHelp(positional[0]);
      if (help === undefined) throw new InputError(`no command ${JSON.stringify(positional[0])}; see ./faultline help`);
      console.log(help);
      return 0;
    }
    default:
      throw new InputError(
        `unknown command ${
          JSON.stringify(command)
        }; allowed: demo, run, sweep, report, compare, replay, list, check, test, bench, notebook, setup, help`,
      );
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    if (error instanceof InputError) {
      console.error(`faultline: ${error.message}`);
      Deno.exit(2);
    }
    throw error;
  }
}
