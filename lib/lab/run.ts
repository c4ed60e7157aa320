/**
 * Running an experiment once and keeping the result as a directory: manifest, figures, checks,
 * history, fault schedule and coverage, tables, charts and a report. The directory is written
 * whole, then renamed into place, so an interrupted run leaves nothing half-written.
 *
 * @module
 */
import { type ParamValues, resolveParams } from "../params.ts";
import { toSvg } from "../viz/mod.ts";
import type { Experiment, RunOutput } from "./experiment.ts";
import { contentHashes, gitVersion, recordHash, toCsv, verifyStored, writeResultDir } from "./files.ts";
import { escapeMarkdown, markdownCode } from "./report_html.ts";
import { combineValidity, type Validity } from "../check/mod.ts";
import { InputError } from "../assert.ts";
import { formatFigure } from "./compare.ts";
import { gunzip, packHistory } from "./history_pack.ts";

export * from "./history_pack.ts";

/** Where and how a run was made. */
export interface Manifest {
  experiment: string;
  params: ParamValues;
  seed: number;
  traceHash: string;
  events: number;
  verdict: Validity;
  version: { commit: string; dirty: boolean } | undefined;
  runtime: { deno: string; v8: string; typescript: string };
  wallSeconds: number;
  /** The command that reproduces the run. */
  command: string;
  /** Hash of (experiment, parameters, seed, code version): a run with the same key is reused. */
  cacheKey?: string;
  /** Hash of the library's sources that made the run (see `codeVersion`), when known. */
  codeVersion?: string;
  /** SHA-256 of every other file written with the run, by name; set when the run is stored. */
  files?: Record<string, string>;
  /** SHA-256 of this manifest without this field; set when the run is stored. */
  manifestHash?: string;
}

/** Files Faultline writes into a run directory after the run itself: replacing them loses nothing. */
const laterFiles = new Set(["report.html", "comparison.html"]);

/** A finished run. */
export interface RunResult {
  manifest: Manifest;
  output: RunOutput;
}

/**
 * Runs `experiment` with `given` parameters (checked against its schema) and `seed`.
 * `wallSeconds` measures the run: the caller passes a clock, since the library reads none itself.
 */
export async function runExperiment(
  experiment: Experiment,
  given: Record<string, unknown>,
  seed: number,
  wallClockMs: () => number,
): Promise<RunResult> {
  const params = resolveParams(experiment.params, given);
  const startedMs = wallClockMs();
  const output = experiment.run(params, seed);
  const wallSeconds = (wallClockMs() - startedMs) / 1000;
  const changed = Object.entries(params).filter(([name, value]) => experiment.params[name].default !== value);
  return {
    output,
    manifest: {
      experiment: experiment.name,
      params,
      seed,
      traceHash: output.traceHash,
      events: output.events,
      verdict: combineValidity(output.checks.map((c) => c.valid)),
      version: await gitVersion(),
      runtime: { deno: Deno.version.deno, v8: Deno.version.v8, typescript: Deno.version.typescript },
      wallSeconds: Math.round(wallSeconds * 1000) / 1000,
      command: `./faultline run ${experiment.name} --seed ${seed}` +
        changed.map(([name, value]) => ` --param ${name}=${value}`).join(""),
    },
  };
}

/** A run read back from its directory, its files verified against the manifest's hashes. */
export interface StoredRun {
  manifest: Manifest;
  checks: { checker: string; valid: unknown; message: string }[];
}

/**
 * The run stored in `dir` if its cache key is `key` (same experiment, parameters, seed and code),
 * else undefined. A stored run whose files do not match their recorded hashes is never reused:
 * that is refused naming the file, since running again would replace what someone edited.
 */
export async function storedRun(dir: string, key: string): Promise<StoredRun | undefined> {
  const text = await Deno.readTextFile(`${dir}/manifest.json`).catch(() => undefined);
  if (text === undefined) return undefined;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    throw new InputError(`${dir}/manifest.json is not valid JSON; not reusing it (--force runs again and replaces it)`);
  }
  if (manifest.cacheKey !== key) return undefined;
  const problems = await verifyStored(dir, manifest as unknown as Record<string, unknown>);
  if (problems.length > 0) {
    throw new InputError(
      `the stored run in ${dir} was edited: ${
        problems.join("; ")
      }; not reusing it (--force runs again and replaces it)`,
    );
  }
  return { manifest, checks: JSON.parse(await Deno.readTextFile(`${dir}/checks.json`)) };
}

/**
 * Writes a run's directory (replacing any earlier one at `dir` only once it is complete, and only
 * if it is Faultline's); returns the manifest as stored, with the content hash of every file.
 */
