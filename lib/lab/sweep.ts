/**
 * Sweeps: many cells (parameter points times seeds) run by a pool of Deno workers, with every
 * finished cell cached on disk at once (atomically), so an interrupted sweep resumes where it
 * stopped and a re-run reuses what it has unless forced. The final table is in cell order,
 * whatever order the cells finished in.
 *
 * Layout: `results/<experiment>/cache/<key>.json` holds one finished cell; a sweep directory holds
 * `sweep.json` (the spec, written first), `results.csv` and `results.arrow` (one row per cell),
 * `manifest.json`, and `histories/<key>.jsonl` for cells whose checks failed (or all, if kept).
 *
 * @module
 */
import * as aq from "arquero";
import { InputError } from "../assert.ts";
import type { ParamValues } from "../params.ts";
import { type Cell, digest, sweepCells, type SweepSpec } from "./cells.ts";
import { toCsv } from "./files.ts";
import { experimentNamed } from "./registry.ts";
import type { CellReply, CellRequest } from "./worker.ts";

/** How to run a sweep. */
export interface SweepOptions {
  /** The sweep's directory. */
  dir: string;
  /** Where finished cells are cached (shared by the experiment's sweeps). */
  cacheDir: string;
  /** Worker count; default: one per core. */
  workers?: number;
  /** Recompute cells even when cached. */
  force?: boolean;
  /** Continue the sweep already in `dir` (it must exist with the same spec). */
  resume?: boolean;
  /** Keep every cell's history, not only those of cells whose checks failed. */
  keepHistories?: boolean;
  /** Called after each finished cell. */
  onProgress?: (progress: SweepProgress) => void;
  /** The wall clock, for progress and timing only (the library reads none itself). */
  wallClockMs: () => number;
}

/** Where a sweep stands. */
export interface SweepProgress {
  done: number;
  total: number;
  cached: number;
  failures: number;
  elapsedMs: number;
  /** Estimated time left, from the pace of computed cells (NaN before the first). */
  etaMs: number;
}

/** One row of a sweep's results table. */
export type SweepRow = Record<string, unknown>;

/** A finished sweep. */
export interface SweepResult {
  rows: SweepRow[];
  /** Cells whose checks found a violation (or whose run broke an assertion). */
  failures: number;
  /** Cells that did not run to a verdict: bad parameters or an internal error (see `CellReply.errorKind`). */
  errors: { cell: number; kind: "input" | "internal"; message: string }[];
  cached: number;
  dir: string;
}

interface CachedCell extends CellReply {
  key: string;
  seed: number;
  params: Record<string, unknown>;
  wallSeconds: number;
}

const codeVersions = new Map<string, Promise<string>>();

/**
 * A hash of the library's sources: a cached cell is reused only by the same code. It is taken once
 * per process, since the code that runs is the code that was loaded, whatever the files say later.
 */
export function codeVersion(libDir: string): Promise<string> {
  let version = codeVersions.get(libDir);
  if (version === undefined) codeVersions.set(libDir, version = hashSources(libDir));
  return version;
}

async function hashSources(libDir: string): Promise<string> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    const names: { name: string; isDirectory: boolean }[] = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry); // order-safe: sorted next
    names.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of names) {
      if (entry.isDirectory) await walk(`${dir}/${entry.name}`);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) files.push(`${dir}/${entry.name}`);
    }
  };
  await walk(libDir);
  const parts: string[] = [];
  for (const file of files) parts.push(file.slice(libDir.length), await Deno.readTextFile(file));
  return digest(parts.join("\0"));
}

