/**
 * The command line's grammar: every command declares its options once, and both the parser and
 * the help text are made from that declaration. Parsing is Node's `util.parseArgs` in strict
 * mode, so an option a command does not declare is refused, with the closest declared one
 * suggested, instead of being ignored (a typo like `--sed 5` silently ran seed 1 before).
 *
 * @example
 * ```ts
 * import { commandNamed, parseCommandLine } from "./options.ts";
 * const parsed = parseCommandLine(commandNamed("run")!, ["echo", "--seed", "2"]);
 * parsed.values.seed; // "2"
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { InputError } from "../assert.ts";
import { suggest } from "../base/mod.ts";

/** One option of a command. */
export interface OptionSpec {
  /** A string option takes a value; a boolean one is a flag. */
  type: "string" | "boolean";
  /** The value's placeholder in help, such as `N` or `NAME=VALUE`. */
  value?: string;
  /** Whether it may be given more than once (its values are then collected in order). */
  multiple?: boolean;
  /** Whether the command needs it (default false). */
  required?: boolean;
  description: string;
}

/** A command: its positional arguments, options and one-line summary. */
export interface CommandSpec {
  /** The name as typed; a subcommand's includes its parent (`bench kernel`). */
  name: string;
  /** Positional arguments as help shows them, such as `EXPERIMENT` or `DIR_A DIR_B [...]`. */
  positionals: string;
  /** How many positional arguments it takes. */
  positionalsMin: number;
  positionalsMax: number;
  summary: string;
  options: Record<string, OptionSpec>;
  /** Arguments are handed on untouched (to Jupyter): nothing is parsed. */
  passThrough?: boolean;
}

