/**
 * `faultline demo`: the default experiment. Runs the echo service with a server crash in the
 * middle, checks that no acknowledged request was lost, and writes `results/demo/seed-N/`: the
 * manifest, figures, checks, history, fault schedule and coverage, the requests table, a latency
 * chart with the fault shaded, and a report.
 *
 * @module
 */
import { experimentNamed, runExperiment, type RunResult, writeRun } from "../lab/mod.ts";

/** Runs the demo and returns the directory written and the run. */
export async function demo(
  options: { seed: number; params: Record<string, unknown>; resultsDir: string },
): Promise<{ dir: string; run: RunResult }> {
  const run = await runExperiment(experimentNamed("echo"), options.params, options.seed, () => performance.now());
  const dir = `${options.resultsDir}/demo/seed-${options.seed}`;
  await writeRun(dir, run, { keepHistory: true });
  return { dir, run };
}