export async function writeRun(dir: string, run: RunResult, options: { keepHistory: boolean }): Promise<Manifest> {
  const { manifest, output } = run;
  const files: Record<string, string | Uint8Array> = {
    "figures.json": JSON.stringify(output.figures, null, 2) + "\n",
    "results.csv": toCsv([{
      experiment: manifest.experiment,
      seed: manifest.seed,
      ...manifest.params,
      ...output.figures,
    }]),
    "checks.json": JSON.stringify(output.checks, null, 2) + "\n",
    "report.md": report(run),
  };
  if (options.keepHistory) {
    const history = await packHistory(output.history.events);
    files[history.name] = history.content;
  }
  if (output.schedule) files["schedule.json"] = JSON.stringify(output.schedule, null, 2) + "\n";
  if (output.coverage) files["coverage.json"] = JSON.stringify(output.coverage, null, 2) + "\n";
  for (const [name, rows] of Object.entries(output.tables)) files[`${name}.csv`] = toCsv(rows);
  for (const [name, spec] of Object.entries(output.charts ?? {})) files[`${name}.svg`] = await toSvg(spec);
  const stored: Manifest = { ...manifest, files: await contentHashes(files) };
  delete stored.manifestHash;
  stored.manifestHash = await recordHash(stored as unknown as Record<string, unknown>, "manifestHash");
  files["manifest.json"] = JSON.stringify(stored, null, 2) + "\n";
  // An earlier run here may have had other tables, charts or a history in the other form: its
  // manifest lists them. Anything it does not list was put there by someone else.
  const earlier = await writtenBefore(dir);
  await writeResultDir(dir, files, { kind: "run", replaceable: (name) => laterFiles.has(name) || earlier.has(name) });
  return stored;
}

async function writtenBefore(dir: string): Promise<Set<string>> {
  try {
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`)) as Manifest;
    return new Set(["manifest.json", ...Object.keys(manifest.files ?? {})]);
  } catch {
    return new Set();
  }
}

/** The history of the run stored in `dir` (JSON Lines), whether it was kept plain or gzipped. */
export async function readRunHistory(dir: string): Promise<string> {
  const plain = await Deno.readTextFile(`${dir}/history.jsonl`).catch(() => undefined);
  if (plain !== undefined) return plain;
  const packed = await Deno.readFile(`${dir}/history.jsonl.gz`).catch(() => undefined);
  if (packed === undefined) throw new InputError(`${dir} holds no history (history.jsonl or history.jsonl.gz)`);
  return await gunzip(packed);
}

function report(run: RunResult): string {
  const { manifest, output } = run;
  // Everything from data is escaped: names, messages and values may hold any text.
  const md = (v: unknown) => escapeMarkdown(String(v));
  const figure = (v: unknown) => md(typeof v === "number" ? formatFigure(v) : v);
  const lines = [
    `# ${md(manifest.experiment)}, seed ${md(manifest.seed)}: ${
      manifest.verdict === true ? "valid" : manifest.verdict === false ? "INVALID" : "unknown"
    }`,
    "",
    ...output.checks.map((c) =>
      `- **${md(c.checker)}**: ${c.valid === true ? "valid" : c.valid === false ? "INVALID" : "unknown"}. ${
        md(c.message)
      }`
    ),
    "",
    "| figure | value |",
    "| --- | --- |",
    ...Object.entries(output.figures).map(([k, v]) => `| ${md(k)} | ${figure(v)} |`),
    "",
  ];
  if (output.coverage) {
    lines.push(
      "## Faults",
      "",
      output.coverage.vacuous
        ? "**Vacuous run: no fault touched the system.**"
        : `${output.coverage.faultsTouched} of ${output.coverage.faults.length} faults touched the system.`,
      "",
      "| fault | targets | start (s) | end (s) | touched | operations during | effects |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      ...output.coverage.faults.map((f) =>
        `| ${md(f.kind)} | ${md(f.targets.join(", "))} | ${f.startUs / 1e6} | ${
          f.endUs === undefined ? "-" : f.endUs / 1e6
        } | ${f.touched ? "yes" : "no"} | ${md(f.operationsDuring)} | ${
          md(Object.entries(f.effects).filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v}`).join(", "))
        } |`
      ),
      "",
    );
  }
  for (const name of Object.keys(output.charts ?? {})) lines.push(`![${md(name)}](${encodeURI(`${name}.svg`)})`, "");
  lines.push(
    "## Parameters",
    "",
    "| parameter | value |",
    "| --- | --- |",
    ...Object.entries(manifest.params).map(([k, v]) => `| ${md(k)} | ${md(v)} |`),
    "",
    `${md(manifest.events)} events, trace hash ${markdownCode(manifest.traceHash)}. Reproduce with ${
      markdownCode(manifest.command)
    }.`,
    "",
  );
  return lines.join("\n");
}