/** What parsing gives: option values by name (repeatable ones as lists) and positionals. */
export interface ParsedCommandLine {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

const json: OptionSpec = { type: "boolean", description: "print the result as JSON" };
const seed: OptionSpec = { type: "string", value: "N", description: "the run's seed (default 1)" };
const runs: OptionSpec = { type: "string", value: "N", description: "repetitions (default 5)" };

/** The options that say which cells a sweep has, shared by every command that takes a sweep. */
const sweepSpecOptions: Record<string, OptionSpec> = {
  grid: { type: "string", value: "NAME=V1,V2,...", multiple: true, description: "every combination of values" },
  zip: { type: "string", value: "NAME=V1,V2,...", multiple: true, description: "the i-th values together" },
  param: { type: "string", value: "NAME=VALUE", multiple: true, description: "hold a parameter fixed" },
  sample: { type: "string", value: "N", description: "N random points, each --range uniform" },
  range: { type: "string", value: "NAME=MIN..MAX", multiple: true, description: "a range for --sample" },
  "sample-seed": { type: "string", value: "S", description: "the seed of --sample's draws (default 1)" },
  seeds: { type: "string", value: "A..B|A,B,...", description: "the seeds of each point (default 1..3)" },
};

/** A sweep a cluster runs in shards: its cells, and what every shard's `./faultline sweep` is given. */
const clusterSweepOptions: Record<string, OptionSpec> = {
  ...sweepSpecOptions,
  force: { type: "boolean", description: "recompute cached cells" },
  "keep-histories": { type: "boolean", description: "keep every cell's history, not only failed ones" },
};

/** Every command, in the order help lists them. */
export const commands: readonly CommandSpec[] = [
  {
    name: "demo",
    positionals: "",
    positionalsMin: 0,
    positionalsMax: 0,
    summary: "run the default experiment (echo service, a server crash) and write results/demo/seed-N/; " +
      "every parameter of the echo experiment is an option too (--clients 20)",
    options: { seed, results: { type: "string", value: "DIR", description: "the results directory" } },
  },
  {
    name: "run",
    positionals: "EXPERIMENT",
    positionalsMin: 1,
    positionalsMax: 1,
    summary: "one run; writes results/EXPERIMENT/seed-N-DIGEST/ (reused when the same run of the same code " +
      "is there, unless --force)",
    options: {
      param: { type: "string", value: "NAME=VALUE", multiple: true, description: "set a parameter" },
      seed,
      out: { type: "string", value: "DIR", description: "the result directory" },
      force: { type: "boolean", description: "run again even when a stored run matches" },
      json,
    },
  },
  {
    name: "sweep",
    positionals: "EXPERIMENT",
    positionalsMin: 1,
    positionalsMax: 1,
    summary: "many runs on a pool of workers; results/EXPERIMENT/sweep-DIGEST/",
    options: {
      ...sweepSpecOptions,
      workers: { type: "string", value: "N", description: "worker count (default one per core)" },
      out: { type: "string", value: "DIR", description: "the sweep directory" },
      cache: { type: "string", value: "DIR", description: "where finished cells are cached" },
      resume: { type: "boolean", description: "continue the sweep in --out" },
      force: { type: "boolean", description: "recompute cached cells" },
      "keep-histories": { type: "boolean", description: "keep every cell's history, not only failed ones" },
      shard: {
        type: "string",
        value: "I/N",
        description: "run only the I-th of N slices of the cells (balanced by estimated cost); " +
          "its directory's default name ends in -shard-I-of-N; merge joins them",
      },
      json,
    },
  },
  {
    name: "campaign",
    positionals: "SYSTEM",
    positionalsMin: 1,
    positionalsMax: 1,
    summary: "the swarm over a seed range per planted bug and with bugs off; exit 0 only if every bug is found " +
      "and nothing false",
    options: {
      bug: { type: "string", value: "NAME,...|all", description: "the planted bugs to look for (default all)" },
      seeds: { type: "string", value: "A..B", description: "the seed range (default 1..200)" },
      time: { type: "string", value: "DURATION", description: "stop starting batches after this long (30s, 10m, 1h)" },
      workers: { type: "string", value: "N", description: "worker count (default one per core)" },
      force: { type: "boolean", description: "recompute cached cells" },
      json,
    },
  },
  {
    name: "shrink",
    positionals: "FIXTURE|DIR",
    positionalsMin: 1,
    positionalsMax: 1,
    summary: "simplify a failing swarm run (a fixture, a run directory, or a sweep directory with --seed) while it " +
      "still fails the same checks; writes results/EXPERIMENT/shrink-NAME/fixture.json and prints the steps",
    options: {
      seed: { type: "string", value: "N", description: "the sweep's seed (default its first failing one)" },
      check: {
        type: "string",
        value: "NAME",
        multiple: true,
        description: "a check that must keep failing " +
          "(default every one that fails)",
      },
      attempts: { type: "string", value: "N", description: "the most variants run (default 100)" },
      out: { type: "string", value: "DIR", description: "the output directory" },
      json,
    },
  },
  {
    name: "regress add",
    positionals: "FIXTURE|DIR",
    positionalsMin: 1,
    positionalsMax: 1,
    summary: "copy a failing fixture into lib/systems/SYSTEM/experiments/regressions/ (never over an existing one), " +
      "where the system's regression test runs it from then on",
    options: { seed: { type: "string", value: "N", description: "the sweep's seed (default its first failing one)" } },
  },
  {
    name: "rca",
    positionals: "FIXTURE|DIR",
    positionalsMin: 1,
    positionalsMax: 1,
    summary: "root-cause report of a failing swarm run: violation, minimal repro, fault timeline, causal path, " +
      "planted bug, business impact; writes rca.md and rca.html in results/EXPERIMENT/rca-NAME/",
    options: {
      seed: { type: "string", value: "N", description: "the sweep's seed (default its first failing one)" },
      slo: {
        type: "string",
        value: "TEXT",
        description: `the objective whose burn is reported (default "p99 < 100 ` +
          `ms and availability >= 99% in every 1 s window")`,
      },
      out: { type: "string", value: "DIR", description: "the output directory" },
    },
  },
  {
    name: "report",
    positionals: "DIR",
    positionalsMin: 1,
    positionalsMax: 1,
    summary: "a self-contained HTML report of a run or sweep directory",
    options: {},
  },
  {
    name: "compare",
    positionals: "DIR_A DIR_B [...]",
    positionalsMin: 2,
    positionalsMax: Infinity,
    summary: "figures side by side with differences and 95% intervals; exit 1 on a significant regression",
    options: { json, out: { type: "string", value: "FILE", description: "where comparison.html goes" } },
  },
  {
    name: "replay",
    positionals: "DIR",
    positionalsMin: 1,
    positionalsMax: 1,
    summary: "re-run a stored run and confirm its trace hash: exit 0 it matches, 3 the code changed since the " +
      "run was stored, 1 the same code gave another trace (not deterministic)",
    options: {},
  },
  {
    name: "list",
    positionals: "",
    positionalsMin: 0,
    positionalsMax: 0,
    summary: "experiments and their parameters",
    options: { json },
  },
  {
    name: "check",
    positionals: "FILE",
    positionalsMin: 1,
    positionalsMax: 1,
    summary:
      "check a history (JSON Lines; gzipped when FILE ends in .gz, as a run keeps a long one): linearizability for register, cas-register, kv, kv-cas, counter, " +
      "set, queue; isolation (Elle) for serializable, snapshot-isolation, read-committed, ... with --workload. " +
      "Exit 0 valid, 1 violation, 2 bad input, 3 unknown",
    options: {
      model: {
        type: "string",
        value: "NAME",
        required: true,
        description: "a linearizability model (register, cas-register, kv, kv-cas, counter, set, queue) or an " +
          "isolation model (serializable, snapshot-isolation, read-committed, ...)",
      },
      init: { type: "string", value: "JSON", description: "the initial value (default null)" },
      json,
      html: { type: "string", value: "OUT", description: "write an HTML page of the verdict" },
      steps: { type: "string", value: "N", description: "search steps before the verdict is unknown" },
      timeout: {
        type: "string",
        value: "S",
        description: "seconds the linearizability search may take before the verdict is unknown (default none)",
      },
      workload: { type: "string", value: "W", description: "list-append or rw-register (isolation models)" },
    },
  },
  {
    name: "test",
    positionals: "[files...]",
    positionalsMin: 0,
    positionalsMax: Infinity,
    summary: "the whole suite: format, lint, type check, unit tests, notebooks",
    options: { quick: { type: "boolean", description: "unit tests only" } },
  },
  {
    name: "bench kernel",
    positionals: "",
    positionalsMin: 0,
    positionalsMax: 0,
    summary: "kernel benchmark; prints a JSON array of figures",
    options: { runs, events: { type: "string", value: "N", description: "events per run (default 2000000)" } },
  },
  {
    name: "bench check",
    positionals: "",
    positionalsMin: 0,
    positionalsMax: 0,
    summary: "checker benchmark: Porcupine corpus, generated histories",
    options: { runs, operations: { type: "string", value: "N", description: "generated operations (default 100000)" } },
  },
  {
    name: "bench sweep",
    positionals: "",
    positionalsMin: 0,
    positionalsMax: 0,
    summary: "sweep on 1 worker against 2: the parallel speed-up",
    options: {
      runs: { ...runs, description: "repetitions (default 3)" },
      cells: { type: "string", value: "N", description: "cells per sweep (default 16)" },
    },
  },
  {
    name: "bench raft",
    positionals: "",
    positionalsMin: 0,
    positionalsMax: 0,
    summary: "Raft: committed client operations per wall-clock second",
    options: { runs, clients: { type: "string", value: "N", description: "client processes (default 50)" } },
  },
  {
    name: "bench kv",
    positionals: "",
    positionalsMin: 0,
    positionalsMax: 0,
    summary: "the key-value store: committed operations per wall-clock second, quorum and linearizable modes",
    options: { runs, clients: { type: "string", value: "N", description: "client processes (default 50)" } },
  },
  {
    name: "bench log",
    positionals: "",
    positionalsMin: 0,
    positionalsMax: 0,
    summary: "the commit log: acknowledged records per wall-clock second, 3 replicas, acks=all, batched produce",
    options: {
      runs,
      producers: { type: "string", value: "N", description: "producer processes (default 12)" },
      batch: { type: "string", value: "N", description: "records per produce request (default 1000)" },
    },
  },
  {
    name: "merge",
    positionals: "DIR [...]",
    positionalsMin: 1,
    positionalsMax: Infinity,
    summary: "verify the shards of a sweep (sweep --shard I/N) and merge them into the sweep one machine would " +
      "have written (results.csv byte-identical); a missing, duplicated or edited shard is refused (exit 2)",
    options: {
      out: { type: "string", value: "DIR", required: true, description: "the merged sweep's directory" },
      json,
    },
  },
  {
    name: "k8s sweep",
    positionals: "EXPERIMENT",
    positionalsMin: 1,
    positionalsMax: 1,
    summary: "print (or write with --out) Kubernetes manifests as JSON: an Indexed Job whose pods run the sweep's " +
      "shards into a shared volume, and a Job that merges them into NAME/merged there",
    options: {
      ...clusterSweepOptions,
      workers: { type: "string", value: "N", description: "worker count in each pod (default one per core)" },
      image: {
        type: "string",
        value: "IMG",
        required: true,
        description: "the container image (./faultline in its working directory)",
      },
      volume: {
        type: "string",
        value: "CLAIM",
        required: true,
        description: "the PersistentVolumeClaim the pods share",
      },
      shards: { type: "string", value: "N", description: "how many shards (the Job's completions; default 4)" },
      parallelism: { type: "string", value: "P", description: "shards running at once (default: all)" },
      name: {
        type: "string",
        value: "NAME",
        description: "the Jobs' name prefix (default faultline-EXPERIMENT-DIGEST)",
      },
      out: { type: "string", value: "FILE", description: "write the manifests here instead of printing them" },
    },
  },
  {
    name: "slurm sweep",
    positionals: "EXPERIMENT",
    positionalsMin: 1,
    positionalsMax: 1,
    summary: "run a sweep on a Slurm cluster: a job array of one `sweep --shard` task per shard and a merge " +
      "job after it that writes --out (shards, caches, scripts and logs go to DIR.slurm/); prints the job ids; " +
      "DIR must be on a file system every node sees",
    options: {
      ...clusterSweepOptions,
      out: { type: "string", value: "DIR", required: true, description: "the merged sweep's directory" },
      "array-size": { type: "string", value: "N", description: "how many shards, one array task each (default 4)" },
      partition: { type: "string", value: "P", description: "the partition (default the cluster's)" },
      time: {
        type: "string",
        value: "T",
        description: "each job's time limit, as sbatch takes it (MM, HH:MM:SS, D-HH:MM, ...)",
      },
      "cpus-per-task": { type: "string", value: "C", description: "CPUs of each task (default 1)" },
      workers: { type: "string", value: "N", description: "worker count in each task (default --cpus-per-task)" },
      wait: { type: "boolean", description: "block until the merge is done and exit with the sweep's code" },
      resume: {
        type: "boolean",
        description: "re-submit the array tasks that failed (and the merge) of an earlier submission to DIR",
      },
      "dry-run": { type: "boolean", description: "print the job scripts; submit nothing, write nothing" },
    },
  },
  {
    name: "notebook",
    positionals: "[jupyter args]",
    positionalsMin: 0,
    positionalsMax: Infinity,
    summary: "start Jupyter with the Deno kernel registered (--node: the tslab kernel too)",
    options: { node: { type: "boolean", description: "also build dist/ and register the tslab (Node) kernel" } },
    passThrough: true,
  },
  {
    name: "setup",
    positionals: "",
    positionalsMin: 0,
    positionalsMax: 0,
    summary: "install Jupyter (Debian packages) and register the kernel; as root, install Slurm and munge " +
      "(Debian packages) for the Slurm test too",
    options: { node: { type: "boolean", description: "also build dist/ and set up the tslab (Node) kernel" } },
  },
  {
    name: "build",
    positionals: "",
    positionalsMin: 0,
    positionalsMax: 0,
    summary: "compile lib/ to dist/, an ESM package for Node and tslab (skipped when up to date)",
    options: { force: { type: "boolean", description: "build even when dist/ is up to date" } },
  },
  {
    name: "help",
    positionals: "[COMMAND]",
    positionalsMin: 0,
    positionalsMax: 1,
    summary: "this text, or one command's",
    options: {},
  },
];

/** The top-level command names, for errors and suggestions. */
export const commandNames: readonly string[] = [...new Set(commands.map((c) => c.name.split(" ")[0]))];

/** The command named `name` (`bench kernel` for a subcommand), or undefined. */
export function commandNamed(name: string): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}

