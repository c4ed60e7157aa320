/**
 * Self-contained HTML reports of result directories: inline SVG charts, tables, checker verdicts
 * with their explanations, the fault timeline, the parameters, and the command that reproduces
 * the run. No script and no external resource, so a report opens offline.
 *
 * @module
 */
import { type ComparisonRow, formatFigure } from "./compare.ts";
import type { LoadedResults } from "./load.ts";
import { generatorMeta } from "./files.ts";

const style = `body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.bad{color:#d62728;font-weight:bold}
.good{color:#2ca02c;font-weight:bold}.unknown{color:#d9a23a;font-weight:bold}code{background:#f3f3f3;padding:1px 4px}
.wide{overflow-x:auto;max-width:100%}`;

/** Escapes text for HTML, in element content and in quoted attributes alike. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * Escapes data for Markdown text and table cells: the characters that would start emphasis, a
 * link, an HTML tag or entity, code or a new cell are backslash-escaped (CommonMark allows it for
 * any ASCII punctuation), and a line break becomes a space so a value stays in its cell.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");
}

/** Data as a Markdown code span: the fence is longer than any run of backticks inside. */
export function markdownCode(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return `${fence} ${text.replace(/\r?\n/g, " ")} ${fence}`;
}

function cell(value: unknown): string {
  if (typeof value === "number") return formatFigure(value);
  return escapeHtml(String(value ?? ""));
}

/** An HTML table of rows (columns from the first row), at most `rowsMax` rows. */
export function htmlTable(rows: Record<string, unknown>[], rowsMax = 200): string {
  if (rows.length === 0) return "<p>(no rows)</p>";
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const body = rows.slice(0, rowsMax).map((r) => `<tr>${columns.map((c) => `<td>${cell(r[c])}</td>`).join("")}</tr>`);
  const more = rows.length > rowsMax ? `<p>${rows.length - rowsMax} more rows in the CSV.</p>` : "";
  // A wide table (a sweep's figures) scrolls within the page rather than running off its edge.
  return `<div class="wide"><table><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>${
    body.join("")
  }</table></div>${more}`;
}

function verdictClass(valid: unknown): string {
  return valid === true ? "good" : valid === false ? "bad" : "unknown";
}

/** The report of a run directory; `svgs` are its charts by name, `extra` its checks and coverage. */
export function runReportHtml(
  results: LoadedResults,
  svgs: Record<string, string>,
  extra: {
    checks: { checker: string; valid: unknown; message: string }[];
    coverage?: { faults: Record<string, unknown>[]; vacuous: boolean };
  },
): string {
  const m = results.manifest;
  const checks = extra.checks.map((c) =>
    `<li><b>${escapeHtml(c.checker)}</b>: <span class="${verdictClass(c.valid)}">${
      c.valid === true ? "valid" : c.valid === false ? "INVALID" : "unknown"
    }</span>. ${escapeHtml(c.message)}</li>`
  );
  const faults = extra.coverage?.faults.map((f) => ({
    fault: f.kind,
    targets: (f.targets as string[]).join(", "),
    "start (s)": (f.startUs as number) / 1e6,
    "end (s)": f.endUs === undefined || f.endUs === null ? "-" : (f.endUs as number) / 1e6,
    touched: f.touched ? "yes" : "no",
    "operations during": f.operationsDuring,
    effects: Object.entries(f.effects as Record<string, number>).filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v}`)
      .join(", "),
  })) ?? [];
  const { seed: _seed, ...figures } = results.rows[0];
  return page(`${results.experiment}, seed ${m.seed}`, [
    `<p>Verdict: <span class="${verdictClass(m.verdict)}">${
      m.verdict === true ? "valid" : m.verdict === false ? "INVALID" : "unknown"
    }</span></p>`,
    `<h2>Checks</h2><ul>${checks.join("")}</ul>`,
    `<h2>Faults</h2>${extra.coverage?.vacuous ? '<p class="bad">Vacuous run: no fault touched the system.</p>' : ""}${
      htmlTable(faults)
    }`,
    ...Object.entries(svgs).map(([name, svg]) => `<h2>${escapeHtml(name)}</h2>${svg}`),
    `<h2>Figures</h2>${
      htmlTable(
        Object.entries(figures).filter(([k]) => !results.parameters.includes(k)).map(([k, v]) => ({
          figure: k,
          value: v,
        })),
      )
    }`,
    `<h2>Parameters</h2>${htmlTable(Object.entries(m.params as object).map(([k, v]) => ({ parameter: k, value: v })))}`,
    `<p>${escapeHtml(String(m.events))} events, trace hash <code>${
      escapeHtml(String(m.traceHash))
    }</code>. Reproduce with <code>${escapeHtml(String(m.command))}</code>; check it with <code>./faultline replay ${
      escapeHtml(results.dir)
    }</code>.</p>`,
  ]);
}

/** The report of a sweep directory: its table and any charts. */
export function sweepReportHtml(results: LoadedResults, svgs: Record<string, string>): string {
  const failed = results.rows.filter((r) => String(r.verdict) !== "true").length;
  return page(`${results.experiment} sweep`, [
    `<p>${results.rows.length} cells; <span class="${
      failed === 0 ? "good" : "bad"
    }">${failed} failed a check</span>.</p>`,
    ...Object.entries(svgs).map(([name, svg]) => `<h2>${escapeHtml(name)}</h2>${svg}`),
    `<h2>Results</h2>${htmlTable(results.rows)}`,
    `<h2>Spec</h2><pre>${escapeHtml(JSON.stringify(results.manifest.spec, null, 2))}</pre>`,
  ]);
}

/** The report of a comparison. */
export function comparisonHtml(names: [string, string], rows: ComparisonRow[], svg: string | undefined): string {
  const regressions = rows.filter((r) => r.regression);
  return page(`Comparison: ${names[0]} vs ${names[1]}`, [
    `<p>A = <code>${escapeHtml(names[0])}</code>, B = <code>${
      escapeHtml(names[1])
    }</code>. Differences are B - A with 95% bootstrap intervals.
<span class="${regressions.length === 0 ? "good" : "bad"}">${regressions.length} significant regressions.</span></p>`,
    svg ?? "",
    htmlTable(
      rows.map((r) => ({
        group: r.group,
        metric: r.metric,
        A: r.meanA,
        B: r.meanB,
        "B - A": r.difference,
        "95% interval": `[${formatFigure(r.ciLow)}, ${formatFigure(r.ciHigh)}]`,
        runs: `${r.runsA} / ${r.runsB}`,
        flag: r.regression ? "REGRESSION" : r.significant ? "significant" : "",
      })),
      1000,
    ),
  ]);
}

/** A self-contained page of HTML sections (already escaped) under an escaped title, marked as Faultline's. */
export function reportPage(title: string, sections: string[]): string {
  return page(title, sections);
}

function page(title: string, sections: string[]): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">${generatorMeta}<title>${
    escapeHtml(title)
  }</title><style>${style}</style></head><body><h1>${escapeHtml(title)}</h1>${sections.join("\n")}</body></html>\n`;
}
