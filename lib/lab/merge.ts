/**
 * Merging the shards of a sweep (`sweep --shard I/N`) into the directory one machine would have
 * written: `results.csv` and `results.arrow` byte-identical to the unsharded sweep's. Every shard
 * is verified first (its manifest and content hashes), then the set is checked for being shards
 * of one sweep (spec, code version, shard count), for cells no shard holds (naming the shard that
 * should) and for cells two shards hold; only then is anything written, whole, by one rename.
 *
 * @example
 * ```ts
 * import { mergeShards } from "./merge.ts";
 * // await mergeShards(["results/echo/sweep-1-of-2", "results/echo/sweep-2-of-2"], "results/echo/merged");
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import { sweepCells, type SweepSpec } from "./cells.ts";
import { contentHash, recordHash, verifyStored, writeResultDir } from "./files.ts";
import { experimentNamed } from "./registry.ts";
import { assignShards } from "./shard.ts";
import { type SweepRow, sweepTables } from "./sweep.ts";

/** A merged sweep. */
export interface MergeResult {
  rows: SweepRow[];
  /** Cells whose checks found a violation (or whose run broke an assertion). */
  failures: number;
  /** Cells that ended without a verdict, by cell index, as in the shards' rows. */
  errors: number[];
  /** Those of them that Faultline itself failed (not bad parameters): a sweep would exit 4. */
  internalErrors: number[];
  dir: string;
}

interface Shard {
  dir: string;
  manifest: Record<string, unknown> & { files: Record<string, string> };
  index: number;
  count: number;
  cells: number[];
  rows: SweepRow[];
}

/** How many cells an error message lists before it says "and K more". */
const listedCellsMax = 10;

/**
 * Verifies the shard directories `dirs` and writes their merged sweep to `out`. Throws an
 * `InputError` naming the directory, file or cells at fault, before writing anything.
 */
export async function mergeShards(dirs: readonly string[], out: string): Promise<MergeResult> {
  if (dirs.length === 0) throw new InputError("merge needs at least one shard directory");
  const shards: Shard[] = [];
  for (const dir of dirs) shards.push(await readShard(dir));
  const first = shards[0];
  for (const shard of shards.slice(1)) sameSweep(first, shard);
  const byIndex = new Map<number, Shard>();
  for (const shard of shards) {
    const earlier = byIndex.get(shard.index);
    if (earlier !== undefined) {
      throw new InputError(
        `duplicated cells: shard ${shard.index}/${shard.count} is given twice (${earlier.dir} and ${shard.dir}); ` +
          `give each shard once`,
      );
    }
    byIndex.set(shard.index, shard);
  }
  const total = first.manifest.cells as number;
  const holder = new Map<number, Shard>();
  const duplicated: string[] = [];
  for (const shard of shards) {
    for (const cell of shard.cells) {
      const earlier = holder.get(cell);
      if (earlier !== undefined) duplicated.push(`cell ${cell} (in ${earlier.dir} and ${shard.dir})`);
      else holder.set(cell, shard);
    }
  }
  if (duplicated.length > 0) {
    throw new InputError(`duplicated cells: ${listed(duplicated)}; give each shard once`);
  }
  const missing = Array.from({ length: total }, (_, i) => i).filter((cell) => !holder.has(cell));
  if (missing.length > 0) throw new InputError(missingMessage(first, missing));
  const rows = shards.flatMap((shard) => shard.rows).sort((a, b) => (a.cell as number) - (b.cell as number));
  const files = await mergedFiles(first, shards, rows);
  await writeResultDir(out, files, { kind: "sweep", replaceable: (name) => name === "histories" });
  return {
    rows,
    failures: rows.filter((row) => rowErrorKind(row) === undefined && row.verdict !== true).length,
    errors: rows.filter((row) => rowErrorKind(row) !== undefined).map((row) => row.cell as number),
    internalErrors: rows.filter((row) => rowErrorKind(row) === "internal").map((row) => row.cell as number),
    dir: out,
  };
}

/**
 * How the sweep counted a row's error, read from its text (the worker writes `name: message`): an
 * assertion the code broke is a found bug, a verdict like a failed check (undefined); an
 * InputError is bad parameters (`input`); anything else is Faultline's own failure (`internal`).
 */
export function rowErrorKind(row: { error?: unknown }): "input" | "internal" | undefined {
  const error = String(row.error ?? "");
  if (error === "" || error.startsWith("AssertionError: ")) return undefined;
  return error.startsWith("InputError: ") ? "input" : "internal";
}