/**
 * Parses a command's arguments: unknown options, a value missing or given to a flag, an option
 * given twice that may not repeat, and a wrong number of positionals are refused with a one-line
 * message naming what is allowed.
 *
 * @param extra options beyond the declared ones (the demo's experiment parameters)
 */
export function parseCommandLine(
  command: CommandSpec,
  args: string[],
  extra: Record<string, OptionSpec> = {},
): ParsedCommandLine {
  if (command.passThrough) return { values: {}, positionals: args };
  const declared: Record<string, OptionSpec> = {
    ...command.options,
    ...extra,
    help: { type: "boolean", description: "this command's help" },
  };
  const options = Object.fromEntries(
    Object.entries(declared).map(([name, o]) => [name, { type: o.type, multiple: o.multiple ?? false }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    throw new InputError(parseErrorMessage(command, declared, error));
  }
  for (const name of Object.keys(declared)) {
    const given = parsed.tokens.filter((t) => t.kind === "option" && t.name === name);
    if (given.length > 1 && !declared[name].multiple) {
      throw new InputError(`${command.name}: --${name} given ${given.length} times; give it once`);
    }
  }
  const values = { ...parsed.values } as ParsedCommandLine["values"];
  if (values.help === true) return { values, positionals: parsed.positionals };
  const missing = Object.keys(command.options).find((name) => command.options[name].required && !(name in values));
  if (missing !== undefined) {
    throw new InputError(`${command.name} needs --${missing}: ${command.options[missing].description}`);
  }
  const count = parsed.positionals.length;
  if (count < command.positionalsMin || count > command.positionalsMax) {
    const extraArgument = count > command.positionalsMax
      ? `; unexpected ${JSON.stringify(parsed.positionals[count - 1])}`
      : "";
    throw new InputError(`usage: ./faultline ${synopsis(command)}${extraArgument}`);
  }
  return { values, positionals: parsed.positionals };
}

function parseErrorMessage(command: CommandSpec, declared: Record<string, OptionSpec>, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const names = Object.keys(declared).map((n) => `--${n}`);
  const unknown = message.match(/Unknown option '([^']+)'/);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown) {
    const option = unknown[1];
    return `${command.name}: unknown option ${option}${suggest(option.replace(/=.*/, ""), names)}; allowed: ${
      names.join(", ")
    }`;
  }
  const option = message.match(/Option '(--?[^ ']+)/)?.[1] ?? "an option";
  if (/argument missing|argument is ambiguous/.test(message)) {
    const spec = declared[option.replace(/^-+/, "")];
    return `${command.name}: ${option} needs a value${spec?.value ? ` (${spec.value})` : ""}; ` +
      `a value starting with '-' goes as ${option}=VALUE`;
  }
  if (/does not take an argument/.test(message)) return `${command.name}: ${option} is a flag and takes no value`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return `usage: ./faultline ${synopsis(command)}`;
  return `${command.name}: ${message.split("\n")[0]}`;
}

