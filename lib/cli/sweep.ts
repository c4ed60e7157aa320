/**
 * `faultline sweep`: parses the grid, zip, fixed parameters and seeds, runs the sweep with a
 * progress bar (plain lines when not on a terminal), and exits 1 when any cell failed a check.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import {
  digest,
  parseList,
  parseRange,
  parseSeeds,
  resultsRoot,
  runSweep,
  type SweepProgress,
  type SweepSpec,
} from "../lab/mod.ts";

function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const seconds = Math.round(ms / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s` : `${seconds}s`;
}

/** A progress reporter: a bar redrawn in place on a terminal, a line per cell otherwise. */
export function progressPrinter(terminal: boolean): (p: SweepProgress) => void {
  const encoder = new TextEncoder();
  return (p) => {
    const text = `${p.done}/${p.total} cells (${p.cached} cached, ${p.failures} failed), ` +
      `${formatDuration(p.elapsedMs)} elapsed, ETA ${formatDuration(p.etaMs)}`;
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

/** Runs the sweep command; returns the exit code. */
export async function sweepCommand(
  positional: string[],
  options: Record<string, string>,
  repeated: Record<string, string[]>,
  root: string,
): Promise<number> {
  if (positional.length !== 1) throw new InputError("usage: ./faultline sweep EXPERIMENT [--grid NAME=V1,V2,...] ...");
  const fixed: Record<string, unknown> = {};
  for (const assignment of repeated.param ?? []) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new InputError(`--param takes NAME=VALUE, got ${JSON.stringify(assignment)}`);
    fixed[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  const spec: SweepSpec = {
    experiment: positional[0],
    fixed,
    grid: Object.fromEntries((repeated.grid ?? []).map((g) => parseList(g, "--grid"))),
    zip: Object.fromEntries((repeated.zip ?? []).map((z) => parseList(z, "--zip"))),
    seeds: parseSeeds(options.seeds ?? "1..3"),
  };
  if (options.sample !== undefined || repeated.range !== undefined) {
    const count = Number(options.sample);
    if (!Number.isInteger(count) || count < 1 || count > 100_000) {
      throw new InputError(
        `--sample takes a count from 1 to 100000 (with --range NAME=MIN..MAX), got ${options.sample}`,
      );
    }
    if (repeated.range === undefined) throw new InputError("--sample needs at least one --range NAME=MIN..MAX");
    spec.sample = {
      count,
      seed: Number(options["sample-seed"] ?? 1),
      ranges: Object.fromEntries(repeated.range.map(parseRange)),
    };
  }
  const workers = options.workers === undefined ? undefined : Number(options.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 256)) {
    throw new InputError(`--workers must be an integer from 1 to 256, got ${options.workers}`);
  }
  const results = resultsRoot(root);
  const dir = options.out ?? `${results}/${spec.experiment}/sweep-${digest(JSON.stringify(spec)).slice(0, 10)}`;
  const result = await runSweep(spec, {
    dir,
    cacheDir: options.cache ?? `${results}/${spec.experiment}/cache`,
    workers,
    force: options.force === "true",
    resume: options.resume === "true",
    keepHistories: options["keep-histories"] === "true",
    onProgress: options.json === "true" ? undefined : progressPrinter(Deno.stderr.isTerminal()),
    wallClockMs: () => performance.now(),
  }, `${root}/lib`);
  for (const reason of result.discarded) console.error(`faultline: not reused: ${reason}`);
  if (options.json === "true") console.log(JSON.stringify(result, null, 2));
  else {console.log(
      `${result.rows.length} cells, ${result.failures} failed a check; wrote ${dir.replace(`${root}/`, "")}/`,
    );}
  return result.failures > 0 ? 1 : 0;
}
