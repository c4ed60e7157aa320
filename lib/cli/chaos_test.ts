// Proves the chaos commands behave for users: shrink writes the minimal fixture into a directory
// of its own and prints its steps, rca writes both pages with their sections, and a passing run,
// a directory Faultline does not own or a misspelt option exits 2 with a message.
import assert from "node:assert/strict";
import { cli } from "./_cli_testing.ts";

const regression = new URL(
  "../systems/raft/experiments/regressions/staleleaderreads-linearizability-kv-seed-1.json",
  import.meta.url,
).pathname;

Deno.test("shrink writes fixture.json and prints its steps; rca writes rca.md and rca.html", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shrunk = await cli(["shrink", regression, "--attempts", "3", "--out", `${dir}/shrink`]);
    assert.equal(shrunk.code, 0, shrunk.stderr);
    assert.match(shrunk.stdout, /simplifications kept; still fails linearizability \(kv\)/);
    const fixture = JSON.parse(await Deno.readTextFile(`${dir}/shrink/fixture.json`));
    assert.deepEqual(fixture.expected.failedChecks, ["linearizability (kv)"]);
    const rca = await cli(["rca", `${dir}/shrink`, "--out", `${dir}/rca`]);
    assert.equal(rca.code, 0, rca.stderr);
    const markdown = await Deno.readTextFile(`${dir}/rca/rca.md`);
    for (const heading of ["What was violated", "Minimal repro", "Fault timeline", "Causal path", "Planted bug"]) {
      assert.ok(markdown.includes(`## ${heading}`), heading);
    }
    assert.match(markdown, /staleLeaderReads: /);
    assert.match(await Deno.readTextFile(`${dir}/rca/rca.html`), /<svg/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shrink refuses a passing run, a foreign output directory and a misspelt option, with exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fixture = JSON.parse(await Deno.readTextFile(regression));
    fixture.params.bug = "none";
    delete fixture.expected;
    await Deno.writeTextFile(`${dir}/passing.json`, JSON.stringify(fixture));
    const passing = await cli(["shrink", `${dir}/passing.json`, "--out", `${dir}/out`]);
    assert.equal(passing.code, 2);
    assert.match(passing.stderr, /passes every check; shrinking needs a run that fails one/);
    await Deno.mkdir(`${dir}/mine`);
    await Deno.writeTextFile(`${dir}/mine/notes.txt`, "mine");
    const foreign = await cli(["shrink", regression, "--attempts", "0", "--out", `${dir}/mine`]);
    assert.equal(foreign.code, 2);
    assert.match(foreign.stderr, /refusing to write into/);
    assert.equal(await Deno.readTextFile(`${dir}/mine/notes.txt`), "mine");
    const misspelt = await cli(["shrink", regression, "--attempt", "3"]);
    assert.equal(misspelt.code, 2);
    assert.match(misspelt.stderr, /did you mean --attempts/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
