/**
 * `faultline demo`: the default experiment. Runs the echo service with a server crash in the
 * middle, checks that no acknowledged request was lost, and writes a result directory under
 * `results/demo/` with the manifest, the requests table, the history, the fault schedule and its
 * coverage, a summary, a latency chart and a report.
 *
 * @module
 */
import type { CoverageReport } from "../faults/mod.ts";
import { faultWindows } from "../history/fault_windows.ts";
import { formatHistory } from "../history/jsonl.ts";
import { runEcho } from "../systems/echo/mod.ts";
import { latencyTimeline } from "../viz/charts.ts";
import { toSvg } from "../viz/render.ts";
import { gitVersion, toCsv, writeResultDir } from "./output.ts";

/** Runs the demo and returns the directory written. */
export async function demo(options: { seed: number; params: Record<string, unknown>; resultsDir: string }) {
  const started = performance.now();
  const result = runEcho(options.params, options.seed);
  const wallSeconds = (performance.now() - started) / 1000;
  const params = result.params;
  const windows = faultWindows(result.history.events, params.durationUs as number);
  const bands = windows.map((w) => ({ startUs: w.startUs, endUs: w.endUs, label: `${w.kind} ${w.targets.join(",")}` }));
  const spec = latencyTimeline(result.requests.map((r) => ({ ...r, series: `client ${r.client}` })), {
    bands,
    title: `Echo service, seed ${options.seed}: latency over time (shaded: faults)`,
  });
  const svg = await toSvg(spec);
  const manifest = {
    experiment: "echo",
    seed: options.seed,
    params,
    traceHash: result.hash,
    events: result.events,
    version: await gitVersion(),
    runtime: { deno: Deno.version.deno },
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    command: `./faultline demo --seed ${options.seed}` +
      Object.entries(options.params).map(([k, v]) => ` --${k} ${v}`).join(""),
  };
  const summary = { ...result.summary, check: result.check.valid ? "valid" : "INVALID" };
  const dir = `${options.resultsDir}/demo/seed-${options.seed}`;
  await writeResultDir(dir, {
    "manifest.json": JSON.stringify(manifest, null, 2) + "\n",
    "summary.json": JSON.stringify(summary, null, 2) + "\n",
    "requests.csv": toCsv(result.requests as unknown as Record<string, unknown>[]),
    "history.jsonl": formatHistory(result.history.events),
    "schedule.json": JSON.stringify(result.schedule, null, 2) + "\n",
    "coverage.json": JSON.stringify(result.coverage, null, 2) + "\n",
    "latency.svg": svg,
    "report.md": report(manifest, { ...result.summary }, result.check, result.coverage),
  });
  return { dir, result };
}

function report(
  manifest: { seed: number; traceHash: string; events: number; command: string },
  summary: Record<string, number>,
  check: { valid: boolean; lostRequestIds: number[] },
  coverage: CoverageReport,
): string {
  const faults = coverage.faults.map((f) =>
    `| ${f.kind} | ${f.targets.join(", ")} | ${f.startUs / 1e6} s | ${
      f.endUs === undefined ? "-" : `${f.endUs / 1e6} s`
    } | ` +
    `${f.touched ? "yes" : "no"} | ${f.operationsDuring} | ${
      Object.entries(f.effects).filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v}`).join(", ")
    } |`
  );
  const rows = Object.entries(summary).map(([k, v]) => `| ${k} | ${Number.isInteger(v) ? v : v.toFixed(3)} |`);
  return [
    `# Echo service, seed ${manifest.seed}`,
    "",
    `Invariant "every acknowledged request is durable": **${check.valid ? "valid" : "INVALID"}**` +
    (check.valid ? "" : ` (${check.lostRequestIds.length} lost, first ids ${check.lostRequestIds.slice(0, 5)})`),
    "",
    "| figure | value |",
    "| --- | --- |",
    ...rows,
    "",
    "## Faults",
    "",
    coverage.vacuous
      ? "**Vacuous run: no fault touched the system.**"
      : `${coverage.faultsTouched} of ${coverage.faults.length} faults touched the system.`,
    "",
    "| fault | targets | start | end | touched | operations during | effects |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...faults,
    "",
    "![latency over time](latency.svg)",
    "",
    `${manifest.events} events, trace hash \`${manifest.traceHash}\`. Reproduce with \`${manifest.command}\`.`,
    "",
  ].join("\n");
}
