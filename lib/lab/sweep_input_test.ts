// Proves a sweep refuses what it cannot run before it runs anything: seeds that are empty or
// repeated, a parameter set twice, and a combination of parameters the experiment refuses; and
// that a run ending in an error is told apart from a violation.
import assert from "node:assert/strict";
import { parseSeeds, sweepCells } from "./cells.ts";
import { experimentNamed } from "./registry.ts";
import { runSweep } from "./sweep.ts";
import { runCell } from "./worker.ts";

const libDir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("--seeds refuses an empty list (once read as seed 0), blanks and a repeated seed", () => {
  assert.deepEqual(parseSeeds("3,1,2"), [3, 1, 2]);
  assert.throws(() => parseSeeds(""), /--seeds takes A\.\.B or a comma list of non-negative integers, got ""/);
  assert.throws(() => parseSeeds("1,,2"), /got "1,,2"/);
  assert.throws(() => parseSeeds("1e2"), /got "1e2"/);
  assert.throws(() => parseSeeds("1,1,1"), /seed 1 is listed twice/);
});

Deno.test("a parameter given by two parts of a sweep is refused rather than one value silently winning", () => {
  const schema = experimentNamed("echo").params;
  assert.throws(
    () => sweepCells({ experiment: "echo", fixed: { clients: 2 }, grid: { clients: [1, 2] }, seeds: [1] }, schema, "v"),
    /parameter clients is given by both --param and --grid/,
  );
  assert.throws(
    () => sweepCells({ experiment: "echo", grid: { clients: [1] }, zip: { clients: [2] }, seeds: [1] }, schema, "v"),
    /given by both --grid and --zip/,
  );
  assert.throws(() => sweepCells({ experiment: "echo", seeds: [2, 2] }, schema, "v"), /a seed is listed twice/);
});

Deno.test("a sweep point the experiment cannot run is refused before any cell runs or any file is written", async () => {
  const base = await Deno.makeTempDir();
  await assert.rejects(
    runSweep(
      { experiment: "raft-faults", grid: { faultAtUs: [1_000_000, 10_000_000] }, seeds: [1] },
      { dir: `${base}/s`, cacheDir: `${base}/c`, workers: 1, wallClockMs: () => 0 },
      libDir,
    ),
    /sweep cell 1: the fault \(faultAtUs 10000000 \+ faultDurationUs 600000 us\) must heal before the run ends/,
  );
  const written = [];
  for await (const entry of Deno.readDir(base)) written.push(entry.name);
  assert.deepEqual(written, [], "nothing was written and nothing cached");
  await Deno.remove(base, { recursive: true });
});

Deno.test("a run refused as bad input is recorded as an input error, not as a violation", async () => {
  const refused = await runCell({
    index: 0,
    experiment: "raft-faults",
    params: { ...defaults("raft-faults"), faultAtUs: 10_000_000 },
    seed: 1,
    keepHistory: false,
  });
  assert.equal(refused.errorKind, "input");
  assert.match(refused.error!, /must heal before the run ends/);
  assert.deepEqual(refused.checks, [], "no check ran, so none failed");
});

function defaults(name: string): Record<string, number | string | boolean> {
  return Object.fromEntries(Object.entries(experimentNamed(name).params).map(([k, spec]) => [k, spec.default]));
}
