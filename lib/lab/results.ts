/**
 * Working with stored results: reports, comparisons and replays, as functions a notebook or the
 * CLI can call. They print nothing; they return what they found and the files they wrote.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import { compareRows, type ComparisonRow } from "./compare.ts";
import {
  ForeignDirectoryError,
  gitVersion,
  isMarked,
  markerName,
  requireReplaceablePage,
  writeAtomically,
} from "./files.ts";
import { codeVersion } from "./sweep.ts";
import { resolveParams } from "../params.ts";
import { loadResults } from "./load.ts";
import { experimentNamed } from "./registry.ts";
import { comparisonHtml, escapeMarkdown, runReportHtml, sweepReportHtml } from "./report_html.ts";
import { toSvg, type VegaLiteSpec } from "../viz/mod.ts";
import { sweepReportCharts } from "./sweep_report.ts";

async function svgsIn(dir: string): Promise<Record<string, string>> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.name.endsWith(".svg")) names.push(entry.name); // order-safe
  const svgs: Record<string, string> = {};
  for (const name of names.sort()) svgs[name.replace(/\.svg$/, "")] = await Deno.readTextFile(`${dir}/${name}`);
  return svgs;
}

async function renderAll(specs: Record<string, VegaLiteSpec>): Promise<Record<string, string>> {
  const svgs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) svgs[name] = await toSvg(spec);
  return svgs;
}

/** Writes `report.html` (and, for a sweep, `report.md`) in a run or sweep directory; returns its path. */
export async function writeReport(dir: string): Promise<string> {
  const results = await loadResults(dir);
  await requireMarked(dir);
  let html: string;
  if (results.kind === "run") {
    const checks = JSON.parse(await Deno.readTextFile(`${dir}/checks.json`).catch(() => "[]"));
    const coverageText = await Deno.readTextFile(`${dir}/coverage.json`).catch(() => undefined);
    html = runReportHtml(results, await svgsIn(dir), {
      checks,
      coverage: coverageText === undefined ? undefined : JSON.parse(coverageText),
    });
  } else {
    html = sweepReportHtml(results, { ...await svgsIn(dir), ...await renderAll(sweepReportCharts(results)) });
    const failed = results.rows.filter((r) => String(r.verdict) !== "true").length;
    await writeAtomically(
      `${dir}/report.md`,
      `# ${
        escapeMarkdown(results.experiment)
      } sweep\n\n${results.rows.length} cells, ${failed} failed a check. Table: results.csv (and results.arrow).\n`,
    );
  }
  await writeAtomically(`${dir}/report.html`, html);
  return `${dir}/report.html`;
}

/** One comparison: A against B, with the rows and the HTML page written. */
export interface Comparison {
  a: string;
  b: string;
  rows: ComparisonRow[];
  html: string;
}

/**
 * Compares the first directory with each of the others, aligned on the parameters each side
 * sweeps, and writes `comparison.html` in each other directory (or at `out`).
 */
export async function compareResults(dirs: string[], options: { out?: string } = {}): Promise<Comparison[]> {
  if (dirs.length < 2) throw new InputError("usage: ./faultline compare DIR_A DIR_B [DIR_C ...]");
  const [base, ...others] = await Promise.all(dirs.map(loadResults));
  const comparisons: Comparison[] = [];
  for (const other of others) {
    if (other.experiment !== base.experiment) {
      throw new InputError(`cannot compare ${base.dir} (${base.experiment}) with ${other.dir} (${other.experiment})`);
    }
    // Align on the parameters each side sweeps (its grid); one held fixed on each side but set
    // differently is the treatment being compared, not a grouping.
    const parameters = base.parameters.filter((p) =>
      other.parameters.includes(p) && (varies(base.rows, p) || varies(other.rows, p))
    );
    const rows = compareRows(base.rows, other.rows, parameters, [...base.parameters, ...other.parameters]);
    if (rows.length === 0) throw new InputError(`${base.dir} and ${other.dir} share no parameter point to compare`);
    const html = options.out ?? `${other.dir}/comparison.html`;
    if (options.out === undefined) await requireMarked(other.dir);
    else await requireReplaceablePage(options.out);
    await writeAtomically(html, comparisonHtml([base.dir, other.dir], rows, await toSvg(comparisonChart(rows))));
    comparisons.push({ a: base.dir, b: other.dir, rows, html });
  }
  return comparisons;
}

