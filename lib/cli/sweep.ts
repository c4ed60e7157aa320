/**
 * `faultline sweep`: parses the grid, zip, fixed parameters and seeds, runs the sweep with a
 * progress bar (plain lines when not on a terminal), and exits 1 when any cell failed a check, 2
 * when a cell's parameters could not run, 4 when a cell ended in an internal error.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import { digestText } from "../base/mod.ts";
import {
  mergeShards,
  parseList,
  parseRange,
  parseSeeds,
  parseShard,
  resultsRoot,
  runSweep,
  type SweepProgress,
  type SweepSpec,
} from "../lab/mod.ts";
import { integerOption } from "./options.ts";

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s` : `${seconds}s`;
}

/**
 * One progress line. Until a cell has been computed there is no pace to extrapolate from, so the
 * line says when an estimate will come instead of printing a placeholder; once every cell is in,
 * it gives the time taken.
 */
export function progressText(p: SweepProgress): string {
  const counts = `${p.done}/${p.total} cells (${p.cached} cached, ${p.failures} failed)`;
  if (p.done === p.total) return `${counts}, done in ${formatDuration(p.elapsedMs)}`;
  const eta = Number.isFinite(p.etaMs) ? `ETA ${formatDuration(p.etaMs)}` : "ETA after the first cell";
  return `${counts}, ${formatDuration(p.elapsedMs)} elapsed, ${eta}`;
}

/** A progress reporter: a bar redrawn in place on a terminal, a line per cell otherwise. */
export function progressPrinter(terminal: boolean): (p: SweepProgress) => void {
  const encoder = new TextEncoder();
  return (p) => {
    const text = progressText(p);
    if (terminal) {
      const width = 30;
      const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
      Deno.stderr.writeSync(encoder.encode(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${text}`));
      if (p.done === p.total) Deno.stderr.writeSync(encoder.encode("\n"));
    } else {
      console.error(text);
    }
  };
}

/**
 * `NAME=...` options as a record; a name given twice is refused, since one of the two values
 * would silently be dropped.
 */
export function namedLists<T>(
  option: string,
  texts: readonly string[],
  parse: (text: string) => [string, T],
): Record<string, T> {
  const named: Record<string, T> = {};
  for (const text of texts) {
    const [name, value] = parse(text);
    if (Object.hasOwn(named, name)) throw new InputError(`${option} ${name} given twice; give it once`);
    named[name] = value;
  }
  return named;
}

function assignment(text: string): [string, string] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new InputError(`--param takes NAME=VALUE, got ${JSON.stringify(text)}`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

type Values = Record<string, string | boolean | string[] | undefined>;

/** The sweep's specification from the command line's values. */
export function sweepSpecOf(experiment: string, values: Values): SweepSpec {
  const list = (name: string) => (values[name] as string[] | undefined) ?? [];
  const text = (name: string) => values[name] as string | undefined;
  const spec: SweepSpec = {
    experiment,
    fixed: namedLists("--param", list("param"), assignment),
    grid: namedLists("--grid", list("grid"), (g) => parseList(g, "--grid")),
    zip: namedLists("--zip", list("zip"), (z) => parseList(z, "--zip")),
    seeds: parseSeeds(text("seeds") ?? "1..3"),
  };
  if (text("sample") === undefined && list("range").length === 0) {
    if (text("sample-seed") !== undefined) throw new InputError("--sample-seed needs --sample and --range");
    return spec;
  }
  if (list("range").length === 0) throw new InputError("--sample needs at least one --range NAME=MIN..MAX");
  if (text("sample") === undefined) throw new InputError("--range needs --sample N (how many points to draw)");
  spec.sample = {
    count: integerOption("sample", text("sample"), { fallback: 1, min: 1, max: 100_000 }),
    seed: integerOption("sample-seed", text("sample-seed"), { fallback: 1 }),
    ranges: namedLists("--range", list("range"), parseRange),
  };
  return spec;
}

/** Runs the sweep command; returns the exit code. */
export async function sweepCommand(experiment: string, values: Values, root: string): Promise<number> {
  const spec = sweepSpecOf(experiment, values);
  const workersText = values.workers as string | undefined;
  const workers = workersText === undefined
    ? undefined
    : integerOption("workers", workersText, { fallback: 1, min: 1, max: 256 });
  const out = values.out as string | undefined;
  const results = resultsRoot(root);
  const shardText = values.shard as string | undefined;
  const shard = shardText === undefined ? undefined : parseShard(shardText);
  const suffix = shard === undefined ? "" : `-shard-${shard.index}-of-${shard.count}`;
  const dir = out ?? `${results}/${spec.experiment}/sweep-${digestText(JSON.stringify(spec)).slice(0, 10)}${suffix}`;
  const json = values.json === true;
  const result = await runSweep(spec, {
    dir,
    cacheDir: (values.cache as string | undefined) ?? `${results}/${spec.experiment}/cache`,
    workers,
    force: values.force === true,
    resume: values.resume === true,
    keepHistories: values["keep-histories"] === true,
    onProgress: json ? undefined : progressPrinter(Deno.stderr.isTerminal()),
    wallClockMs: () => performance.now(),
    shard,
  }, `${root}/lib`);
  for (const reason of result.discarded) console.error(`faultline: not reused: ${reason}`);
  if (json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      `${result.rows.length} cells, ${result.failures} failed a check, ${result.errors.length} did not run to a ` +
        `verdict; wrote ${dir.replace(`${root}/`, "")}/`,
    );
  }
  for (const error of result.errors.slice(0, 3)) console.error(`faultline: cell ${error.cell}: ${error.message}`);
  // A cell without a verdict leaves the sweep incomplete, which outranks the violations it found.
  if (result.errors.some((e) => e.kind === "internal")) return 4;
  if (result.errors.length > 0) return 2;
  return result.failures > 0 ? 1 : 0;
}

/**
 * Runs the merge command: verifies the shard directories and writes the merged sweep to `out`.
 * Exit 0, or 1 when a cell failed a check, 2 when a cell ran to no verdict for bad parameters, or
 * 4 when Faultline itself failed in one (as the sweep would).
 */
export async function mergeCommand(dirs: string[], values: Values, root: string): Promise<number> {
  const out = values.out as string;
  const result = await mergeShards(dirs, out);
  if (values.json === true) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      `merged ${dirs.length} shards: ${result.rows.length} cells, ${result.failures} failed a check, ` +
        `${result.errors.length} did not run to a verdict; wrote ${out.replace(`${root}/`, "")}/`,
    );
  }
  if (result.errors.length > 0) {
    console.error(`faultline: cells ${result.errors.slice(0, 10).join(", ")} ran to no verdict; resume their shards`);
    return result.internalErrors.length > 0 ? 4 : 2;
  }
  return result.failures > 0 ? 1 : 0;
}
