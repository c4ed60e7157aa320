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
import { assert, InputError } from "../assert.ts";
import type { ParamValues } from "../params.ts";
import { digestText } from "../base/mod.ts";
import { type Cell, sweepCells, type SweepSpec } from "./cells.ts";
import { claimDirectory, contentHash, recordHash, toCsv, writeAtomically } from "./files.ts";
import { assignShards, cellCostEstimate, type ShardSpec } from "./shard.ts";
import type { PackedHistory } from "./run.ts";
import { experimentNamed, experimentSystemOf } from "./registry.ts";
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
  /** The module each worker runs; default `worker.ts` (tests give one that fails). */
  workerModule?: URL;
  /** Run only this slice of the cells (see `shard.ts`); the directory then holds only its rows. */
  shard?: ShardSpec;
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
  /** Cache entries that were not reused (edited, incomplete, unreadable), each with the reason. */
  discarded: string[];
}

interface CachedCell extends CellReply {
  key: string;
  seed: number;
  params: Record<string, unknown>;
  wallSeconds: number;
  /** SHA-256 of the entry without this field: an edited entry is not reused. */
  hash?: string;
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
  return digestText(parts.join("\0"));
}

/** Runs (or resumes) a sweep and writes its directory. */
export async function runSweep(spec: SweepSpec, options: SweepOptions, libDir: string): Promise<SweepResult> {
  const experiment = experimentNamed(spec.experiment);
  const version = await codeVersion(libDir);
  const allCells = sweepCells(spec, experiment.params, version);
  validatePoints(allCells, experiment.validate);
  const shard = options.shard;
  const held = shard === undefined ? undefined : assignShards(allCells, shard.count)[shard.index - 1];
  const cells = held === undefined ? allCells : held.map((index) => allCells[index]);
  const specText = JSON.stringify(spec, null, 2) + "\n";
  const shardText = shard === undefined ? undefined : JSON.stringify({ index: shard.index, count: shard.count }) + "\n";
  await prepareDirectories(options, specText, shardText);
  const started = options.wallClockMs();
  const finished = new Map<number, CachedCell>();
  // Counted as cells finish: progress is reported per cell, so it must not rescan them all.
  let failures = 0;
  const toRun: Cell[] = [];
  const discarded: string[] = [];
  for (const cell of cells) {
    const cached = options.force ? undefined : await readCached(options.cacheDir, cell.key);
    if (typeof cached === "string") discarded.push(cached);
    if (cached !== undefined && typeof cached !== "string") {
      finished.set(cell.index, cached);
      if (cached.verdict !== true) failures++;
    } else toRun.push(cell);
  }
  const cachedCount = finished.size;
  let computed = 0;
  const progress = () => {
    const elapsedMs = options.wallClockMs() - started;
    const left = cells.length - finished.size;
    const etaMs = left === 0 ? 0 : computed === 0 ? NaN : (elapsedMs / computed) * left;
    options.onProgress?.({ done: finished.size, total: cells.length, cached: cachedCount, failures, elapsedMs, etaMs });
  };
  progress();
  const errors: SweepResult["errors"] = [];
  // Longest first, by the cost the shards balance on: the costliest cells do not start last and
  // leave one worker running them while the others idle. The table is in cell order whatever the
  // order they ran in.
  const costs = new Map(toRun.map((cell) => [cell.index, cellCostEstimate(cell.params)]));
  toRun.sort((a, b) => costs.get(b.index)! - costs.get(a.index)! || a.index - b.index);
  await runPool(toRun, spec.experiment, options, async (cell, reply, wallSeconds) => {
    const entry: CachedCell = { ...reply, key: cell.key, seed: cell.seed, params: cell.params, wallSeconds };
    if (reply.errorKind !== undefined) {
      // Not a verdict: kept out of the cache and of the failures, so the next run tries again.
      errors.push({ cell: cell.index, kind: reply.errorKind, message: reply.error ?? "" });
      finished.set(cell.index, asStored(entry));
      computed++;
      progress();
      return;
    }
    if (reply.history !== undefined) {
      await writeHistory(`${options.dir}/histories/${cell.key}`, reply.history);
      delete entry.history;
    }
    entry.hash = await recordHash(entry as unknown as Record<string, unknown>, "hash");
    await writeAtomically(`${options.cacheDir}/${cell.key}.json`, JSON.stringify(entry) + "\n");
    finished.set(cell.index, asStored(entry));
    if (entry.verdict !== true) failures++;
    computed++;
    progress();
  });
  const rows = cells.map((cell) => rowOf(cell, finished.get(cell.index)!));
  const { csv, arrow } = sweepTables(rows);
  await writeAtomically(`${options.dir}/results.csv`, csv);
  await writeAtomically(`${options.dir}/results.arrow`, arrow);
  // A shard keeps its rows as JSON too: a merge needs their values with their types, which the
  // CSV does not keep, to write the very table one machine would have written.
  const shardFiles: Record<string, string> = {};
  if (shardText !== undefined) {
    shardFiles["rows.json"] = JSON.stringify(rows) + "\n";
    await writeAtomically(`${options.dir}/rows.json`, shardFiles["rows.json"]);
    shardFiles["shard.json"] = shardText;
  }
  const manifest: Record<string, unknown> = {
    experiment: spec.experiment,
    spec,
    codeVersion: version,
    // In a shard, the whole sweep's cell count; `shard.cells` lists the cells this one holds.
    cells: allCells.length,
    ...(shard === undefined ? {} : { shard: { index: shard.index, count: shard.count, cells: held } }),
    cached: cachedCount,
    failures,
    errors: errors.length,
    wallSeconds: Math.round(options.wallClockMs() - started) / 1000,
    files: {
      "sweep.json": await contentHash(specText),
      "results.csv": await contentHash(csv),
      "results.arrow": await contentHash(arrow),
      ...Object.fromEntries(
        await Promise.all(Object.entries(shardFiles).map(async ([name, text]) => [name, await contentHash(text)])),
      ),
      ...await historyHashes(`${options.dir}/histories`, cells),
    },
  };
  manifest.manifestHash = await recordHash(manifest, "manifestHash");
  await writeAtomically(`${options.dir}/manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
  return {
    rows,
    failures,
    errors: errors.sort((a, b) => a.cell - b.cell),
    cached: cachedCount,
    dir: options.dir,
    discarded,
  };
}

/**
 * A finished cell as the cache stores it (JSON): a fresh cell's NaN becomes null, as it does when
 * the cell is read back from the cache, so a table does not depend on which cells were cached.
 */
function asStored(entry: CachedCell): CachedCell {
  return JSON.parse(JSON.stringify(entry)) as CachedCell;
}

/** A sweep's tables, `results.csv` and `results.arrow`, from its rows in cell order. */
export function sweepTables(rows: SweepRow[]): { csv: string; arrow: Uint8Array } {
  return { csv: toCsv(rows), arrow: aq.from(uniformColumns(rows)).toArrowIPC() };
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

/** Writes a cell's history as `<base>.jsonl`, or `<base>.jsonl.gz` when the worker gzipped it (large). */
async function writeHistory(base: string, history: PackedHistory): Promise<void> {
  if (history.name === "history.jsonl.gz") await writeAtomically(`${base}.jsonl.gz`, history.content);
  else await writeAtomically(`${base}.jsonl`, history.content);
}

async function historyHashes(dir: string, cells: Cell[]): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const cell of cells) {
    for (const name of [`${cell.key}.jsonl`, `${cell.key}.jsonl.gz`]) {
      const bytes = await Deno.readFile(`${dir}/${name}`).catch(() => undefined);
      if (bytes !== undefined) hashes[`histories/${name}`] = await contentHash(bytes);
    }
  }
  return hashes;
}

async function prepareDirectories(options: SweepOptions, specText: string, shardText?: string): Promise<void> {
  if (options.resume) {
    const existing = await Deno.readTextFile(`${options.dir}/sweep.json`).catch(() => undefined);
    if (existing === undefined) {
      throw new InputError(`--resume: ${options.dir} holds no sweep to resume (no sweep.json)`);
    }
    if (existing !== specText) {
      throw new InputError(
        `--resume: the sweep in ${options.dir} has a different spec; run it without --resume or use another --out`,
      );
    }
    const existingShard = await Deno.readTextFile(`${options.dir}/shard.json`).catch(() => undefined);
    if (existingShard !== shardText) {
      const what = (text: string | undefined) =>
        text === undefined ? "the whole sweep" : `shard ${JSON.parse(text).index}/${JSON.parse(text).count}`;
      throw new InputError(
        `--resume: ${options.dir} holds ${what(existingShard)}, not ${
          what(shardText)
        }; give the same --shard or another --out`,
      );
    }
  }
  // Both directories must be Faultline's before anything is written; claiming them also removes
  // the temporaries a killed sweep left behind (results only ever appear by rename).
  await claimDirectory(options.dir, "sweep");
  await claimDirectory(options.cacheDir, "cache");
  await claimDirectory(`${options.dir}/histories`, "sweep");
  await writeAtomically(`${options.dir}/sweep.json`, specText);
  if (shardText !== undefined) await writeAtomically(`${options.dir}/shard.json`, shardText);
}

/**
 * The cached cell `key`, undefined when there is none, or the reason it cannot be reused: a cache
 * entry is reused only when it is whole, of this cell, and as Faultline wrote it.
 */
async function readCached(cacheDir: string, key: string): Promise<CachedCell | string | undefined> {
  const path = `${cacheDir}/${key}.json`;
  const text = await Deno.readTextFile(path).catch(() => undefined);
  if (text === undefined) return undefined;
  let entry: CachedCell;
  try {
    entry = JSON.parse(text) as CachedCell;
  } catch {
    return `${path} is not valid JSON; running the cell again`;
  }
  const missing = cacheEntryProblem(entry, key);
  if (missing !== undefined) return `${path} ${missing}; running the cell again`;
  if (await recordHash(entry as unknown as Record<string, unknown>, "hash") !== entry.hash) {
    return `${path} was changed after Faultline wrote it; running the cell again`;
  }
  return entry;
}

function cacheEntryProblem(entry: CachedCell, key: string): string | undefined {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return "is not a cache entry";
  if (entry.key !== key) return `is the entry of another cell (key ${JSON.stringify(entry.key)})`;
  const fields: [string, boolean][] = [
    ["figures", typeof entry.figures === "object" && entry.figures !== null && !Array.isArray(entry.figures)],
    ["checks", Array.isArray(entry.checks)],
    ["verdict", entry.verdict === true || entry.verdict === false || entry.verdict === "unknown"],
    ["traceHash", typeof entry.traceHash === "string"],
    ["events", typeof entry.events === "number"],
    ["seed", typeof entry.seed === "number"],
    ["hash", typeof entry.hash === "string"],
  ];
  const bad = fields.filter(([, ok]) => !ok).map(([name]) => name);
  return bad.length === 0 ? undefined : `is incomplete (missing or malformed: ${bad.join(", ")})`;
}

/**
 * Cells in flight per worker: the one running and one queued behind it, so a worker starts its
 * next cell without waiting for this thread (busy with the last reply's writes, or not scheduled
 * on a loaded machine) to send it. More would only take cells from a worker that ends up idle.
 */
const cellsInFlightPerWorker = 2;

/** Runs cells on a pool of workers, calling `done` for each as it finishes. */
async function runPool(
  cells: Cell[],
  experiment: string,
  options: SweepOptions,
  done: (cell: Cell, reply: CellReply, wallSeconds: number) => Promise<void>,
): Promise<void> {
  if (cells.length === 0) return;
  const count = Math.max(1, Math.min(options.workers ?? navigator.hardwareConcurrency, cells.length));
  const system = experimentSystemOf(experiment);
  let next = 0;
  let writes = Promise.resolve();
  const module = options.workerModule ?? new URL("./worker.ts", import.meta.url);
  const spawn = () => new Worker(module, { type: "module" });
  const requestOf = (cell: Cell): CellRequest => ({
    index: cell.index,
    experiment,
    system,
    params: cell.params,
    seed: cell.seed,
    keepHistory: options.keepHistories ?? false,
  });
  const work = (first: Worker) =>
    new Promise<void>((resolve) => {
      let worker = first;
      // Sent and not yet answered, in the order sent: the worker answers in that order.
      let inFlight: Cell[] = [];
      // When the oldest cell in flight began to run: when it was sent, or when the one before it ended.
      let runningSinceMs = 0;
      const fill = () => {
        while (inFlight.length < cellsInFlightPerWorker && next < cells.length) {
          const cell = cells[next++];
          if (inFlight.length === 0) runningSinceMs = options.wallClockMs();
          inFlight.push(cell);
          worker.postMessage(requestOf(cell));
        }
        if (inFlight.length === 0) {
          worker.terminate();
          resolve();
        }
      };
      const listen = () => {
        worker.onmessage = (event: MessageEvent<CellReply>) => {
          const cell = inFlight.shift()!;
          assert(event.data.index === cell.index, `worker answered cell ${event.data.index}, expected ${cell.index}`);
          const endedMs = options.wallClockMs();
          const wallSeconds = (endedMs - runningSinceMs) / 1000;
          runningSinceMs = endedMs;
          // Writes happen one at a time, in finishing order, so no two touch a file at once.
          writes = writes.then(() => done(cell, event.data, wallSeconds));
          fill();
        };
        // A worker that failed (its modules did not load, or an error escaped a run) is gone: the
        // cell it was running ends in an internal error, not a verdict, and a fresh worker gets
        // the cells queued behind it and the next ones.
        worker.onerror = (event) => {
          event.preventDefault();
          const [cell, ...queued] = inFlight;
          const reply: CellReply = {
            index: cell.index,
            figures: {},
            checks: [],
            verdict: "unknown",
            traceHash: "",
            events: 0,
            error: `worker failed: ${event.message}`,
            errorKind: "internal",
          };
          writes = writes.then(() => done(cell, reply, 0));
          worker.terminate();
          worker = spawn();
          listen();
          inFlight = queued;
          runningSinceMs = options.wallClockMs();
          for (const again of queued) worker.postMessage(requestOf(again));
          fill();
        };
      };
      listen();
      fill();
    });
  const workers = Array.from({ length: count }, spawn);
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
    failedChecks: (entry.checks ?? []).filter((c) => c.valid === false).map((c) => c.checker).join(";"),
    error: entry.error ?? "",
    traceHash: entry.traceHash,
    events: entry.events,
    key: cell.key,
  };
}

/**
 * The rows with one type per column, as an Arrow table needs: a column whose values are of more
 * than one type (a verdict true, false or "unknown"; a figure that is a number in one cell and
 * text in another) holds them all as text. A missing value (absent, null, or NaN, which JSON stores
 * as null) stays null, so a numeric column with gaps stays numeric. Every row gets every column.
 */
export function uniformColumns(rows: SweepRow[]): SweepRow[] {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const textColumns = new Set(columns.filter((column) => {
    const types = new Set(rows.map((r) => r[column]).filter((v) => v !== null && v !== undefined).map(typeOf));
    return types.size > 1 || types.has("other");
  }));
  return rows.map((row) =>
    Object.fromEntries(columns.map((column) => {
      const value = row[column] ?? null;
      if (value === null || !textColumns.has(column)) return [column, value];
      return [column, typeof value === "object" ? JSON.stringify(value) : String(value)];
    }))
  );
}

function typeOf(value: unknown): string {
  return typeof value === "number" || typeof value === "boolean" || typeof value === "string" ? typeof value : "other";
}