async function requireMarked(dir: string): Promise<void> {
  if (!await isMarked(dir)) throw new ForeignDirectoryError(dir, `it has no ${markerName} file`);
}

function varies(rows: Record<string, unknown>[], parameter: string): boolean {
  return new Set(rows.map((r) => String(r[parameter]))).size > 1;
}

function comparisonChart(rows: ComparisonRow[]) {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "B - A per figure (relative to A), with 95% intervals",
    data: {
      values: rows.filter((r) => r.meanA !== 0).map((r) => ({
        metric: `${r.metric} (${r.group})`,
        relative: r.difference / Math.abs(r.meanA),
        low: r.ciLow / Math.abs(r.meanA),
        high: r.ciHigh / Math.abs(r.meanA),
        flag: r.regression ? "regression" : r.significant ? "significant" : "not significant",
      })),
    },
    layer: [
      {
        mark: "rule",
        encoding: {
          // In the rows' order (groups sorted numerically), and labels never cut short.
          y: { field: "metric", type: "nominal", title: null, sort: null, axis: { labelLimit: 0 } },
          x: { field: "low", type: "quantitative", title: "relative difference" },
          x2: { field: "high" },
        },
      },
      {
        mark: { type: "point", filled: true },
        encoding: {
          y: { field: "metric", type: "nominal", sort: null },
          x: { field: "relative", type: "quantitative" },
          color: { field: "flag", type: "nominal" },
        },
      },
    ],
  };
}

/** What a replay found: the new run matches, or why it does not. */
export type ReplayAnswer =
  /** Same trace hash: the stored result is what this code computes. */
  | "matches"
  /** The code that made the stored run is not the code running now: a different program. */
  | "code-changed"
  /** The same code gave another trace: the run depends on something besides its inputs. */
  | "not-deterministic";

/** The outcome of {@linkcode replayRun}. */
export interface Replay {
  answer: ReplayAnswer;
  /** The stored and the new trace hash. */
  stored: string;
  replayed: string;
  /** The code versions (hashes of `lib/`) of the stored run and of this process, when known. */
  codeStored?: string;
  codeNow: string;
}

const libDir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Re-runs a stored run from its manifest and says whether the trace hash matches. The stored
 * files are verified first (an edited result is refused naming the file); a different hash is
 * told apart as "code-changed" when the run was made by other code, "not-deterministic" when not.
 */
export async function replayRun(dir: string): Promise<Replay> {
  const results = await loadResults(dir);
  if (results.kind !== "run") {
    throw new InputError(`${dir} is a sweep; replay takes a run directory (a cell: ./faultline run ...)`);
  }
  const m = results.manifest;
  if (typeof m.experiment !== "string" || typeof m.traceHash !== "string") {
    throw new InputError(`${dir}/manifest.json names no experiment or trace hash; it is not a run Faultline stored`);
  }
  if (m.params !== undefined && (typeof m.params !== "object" || m.params === null || Array.isArray(m.params))) {
    throw new InputError(`${dir}/manifest.json: params must be an object of parameter values`);
  }
  if (!Number.isSafeInteger(m.seed) || (m.seed as number) < 0) {
    throw new InputError(`${dir}/manifest.json: seed must be a non-negative integer, got ${JSON.stringify(m.seed)}`);
  }
  const experiment = experimentNamed(m.experiment);
  // Missing parameters take their defaults, as on the command line, and bad ones are named.
  const params = resolveParams(experiment.params, (m.params ?? {}) as Record<string, unknown>);
  const output = experiment.run(params, m.seed as number);
  const codeNow = await codeVersion(libDir);
  const codeStored = typeof m.codeVersion === "string" ? m.codeVersion : undefined;
  const replay = { stored: m.traceHash, replayed: output.traceHash, codeStored, codeNow };
  if (output.traceHash === m.traceHash) return { answer: "matches", ...replay };
  return { answer: await sameCode(m, codeNow) ? "not-deterministic" : "code-changed", ...replay };
}

/** Whether the stored run was made by the code running now, as far as the manifest can tell. */
async function sameCode(manifest: Record<string, unknown>, codeNow: string): Promise<boolean> {
  if (typeof manifest.codeVersion === "string") return manifest.codeVersion === codeNow;
  // An older manifest records only the git commit: equal commits of clean trees are the same code.
  const stored = manifest.version as { commit?: string; dirty?: boolean } | undefined;
  const now = await gitVersion();
  return stored?.commit !== undefined && now !== undefined && stored.commit === now.commit && !stored.dirty &&
    !now.dirty;
}
