/**
 * Running an experiment once and keeping the result as a directory: manifest, figures, checks,
 * history, fault schedule and coverage, tables, charts and a report. The directory is written
 * whole, then renamed into place, so an interrupted run leaves nothing half-written.
 *
 * @module
 */
import { formatHistory } from "../history/mod.ts";
import { type ParamValues, resolveParams } from "../params.ts";
import { toSvg } from "../viz/mod.ts";
import type { Experiment, RunOutput } from "./experiment.ts";
import { gitVersion, toCsv, writeResultDir } from "./files.ts";
import { escapeMarkdown, markdownCode } from "./report_html.ts";
import { combineValidity, type Validity } from "../check/mod.ts";

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
}

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

/**
 * The run stored in `dir` if its cache key is `key` (same experiment, parameters, seed and code),
 * else undefined.
 */
export async function storedRun(
  dir: string,
  key: string,
): Promise<{ manifest: Manifest; checks: { checker: string; valid: unknown; message: string }[] } | undefined> {
  try {
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`)) as Manifest;
    if (manifest.cacheKey !== key) return undefined;
    return { manifest, checks: JSON.parse(await Deno.readTextFile(`${dir}/checks.json`)) };
  } catch {
    return undefined; // nothing stored, or unreadable: run again
  }
}

/** Writes a run's directory (replacing any earlier one at `dir` only once it is complete). */
export async function writeRun(dir: string, run: RunResult, options: { keepHistory: boolean }): Promise<void> {
  const { manifest, output } = run;
  const files: Record<string, string | Uint8Array> = {
    "manifest.json": JSON.stringify(manifest, null, 2) + "\n",
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
    const history = formatHistory(output.history.events);
    // Large histories are kept gzipped (history.jsonl.gz); `zcat` or `gunzip -c` reads them.
    if (history.length > historyCompressBytesMin) files["history.jsonl.gz"] = await gzip(history);
    else files["history.jsonl"] = history;
  }
  if (output.schedule) files["schedule.json"] = JSON.stringify(output.schedule, null, 2) + "\n";
  if (output.coverage) files["coverage.json"] = JSON.stringify(output.coverage, null, 2) + "\n";
  for (const [name, rows] of Object.entries(output.tables)) files[`${name}.csv`] = toCsv(rows);
  for (const [name, spec] of Object.entries(output.charts ?? {})) files[`${name}.svg`] = await toSvg(spec);
  await writeResultDir(dir, files);
}

/** Histories longer than this are written compressed. */
export const historyCompressBytesMin = 8 << 20;

/** Gzips `text`. */
export async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function report(run: RunResult): string {
  const { manifest, output } = run;
  // Everything from data is escaped: names, messages and values may hold any text.
  const md = (v: unknown) => escapeMarkdown(String(v));
  const figure = (v: unknown) => md(typeof v === "number" && !Number.isInteger(v) ? v.toFixed(3) : v);
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
