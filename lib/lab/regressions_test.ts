// Runs every regression fixture of every system (added by `./faultline regress add` to
// lib/systems/<system>/experiments/regressions/): one found with a planted bug on must still fail
// the checks it failed with the bug on (the repro still detects the bug) and pass with every bug
// off; one found with bugs off stands for a real bug and must pass, so its test fails until the
// bug is fixed.
import assert from "node:assert/strict";
import { checkRegression, parseFixture } from "../harness/mod.ts";
import { regressionsDir } from "./fixtures.ts";
import { experiments } from "./registry.ts";

const root = new URL("../../", import.meta.url);

const folders = experiments.filter((e) => e.swarm !== undefined).map((experiment) => {
  const folder = new URL(`${regressionsDir(experiment)}/`, root);
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(folder)].filter((e) => e.isFile && e.name.endsWith(".json")).map((e) => e.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return { experiment, folder, names: names.sort() };
});

Deno.test("regressions: every swarm experiment's fixtures name it, and raft and kv have at least one", () => {
  for (const { experiment, folder, names } of folders) {
    for (const name of names) {
      const fixture = parseFixture(JSON.parse(Deno.readTextFileSync(new URL(name, folder))), name);
      assert.equal(fixture.experiment, experiment.name, name);
    }
  }
  for (const system of ["raft-swarm", "kv-swarm"]) {
    assert.ok(folders.find((f) => f.experiment.name === system)?.names.length, `no regression fixture for ${system}`);
  }
});

for (const { experiment, folder, names } of folders) {
  for (const name of names) {
    Deno.test(`regression ${experiment.name} ${name}`, () => {
      const fixture = parseFixture(JSON.parse(Deno.readTextFileSync(new URL(name, folder))), name);
      const verdict = checkRegression(experiment, fixture);
      assert.ok(verdict.ok, `${name} (${verdict.kind}): ${verdict.findings.join("; ")}`);
    });
  }
}
