// Proves fixtures are read from what users have (a fixture file, a run directory) and added to a
// system's regression folder only when they still reproduce, never over an existing file.
import assert from "node:assert/strict";
import { addRegression, loadFixtureInput } from "./fixtures.ts";

const regression = new URL(
  "../systems/raft/experiments/regressions/staleleaderreads-linearizability-kv-seed-1.json",
  import.meta.url,
).pathname;

Deno.test("regress add copies a reproducing fixture into the system's folder and refuses to overwrite it", async () => {
  const root = await Deno.makeTempDir();
  try {
    const input = await loadFixtureInput(regression);
    const added = await addRegression(input, root);
    assert.equal(
      added.path,
      `${root}/lib/systems/raft/experiments/regressions/staleleaderreads-linearizability-kv-seed-1.json`,
    );
    assert.equal(added.kind, "planted");
    const written = await Deno.readTextFile(added.path);
    await assert.rejects(() => addRegression(input, root), /refusing to overwrite .*: a regression fixture/);
    assert.equal(await Deno.readTextFile(added.path), written);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a fixture whose bug no longer shows is not added, and a bad path or seed is named", async () => {
  const root = await Deno.makeTempDir();
  try {
    const input = await loadFixtureInput(regression);
    const stale = { ...input, fixture: { ...input.fixture, expected: { failedChecks: ["liveness"], traceHash: "" } } };
    await assert.rejects(() => addRegression(stale, root), /no longer fails liveness; .*would fail from the start/);
    await assert.rejects(() => loadFixtureInput(`${root}/missing.json`), /does not exist/);
    await assert.rejects(
      () => loadFixtureInput(regression, { seed: 9 }),
      /--seed 9 does not match the fixture's seed 1/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