/** Runs (or resumes) a sweep and writes its directory. */
export async function runSweep(spec: SweepSpec, options: SweepOptions, libDir: string): Promise<SweepResult> {
  const experiment = experimentNamed(spec.experiment);
  const version = await codeVersion(libDir);
  const cells = sweepCells(spec, experiment.params, version);
  validatePoints(cells, experiment.validate);
  const specText = JSON.stringify(spec, null, 2) + "\n";
  await prepareDirectories(options, specText);
  const started = options.wallClockMs();
  const finished = new Map<number, CachedCell>();
  // Counted as cells finish: progress is reported per cell, so it must not rescan them all.
  let failures = 0;
  const toRun: Cell[] = [];
  for (const cell of cells) {
    const cached = options.force ? undefined : await readCached(options.cacheDir, cell.key);
    if (cached !== undefined) {
      finished.set(cell.index, cached);
      if (cached.verdict !== true) failures++;
    } else toRun.push(cell);
  }
  const cachedCount = finished.size;
  let computed = 0;
  const progress = () => {
    const elapsedMs = options.wallClockMs() - started;
    const etaMs = computed === 0 ? NaN : (elapsedMs / computed) * (cells.length - finished.size);
    options.onProgress?.({ done: finished.size, total: cells.length, cached: cachedCount, failures, elapsedMs, etaMs });
  };
  progress();
  const errors: SweepResult["errors"] = [];
  await runPool(toRun, spec.experiment, options, async (cell, reply, wallSeconds) => {
    const entry: CachedCell = { ...reply, key: cell.key, seed: cell.seed, params: cell.params, wallSeconds };
    if (reply.errorKind !== undefined) {
      // Not a verdict: kept out of the cache and of the failures, so the next run tries again.
      errors.push({ cell: cell.index, kind: reply.errorKind, message: reply.error ?? "" });
      finished.set(cell.index, entry);
      computed++;
      progress();
      return;
    }
    if (reply.history !== undefined) {
      await writeAtomically(`${options.dir}/histories/${cell.key}.jsonl`, reply.history);
      delete entry.history;
    }
    await writeAtomically(`${options.cacheDir}/${cell.key}.json`, JSON.stringify(entry) + "\n");
    finished.set(cell.index, entry);
    if (entry.verdict !== true) failures++;
    computed++;
    progress();
  });
  const rows = cells.map((cell) => rowOf(cell, finished.get(cell.index)!));
  await writeAtomically(`${options.dir}/results.csv`, toCsv(rows));
  await Deno.writeFile(`${options.dir}/results.arrow.tmp`, aq.from(rows.map(flatForArrow)).toArrowIPC());
  await Deno.rename(`${options.dir}/results.arrow.tmp`, `${options.dir}/results.arrow`);
  const manifest = {
    experiment: spec.experiment,
    spec,
    codeVersion: version,
    cells: cells.length,
    cached: cachedCount,
    failures,
    errors: errors.length,
    wallSeconds: Math.round(options.wallClockMs() - started) / 1000,
  };
  await writeAtomically(`${options.dir}/manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
  return { rows, failures, errors: errors.sort((a, b) => a.cell - b.cell), cached: cachedCount, dir: options.dir };
}

/** Asks the experiment about each distinct parameter point, before any cell runs. */
function validatePoints(cells: readonly Cell[], validate: ((params: ParamValues) => void) | undefined): void {
  if (validate === undefined) return;
  const seen = new Set<string>();
  for (const cell of cells) {
    const text = JSON.stringify(cell.params);
    if (seen.has(text)) continue;
    seen.add(text);
    try {
      validate(cell.params);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      throw new InputError(`sweep cell ${cell.index}: ${error.message}; no cell was run`);
    }
  }
}

async function prepareDirectories(options: SweepOptions, specText: string): Promise<void> {
  const existing = await Deno.readTextFile(`${options.dir}/sweep.json`).catch(() => undefined);
  if (options.resume && existing === undefined) {
    throw new InputError(`--resume: ${options.dir} holds no sweep to resume (no sweep.json)`);
  }
  if (options.resume && existing !== specText) {
    throw new InputError(
      `--resume: the sweep in ${options.dir} has a different spec; run it without --resume or use another --out`,
    );
  }
  await Deno.mkdir(`${options.dir}/histories`, { recursive: true });
  await Deno.mkdir(options.cacheDir, { recursive: true });
  // Temporary files of a process killed mid-write are junk: results only ever appear by rename.
  for (const dir of [options.cacheDir, options.dir, `${options.dir}/histories`]) {
    const stale: string[] = [];
    for await (const entry of Deno.readDir(dir)) if (entry.name.includes(".tmp")) stale.push(entry.name); // order-safe
    for (const name of stale.sort()) await Deno.remove(`${dir}/${name}`);
  }
  await writeAtomically(`${options.dir}/sweep.json`, specText);
}

async function readCached(cacheDir: string, key: string): Promise<CachedCell | undefined> {
  const text = await Deno.readTextFile(`${cacheDir}/${key}.json`).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as CachedCell;
  } catch {
    return undefined; // unreadable: compute it again
  }
}

/** Runs cells on a pool of workers, calling `done` for each as it finishes. */
async function runPool(
  cells: Cell[],
  experiment: string,
  options: SweepOptions,
  done: (cell: Cell, reply: CellReply, wallSeconds: number) => Promise<void>,
): Promise<void> {
  if (cells.length === 0) return;
  const count = Math.max(1, Math.min(options.workers ?? navigator.hardwareConcurrency, cells.length));
  let next = 0;
  let writes = Promise.resolve();
  const work = (worker: Worker) =>
    new Promise<void>((resolve) => {
      let current: Cell | undefined;
      let sentMs = 0;
      const send = () => {
        if (next >= cells.length) {
          worker.terminate();
          resolve();
          return;
        }
        current = cells[next++];
        sentMs = options.wallClockMs();
        const request: CellRequest = {
          index: current.index,
          experiment,
          params: current.params,
          seed: current.seed,
          keepHistory: options.keepHistories ?? false,
        };
        worker.postMessage(request);
      };
      worker.onmessage = (event: MessageEvent<CellReply>) => {
        const cell = current!;
        const wallSeconds = (options.wallClockMs() - sentMs) / 1000;
        // Writes happen one at a time, in finishing order, so no two touch a file at once.
        writes = writes.then(() => done(cell, event.data, wallSeconds));
        send();
      };
      worker.onerror = (event) => {
        event.preventDefault();
        const cell = current!;
        const reply: CellReply = {
          index: cell.index,
          figures: {},
          checks: [],
          verdict: false,
          traceHash: "",
          events: 0,
          error: `worker failed: ${event.message}`,
        };
        writes = writes.then(() => done(cell, reply, 0));
        send();
      };
      send();
    });
  const workers = Array.from(
    { length: count },
    () => new Worker(new URL("./worker.ts", import.meta.url), { type: "module" }),
  );
  await Promise.all(workers.map(work));
  await writes;
}

function rowOf(cell: Cell, entry: CachedCell): SweepRow {
  return {
    cell: cell.index,
    seed: cell.seed,
    ...cell.params,
    ...entry.figures,
    verdict: entry.verdict,
    error: entry.error ?? "",
    traceHash: entry.traceHash,
    events: entry.events,
    key: cell.key,
  };
}

function flatForArrow(row: SweepRow): SweepRow {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, arrowValue(v)]));
}

/**
 * A missing figure (null: nothing to measure in that cell, or NaN, which JSON stores as null)
 * stays null, so a numeric column with gaps stays numeric rather than mixing in the text "null".
 */
function arrowValue(value: unknown): unknown {
  return value === null || typeof value === "boolean" || typeof value === "number" ? value : String(value);
}

/** Writes `text` to `path` through a temporary file and a rename. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(temporary, text);
  await Deno.rename(temporary, path);
}