/** `run EXPERIMENT [--param NAME=VALUE ...] [--seed N] ...` */
export function synopsis(command: CommandSpec): string {
  return synopsisParts(command).join(" ");
}

function synopsisParts(command: CommandSpec): string[] {
  const options = Object.entries(command.options).map(([name, o]) => {
    const text = `--${name}${o.value ? ` ${o.value}` : ""}${o.multiple ? " ..." : ""}`;
    return o.required ? text : `[${text}]`;
  });
  return [command.name, command.positionals, ...options].filter((part) => part !== "");
}

/** One command's help: synopsis, summary and every option with its description. */
export function commandHelp(command: CommandSpec): string {
  const lines = [wrap(synopsisParts(command), "", "    "), wrap(command.summary.split(" "), "  ", "  ")];
  const options = Object.entries(command.options);
  if (options.length > 0) lines.push("", "Options:");
  for (const [name, o] of options) {
    const left = `  --${name}${o.value ? ` ${o.value}` : ""}`;
    const description = `${o.description}${o.multiple ? " (repeatable)" : ""}`;
    lines.push(wrap([left.padEnd(26), ...description.split(" ")], "", " ".repeat(27)));
  }
  return lines.join("\n");
}

/** Joins `words` with spaces into lines of at most 100 columns, each starting with its indent. */
function wrap(words: readonly string[], firstIndent: string, indent: string): string {
  const lines: string[] = [];
  let line = firstIndent;
  for (const word of words) {
    const start = line === firstIndent || line === indent;
    if (!start && line.length + 1 + word.length > 100) {
      lines.push(line);
      line = indent;
    }
    line += (line === firstIndent || line === indent ? "" : " ") + word;
  }
  lines.push(line);
  return lines.join("\n");
}

