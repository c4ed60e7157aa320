/**
 * `faultline shrink`, `faultline regress add` and `faultline rca`: a failing swarm run made small,
 * kept as a regression test, and explained. Each takes a fixture file, a directory holding
 * `fixture.json`, a run directory of a swarm experiment, or a sweep directory (a campaign's batch)
 * with `--seed` (default its first failing seed). Exit 0 when the file or directory was written,
 * 2 on bad input (a passing run, an existing fixture, a directory Faultline does not own).
 *
 * @module
 */
import { shrinkAttemptsDefault, shrinkAttemptsMax, shrinkFixture } from "../harness/mod.ts";
import {
  addRegression,
  bugOf,
  fixtureName,
  loadFixtureInput,
  rcaReport,
  resultsRoot,
  withExpectedOf,
  writeRca,
  writeShrink,
} from "../lab/mod.ts";
import { integerOption } from "./options.ts";

type Values = Record<string, string | boolean | string[] | undefined>;

const seedOf = (values: Values) =>
  values.seed === undefined ? undefined : integerOption("seed", values.seed as string, { fallback: 0 });

/** Shrinks the failing run `path` names; writes its minimal fixture; prints the steps. */
export async function shrinkCommand(path: string, values: Values, root: string): Promise<number> {
  const input = await loadFixtureInput(path, { seed: seedOf(values) });
  const checks = (values.check as string[] | undefined) ?? undefined;
  const attemptsMax = integerOption("attempts", values.attempts as string | undefined, {
    fallback: shrinkAttemptsDefault,
    max: shrinkAttemptsMax,
  });
  console.error(`shrinking ${input.source} (at most ${attemptsMax} runs)`);
  const result = shrinkFixture(input.experiment, input.fixture, { checks, attemptsMax });
  const name = fixtureName(withExpectedOf(result.minimal, result.checks));
  const dir = (values.out as string | undefined) ?? `${resultsRoot(root)}/${input.experiment.name}/shrink-${name}`;
  await writeShrink(dir, result);
  if (values.json === true) {
    console.log(JSON.stringify({ dir, checks: result.checks, steps: result.steps, minimal: result.minimal }, null, 2));
    return 0;
  }
  for (const [i, step] of result.steps.entries()) console.log(`${i + 1}. ${step.description}`);
  console.log(
    `${result.steps.length} of ${result.attempts} simplifications kept; still fails ${result.checks.join(", ")}` +
      (result.budgetExhausted ? " (budget used up: --attempts N may shrink further)" : ""),
  );
  console.log(`wrote ${dir}/fixture.json`);
  return 0;
}

/** Adds the fixture `path` names to its system's regression folder. */
export async function regressAddCommand(path: string, values: Values, root: string): Promise<number> {
  const input = await loadFixtureInput(path, { seed: seedOf(values) });
  const added = await addRegression(input, root);
  console.log(`${added.findings.join("; ")}`);
  if (added.kind === "real") {
    console.log("found with every planted bug off: its test fails until the bug is fixed");
  }
  console.log(`wrote ${added.path.replace(`${root}/`, "")}`);
  return 0;
}

/** Writes the root-cause report of the failing run `path` names. */
export async function rcaCommand(path: string, values: Values, root: string): Promise<number> {
  const input = await loadFixtureInput(path, { seed: seedOf(values) });
  const report = await rcaReport(input.experiment, input.fixture, { slo: values.slo as string | undefined });
  const name = fixtureName(report.fixture);
  const dir = (values.out as string | undefined) ?? `${resultsRoot(root)}/${input.experiment.name}/rca-${name}`;
  await writeRca(dir, report);
  console.log(`${report.headings[0]} (bug: ${bugOf(report.fixture)})`);
  console.log(`wrote ${dir}/rca.md and ${dir}/rca.html`);
  return 0;
}
