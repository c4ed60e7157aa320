/**
 * `faultline report DIR`, `faultline compare DIR DIR [...]` and `faultline replay DIR`: thin
 * wrappers that print what the lab's functions find and turn it into exit codes.
 *
 * @module
 */
import { compareResults, type ComparisonRow, formatFigure, replayRun, writeReport } from "../lab/mod.ts";

/** Writes the report; exit 0. */
export async function reportCommand(dir: string): Promise<number> {
  console.log(`wrote ${await writeReport(dir)}`);
  return 0;
}

/** Compares the first directory with each other one; exit 1 when a significant regression shows. */
export async function compareCommand(dirs: string[], options: { json: boolean; out?: string }): Promise<number> {
  const comparisons = await compareResults(dirs, { out: options.out });
  if (options.json) console.log(JSON.stringify(comparisons.map(({ a, b, rows }) => ({ a, b, rows })), null, 2));
  else {
    for (const { a, b, rows, html } of comparisons) {
      printComparison(a, b, rows);
      console.log(`wrote ${html}`);
    }
  }
  return comparisons.some((c) => c.rows.some((r) => r.regression)) ? 1 : 0;
}

/**
 * Re-runs a stored run. Exit 0 when its trace hash matches; 3 (inconclusive) when it differs
 * because the code changed since; 1 when the same code gives another trace, a determinism
 * violation. An edited stored result is refused before anything runs (exit 2).
 */
export async function replayCommand(dir: string): Promise<number> {
  const { answer, stored, replayed, codeStored, codeNow } = await replayRun(dir);
  if (answer === "matches") {
    console.log(`replay of ${dir}: trace hash ${replayed} matches`);
    return 0;
  }
  if (answer === "code-changed") {
    console.log(
      `replay of ${dir}: trace hash ${replayed} differs from the stored ${stored} because the code changed ` +
        `since the run was stored (code ${codeStored ?? "of an unknown version"}, now ${codeNow}); ` +
        `./faultline run ... --force stores a run of this code`,
    );
    return 3;
  }
  console.log(
    `replay of ${dir}: NOT DETERMINISTIC: the same code (${codeNow}) gave trace hash ${replayed}, ` +
      `the stored run ${stored}`,
  );
  return 1;
}

function printComparison(a: string, b: string, rows: ComparisonRow[]): void {
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
  return formatFigure(x);
}