async function readShard(dir: string): Promise<Shard> {
  const text = await Deno.readTextFile(`${dir}/manifest.json`).catch(() => undefined);
  if (text === undefined) throw new InputError(`${dir} holds no sweep (no manifest.json)`);
  let manifest: Shard["manifest"];
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new InputError(`${dir}/manifest.json is not valid JSON`);
  }
  const problems = await verifyStored(dir, manifest);
  if (problems.length > 0) throw new InputError(`${dir}: ${problems.join("; ")}; refusing to merge it`);
  const shard = manifest.shard as { index: number; count: number; cells: number[] } | undefined;
  if (shard === undefined || !Array.isArray(shard.cells)) {
    throw new InputError(`${dir} is a whole sweep, not a shard (it was run without --shard); nothing to merge`);
  }
  if (!("rows.json" in manifest.files)) throw new InputError(`${dir}: its manifest lists no rows.json`);
  const rows = JSON.parse(await Deno.readTextFile(`${dir}/rows.json`)) as SweepRow[];
  const rowCells = rows.map((row) => row.cell);
  if (JSON.stringify(rowCells) !== JSON.stringify(shard.cells)) {
    throw new InputError(`${dir}: rows.json holds cells ${listed(rowCells.map(String))}, its manifest others`);
  }
  return { dir, manifest, index: shard.index, count: shard.count, cells: shard.cells, rows };
}

/** Refuses two shards that are not of one sweep: another spec, code version or shard count. */
function sameSweep(first: Shard, other: Shard): void {
  const differ = (what: string) =>
    new InputError(`${other.dir} is not a shard of the same sweep as ${first.dir}: ${what}`);
  if (JSON.stringify(first.manifest.spec) !== JSON.stringify(other.manifest.spec)) {
    throw differ("the sweep specs differ (sweep.json)");
  }
  if (first.manifest.codeVersion !== other.manifest.codeVersion) {
    throw differ(
      `it was run by other code (codeVersion ${other.manifest.codeVersion}, not ${first.manifest.codeVersion})`,
    );
  }
  if (first.count !== other.count) throw differ(`it is one of ${other.count} shards, not of ${first.count}`);
  if (first.manifest.cells !== other.manifest.cells) throw differ("the cell counts differ");
}

/** Names the missing cells and the shard that should hold each, from the same assignment sweeps use. */
function missingMessage(first: Shard, missing: number[]): string {
  const spec = first.manifest.spec as SweepSpec;
  const cells = sweepCells(spec, experimentNamed(spec.experiment).params, first.manifest.codeVersion as string);
  const slices = assignShards(cells, first.count);
  const shardOf = new Map<number, number>();
  slices.forEach((slice, i) => slice.forEach((cell) => shardOf.set(cell, i + 1)));
  const byShard = new Map<number, number[]>();
  for (const cell of missing) {
    const shard = shardOf.get(cell)!;
    byShard.set(shard, [...byShard.get(shard) ?? [], cell]);
  }
  const parts = [...byShard].map(([shard, cells]) =>
    `shard ${shard}/${first.count} should hold cell${cells.length === 1 ? "" : "s"} ${listed(cells.map(String))}`
  );
  return `missing ${missing.length} of ${first.manifest.cells} cells: ${parts.join("; ")}; ` +
    `give every shard's directory (run the missing ones with sweep --shard I/N)`;
}

function listed(items: readonly string[]): string {
  const shown = items.slice(0, listedCellsMax).join(", ");
  return items.length > listedCellsMax ? `${shown} and ${items.length - listedCellsMax} more` : shown;
}

/** The merged directory's files: the unsharded sweep's, with its manifest naming the shards. */
async function mergedFiles(
  first: Shard,
  shards: Shard[],
  rows: SweepRow[],
): Promise<Record<string, string | Uint8Array>> {
  const { csv, arrow } = sweepTables(rows);
  const specText = JSON.stringify(first.manifest.spec, null, 2) + "\n";
  const files: Record<string, string | Uint8Array> = {
    "sweep.json": specText,
    "results.csv": csv,
    "results.arrow": arrow,
  };
  for (const shard of shards) {
    for (const name of Object.keys(shard.manifest.files).filter((n) => n.startsWith("histories/")).sort()) {
      files[name] = await Deno.readFile(`${shard.dir}/${name}`);
    }
  }
  const hashes: Record<string, string> = {};
  for (const [name, contents] of Object.entries(files)) hashes[name] = await contentHash(contents);
  const sum = (field: string) => shards.reduce((n, s) => n + ((s.manifest[field] as number) ?? 0), 0);
  const manifest: Record<string, unknown> = {
    experiment: first.manifest.experiment,
    spec: first.manifest.spec,
    codeVersion: first.manifest.codeVersion,
    cells: rows.length,
    cached: sum("cached"),
    failures: sum("failures"),
    errors: sum("errors"),
    wallSeconds: Math.round(sum("wallSeconds") * 1000) / 1000,
    mergedFrom: [...shards].sort((a, b) => a.index - b.index).map((s) => ({
      shard: `${s.index}/${s.count}`,
      dir: s.dir,
      manifestHash: s.manifest.manifestHash,
    })),
    files: hashes,
  };
  manifest.manifestHash = await recordHash(manifest, "manifestHash");
  files["manifest.json"] = JSON.stringify(manifest, null, 2) + "\n";
  return files;
}
