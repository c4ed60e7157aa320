// Proves every page and report Faultline writes escapes what it takes from data: a hostile string
// in a key, a value, a checker's message, a parameter, a figure's name or a directory comes out as
// text, never as markup, in the linearizability page, the run, sweep and comparison reports, and
// the run's report.md.
import assert from "node:assert/strict";
import { checkLinearizable, linearizabilityHtml, modelNamed, pairOperations } from "../check/mod.ts";
import { History, type Op } from "../history/mod.ts";
import { comparisonHtml, runReportHtml, sweepReportHtml } from "./report_html.ts";
import type { LoadedResults } from "./load.ts";
import { writeRun } from "./run.ts";

const hostile = `<script>alert(1)</script>"'&<img src=x onerror=alert(1)>|*[x](javascript:alert(1))`;

function assertNoMarkup(page: string, where: string): void {
  assert.doesNotMatch(page, /<script|<img|onerror=alert\(1\)>/, `${where} lets markup through`);
}

function historyWithKey(key: string, read: string): Op[] {
  const op = (process: number, type: Op["type"], f: string, value: unknown, time: number): Op => ({
    process,
    type,
    f,
    key,
    value,
    time,
  });
  return [
    op(0, "invoke", "put", hostile, 0),
    op(0, "ok", "put", hostile, 1),
    op(1, "invoke", "get", null, 2),
    op(1, "ok", "get", read, 3),
  ];
}

Deno.test("the linearizability page escapes keys and values whatever the verdict (valid, violation, unknown)", () => {
  const kv = modelNamed("kv");
  for (const [read, stepsMax] of [[hostile, undefined], [`${hostile}!`, undefined], [hostile, 1]] as const) {
    const events = historyWithKey(hostile, read);
    const result = checkLinearizable(pairOperations(events), kv, { initial: "", stepsMax });
    const page = linearizabilityHtml(events, result, { title: hostile, model: hostile });
    assertNoMarkup(page, `the page of a ${result.valid} verdict`);
  }
});

Deno.test("the run, sweep and comparison reports escape names, messages, parameters and directories", () => {
  const results: LoadedResults = {
    kind: "run",
    dir: hostile,
    experiment: hostile,
    manifest: {
      seed: hostile,
      verdict: false,
      params: { [hostile]: hostile },
      events: hostile,
      traceHash: hostile,
      command: hostile,
    },
    parameters: [hostile],
    rows: [{ seed: 1, [hostile]: hostile, figure: hostile }],
  };
  const run = runReportHtml(results, { [hostile]: "<svg></svg>" }, {
    checks: [{ checker: hostile, valid: false, message: hostile }],
    coverage: {
      vacuous: false,
      faults: [{
        kind: hostile,
        targets: [hostile],
        startUs: 0,
        endUs: 1,
        touched: true,
        operationsDuring: hostile,
        effects: { [hostile]: 1 },
      }],
    },
  });
  assertNoMarkup(run, "the run report");
  assertNoMarkup(
    sweepReportHtml({ ...results, kind: "sweep", manifest: { spec: { [hostile]: hostile } } }, {}),
    "the sweep report",
  );
  const row = {
    group: hostile,
    metric: hostile,
    meanA: 1,
    meanB: 2,
    difference: 1,
    ciLow: 0.5,
    ciHigh: 1.5,
    runsA: 2,
    runsB: 2,
    significant: true,
    regression: true,
  };
  assertNoMarkup(comparisonHtml([hostile, hostile], [row], undefined), "the comparison page");
});

Deno.test("a run's report.md escapes checker messages, figures, parameters and faults", async () => {
  const dir = `${await Deno.makeTempDir()}/run`;
  await writeRun(dir, {
    manifest: {
      experiment: hostile,
      params: { [hostile]: hostile },
      seed: 1,
      traceHash: "`abc`",
      events: 4,
      verdict: false,
      version: undefined,
      runtime: { deno: "", v8: "", typescript: "" },
      wallSeconds: 0,
      command: `./faultline run x --param a=\`${hostile}\``,
    },
    output: {
      figures: { [hostile]: hostile },
      checks: [{ checker: hostile, valid: false, message: hostile }],
      history: new History(),
      traceHash: "`abc`",
      events: 4,
      tables: {},
      coverage: {
        faults: [{
          kind: hostile,
          targets: [hostile],
          startUs: 0,
          endUs: 1,
          touched: true,
          operationsDuring: 0,
          effects: { [hostile]: 1 },
        }],
        faultsTouched: 1,
        vacuous: false,
      } as never,
    },
  }, { keepHistory: false });
  const report = await Deno.readTextFile(`${dir}/report.md`);
  // Inside a code span, markup is shown as text; the span itself must hold, whatever backticks the
  // text has.
  assert.match(report, /Reproduce with (`+) \.\/faultline run x --param a=`<script>.* \1\./);
  const text = report.replace(/(`+) .*? \1/g, "");
  assert.doesNotMatch(text, /(?<!\\)<(script|img)/, "an HTML tag passed through unescaped");
  assert.doesNotMatch(text, /(?<!\\)\[x\]\(javascript/, "a link passed through unescaped");
  for (const line of report.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---"))) {
    const cells = line.split(/(?<!\\)\|/).length - 2;
    assert.ok(cells === 2 || cells === 7, `a table row keeps its cells: ${line}`);
  }
  await Deno.remove(dir, { recursive: true });
});
