/**
 * `faultline report DIR`, `faultline compare DIR DIR [...]` and `faultline replay DIR`.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import { compareRows } from "../lab/compare.ts";
import { writeAtomically } from "../lab/sweep.ts";
import { loadResults } from "../lab/load.ts";
import { experimentNamed } from "../lab/registry.ts";
import { comparisonHtml, runReportHtml, sweepReportHtml } from "../lab/report_html.ts";
import { toSvg } from "../viz/render.ts";

async function svgsIn(dir: string): Promise<Record<string, string>> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.name.endsWith(".svg")) names.push(entry.name);
  const svgs: Record<string, string> = {};
  for (const name of names.sort()) svgs[name.replace(/\.svg$/, "")] = await Deno.readTextFile(`${dir}/${name}`);
  return svgs;
}

/** Writes `report.html` (and keeps `report.md`) for a run or sweep directory. */
export async function reportCommand(dir: string): Promise<number> {
  const results = await loadResults(dir);
  let html: string;
  if (results.kind === "run") {
    const checks = JSON.parse(await Deno.readTextFile(`${dir}/checks.json`).catch(() => "[]"));
    const coverageText = await Deno.readTextFile(`${dir}/coverage.json`).catch(() => undefined);
    html = runReportHtml(results, await svgsIn(dir), {
      checks,
      coverage: coverageText === undefined ? undefined : JSON.parse(coverageText),
    });
  } else {
    html = sweepReportHtml(results, await svgsIn(dir));
    const failed = results.rows.filter((r) => String(r.verdict) !== "true").length;
    await writeAtomically(
      `${dir}/report.md`,
      `# ${results.experiment} sweep\n\n${results.rows.length} cells, ${failed} failed a check. Table: results.csv (and results.arrow).\n`,
    );
  }
  await writeAtomically(`${dir}/report.html`, html);
  console.log(`wrote ${dir}/report.html`);
  return 0;
}

/** Compares the first directory with each of the others; exit 1 when a significant regression shows. */
export async function compareCommand(dirs: string[], options: { json: boolean; out?: string }): Promise<number> {
  if (dirs.length < 2) throw new InputError("usage: ./faultline compare DIR_A DIR_B [DIR_C ...]");
  const [base, ...others] = await Promise.all(dirs.map(loadResults));
  let regressions = 0;
  const all = [];
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
    regressions += rows.filter((r) => r.regression).length;
    all.push({ a: base.dir, b: other.dir, rows });
    if (!options.json) printComparison(base.dir, other.dir, rows);
    const chart = await toSvg(comparisonChart(rows));
    const out = options.out ?? `${other.dir}/comparison.html`;
    await writeAtomically(out, comparisonHtml([base.dir, other.dir], rows, chart));
    if (!options.json) console.log(`wrote ${out}`);
  }
  if (options.json) console.log(JSON.stringify(all, null, 2));
  return regressions > 0 ? 1 : 0;
}

function varies(rows: Record<string, unknown>[], parameter: string): boolean {
  return new Set(rows.map((r) => String(r[parameter]))).size > 1;
}

function printComparison(a: string, b: string, rows: ReturnType<typeof compareRows>): void {
  console.log(`A = ${a}\nB = ${b}`);
  for (const r of rows) {
    const flag = r.regression ? "  REGRESSION" : r.significant ? "  significant" : "";
    console.log(
      `${r.group.padEnd(24)} ${r.metric.padEnd(20)} A ${fmt(r.meanA)}  B ${fmt(r.meanB)}  B-A ${fmt(r.difference)} [${
        fmt(r.ciLow)
      }, ${fmt(r.ciHigh)}]${flag}`,
    );
  }
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

function comparisonChart(rows: ReturnType<typeof compareRows>) {
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
          y: { field: "metric", type: "nominal", title: null },
          x: { field: "low", type: "quantitative", title: "relative difference" },
          x2: { field: "high" },
        },
      },
      {
        mark: { type: "point", filled: true },
        encoding: {
          y: { field: "metric", type: "nominal" },
          x: { field: "relative", type: "quantitative" },
          color: { field: "flag", type: "nominal" },
        },
      },
    ],
  };
}

/** Re-runs a stored run from its manifest and confirms the trace hash. Exit 0 match, 1 mismatch. */
export async function replayCommand(dir: string): Promise<number> {
  const results = await loadResults(dir);
  if (results.kind !== "run") {
    throw new InputError(`${dir} is a sweep; replay takes a run directory (a cell: ./faultline run ...)`);
  }
  const m = results.manifest as {
    experiment: string;
    params: Record<string, unknown>;
    seed: number;
    traceHash: string;
  };
  const output = experimentNamed(m.experiment).run(m.params as never, m.seed);
  if (output.traceHash === m.traceHash) {
    console.log(`replay of ${dir}: trace hash ${output.traceHash} matches`);
    return 0;
  }
  console.log(
    `replay of ${dir}: trace hash ${output.traceHash} differs from the stored ${m.traceHash} (the code changed since?)`,
  );
  return 1;
}