/** The help of every command whose name starts with `name` (`bench` gives every benchmark). */
export function helpFor(name: string): string | undefined {
  const matching = commands.filter((c) => c.name === name || c.name.startsWith(`${name} `));
  return matching.length === 0 ? undefined : matching.map(commandHelp).join("\n\n");
}

/** The top-level usage: every command's synopsis and summary. */
export function usageText(): string {
  const entries = commands.map((c) =>
    `${wrap(synopsisParts(c), "  ", "        ")}\n${wrap(c.summary.split(" "), "      ", "      ")}`
  );
  return `Faultline: a workbench for distributed databases under load and faults.

Usage: ./faultline <command> [options]     (./faultline help COMMAND, or COMMAND --help, for one)

Commands:
${entries.join("\n")}

Exit codes: 0 success, 1 a violation was found (and nothing else), 2 bad input or usage (an edited
stored result, a directory Faultline did not write), 3 inconclusive ("unknown"; replay: the code
changed), 4 an internal error. Results go under results/, or $FAULTLINE_RESULTS when it is set.
`;
}

/**
 * A whole number from an option's text: digits only, so `""`, `abc`, `1e3` and `0x10` are refused
 * rather than read as 0, NaN, 1000 or 16.
 */
export function integerOption(
  name: string,
  text: string | undefined,
  range: { fallback: number; min?: number; max?: number },
): number {
  if (text === undefined) return range.fallback;
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const bound = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new InputError(`--${name} must be ${bound}, got ${JSON.stringify(text)}`);
  }
  return value;
}
