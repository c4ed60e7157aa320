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
import { benchCheck } from "../bench/check.ts";
import { benchKernel } from "../bench/kernel.ts";
import { echoParams } from "../systems/echo/mod.ts";
import { checkCommand } from "./check.ts";
import { demo } from "./demo.ts";
import { ensureDenoKernel, ensureJupyter, startNotebook } from "./jupyter.ts";
import { runTestSuite } from "./test_runner.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

const usage = `Faultline: a workbench for distributed databases under load and faults.

Usage: ./faultline <command> [options]

Commands:
  demo [--seed N] [--<param> V ...] [--results DIR]
                                     run the default experiment (echo service, a server crash)
                                     and write results/demo/seed-N/
  test [--quick] [files...]          the whole suite: format, lint, type check, unit tests,
                                     notebooks (--quick: unit tests only)
  check FILE --model NAME [--init VALUE] [--json] [--html OUT] [--steps N]
                                     check a history (JSON Lines) for linearizability; models:
                                     register, cas-register, kv, counter, set, queue. Exit 0 valid,
                                     1 violation, 2 bad input, 3 unknown
  bench kernel [--runs N] [--events N]  kernel benchmark; prints a JSON array of figures
  bench check [--runs N] [--operations N]  checker benchmark: Porcupine corpus, generated histories
  notebook [jupyter args]            start Jupyter with the Deno kernel registered
  setup                              install Jupyter (Debian packages) and register the kernel
  list                               experiments and their parameters
  help                               this text
`;

/** Splits `--key value` and `--key=value` options from positional arguments. */
export function parseOptions(args: string[]): { options: Record<string, string>; positional: string[] } {
  const options: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq > 0) options[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1].startsWith("--")) options[arg.slice(2)] = args[++i];
    else options[arg.slice(2)] = "true";
  }
  return { options, positional };
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

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const { options, positional } = parseOptions(rest);
  switch (command) {
    case "demo": {
      const seed = takeInteger(options, "seed", 1);
      const resultsDir = options.results ?? `${root}/results`;
      delete options.results;
      const { dir, result } = await demo({ seed, params: options, resultsDir });
      console.log(JSON.stringify({ ...result.summary, check: result.check.valid ? "valid" : "INVALID" }, null, 2));
      console.log(`wrote ${dir.replace(`${root}/`, "")}/ (report.md, latency.svg, requests.csv, manifest.json)`);
      return result.check.valid ? 0 : 1;
    }
    case "check": {
      if (positional.length !== 1) {
        throw new InputError("usage: ./faultline check FILE --model NAME [--init VALUE] [--json] [--html OUT]");
      }
      if (options.model === undefined) {
        throw new InputError("check needs --model: one of register, cas-register, kv, counter, set, queue");
      }
      return await checkCommand({
        file: positional[0],
        model: options.model,
        init: options.init,
        json: options.json === "true",
        html: options.html,
        steps: options.steps === undefined ? undefined : takeInteger(options, "steps", 0),
      });
    }
    case "test":
      return await runTestSuite({ root, quick: options.quick === "true", filter: positional });
    case "bench": {
      if (positional[0] === "check") {
        const runs = takeInteger(options, "runs", 5);
        const operations = takeInteger(options, "operations", 100_000);
        console.log(JSON.stringify(await benchCheck({ runs: Math.max(1, runs), operations }), null, 2));
        return 0;
      }
      if (positional[0] !== "kernel") {
        throw new InputError(`unknown benchmark ${JSON.stringify(positional[0])}; allowed: kernel, check`);
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
      console.log("echo: the echo service with retries (the demo)");
      for (const line of describeParams(echoParams)) console.log(`  ${line}`);
      return 0;
    case undefined:
    case "help":
    case "--help":
      console.log(usage);
      return 0;
    default:
      throw new InputError(
        `unknown command ${JSON.stringify(command)}; allowed: demo, check, test, bench, notebook, setup, list, help`,
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
