/**
 * Reading result directories back: a run (`manifest.json` with a seed and `figures.json`) or a
 * sweep (`manifest.json` with a spec and `results.csv`), as rows of parameters and figures.
 *
 * @module
 */
import * as aq from "arquero";
import { InputError } from "../assert.ts";
import { experiments } from "./registry.ts";
import { verifyStored } from "./files.ts";

/** A result directory as rows: one per run (a run directory has one). */
export interface LoadedResults {
  kind: "run" | "sweep";
  dir: string;
  experiment: string;
  manifest: Record<string, unknown>;
  /** Parameter names (the columns that align runs across directories). */
  parameters: string[];
  rows: Record<string, unknown>[];
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  const text = await Deno.readTextFile(path).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError(`${path} is not valid JSON`);
  }
}

/** Thrown when a stored result does not match the content hashes recorded when it was written. */
export class EditedResultError extends InputError {
  constructor(readonly dir: string, readonly problems: string[]) {
    super(
      `the stored result in ${dir} was edited: ${
        problems.join("; ")
      }. Faultline does not report, compare or replay it; run it again (--force) to get a genuine result`,
    );
  }
}

/**
 * Loads a run or sweep directory; anything else is refused naming what was expected. Every file
 * the manifest lists is verified against its content hash first: an edited result is refused
 * naming the file, never shown as genuine.
 */
export async function loadResults(dir: string): Promise<LoadedResults> {
  const manifest = await readJson(`${dir}/manifest.json`);
  if (manifest === undefined) {
    throw new InputError(
      `${dir} is not a results directory: no manifest.json (expected a run or sweep directory under results/)`,
    );
  }
  const problems = await verifyStored(dir, manifest);
  if (problems.length > 0) throw new EditedResultError(dir, problems);
  if (typeof manifest.seed === "number") {
    const figures = await readJson(`${dir}/figures.json`) ?? {};
    const params = (manifest.params ?? {}) as Record<string, unknown>;
    return {
      kind: "run",
      dir,
      experiment: String(manifest.experiment),
      manifest,
      parameters: Object.keys(params),
      rows: [{ seed: manifest.seed, ...params, ...figures }],
    };
  }
  const csv = await Deno.readTextFile(`${dir}/results.csv`).catch(() => undefined);
  if (csv === undefined) throw new InputError(`${dir} has a manifest.json but no results.csv: an unfinished sweep?`);
  const rows = csv.trim() === "" ? [] : aq.fromCSV(csv).objects() as Record<string, unknown>[];
  const experiment = String(manifest.experiment);
  const schema = experiments.find((e) => e.name === experiment)?.params ?? {};
  const columns = rows.length === 0 ? [] : Object.keys(rows[0]);
  return { kind: "sweep", dir, experiment, manifest, parameters: columns.filter((c) => c in schema), rows };
}
