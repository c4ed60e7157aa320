// Runs every regression fixture in regressions/ (added by `./faultline regress add`): one found
// with a planted bug on must still fail the checks it failed with the bug on (the repro still
// detects the bug) and pass with every bug off; one found with bugs off stands for a real bug and
// must pass, so its test fails until the bug is fixed.
import assert from "node:assert/strict";
import { checkRegression, parseFixture } from "../../../harness/mod.ts";
import { raftSwarmExperiment } from "./swarm.ts";

const folder = new URL("./regressions/", import.meta.url);
const names = [...Deno.readDirSync(folder)].filter((e) => e.isFile && e.name.endsWith(".json")).map((e) => e.name)
  .sort();

Deno.test("raft regressions: the folder holds fixtures, each a raft-swarm run", () => {
  assert.ok(names.length > 0, "no regression fixture in regressions/");
  for (const name of names) {
    const fixture = parseFixture(JSON.parse(Deno.readTextFileSync(new URL(name, folder))), name);
    assert.equal(fixture.experiment, "raft-swarm", name);
  }
});

for (const name of names) {
  Deno.test(`raft regression ${name}`, () => {
    const fixture = parseFixture(JSON.parse(Deno.readTextFileSync(new URL(name, folder))), name);
    const verdict = checkRegression(raftSwarmExperiment, fixture);
    assert.ok(verdict.ok, `${name} (${verdict.kind}): ${verdict.findings.join("; ")}`);
  });
}
