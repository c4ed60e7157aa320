// Proves the sweep's worker pool keeps its workers busy without changing what a sweep finds: each
// worker holds its next cell before it ends the running one, the costliest cells run first, a
// worker that crashes loses only the cell it was running, and a worker loads the experiments of
// one system only, the same experiments the registry lists.
import assert from "node:assert/strict";
import { systemExperimentLoaders } from "./experiment_modules.ts";
import { experimentsBySystem, experimentSystemOf } from "./registry.ts";
import { runSweep, type SweepSpec } from "./mod.ts";
import { runCell } from "./worker.ts";

const libDir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const clock = () => performance.now();
const probeWorker = new URL("./_probe_worker_testing.ts", import.meta.url);

async function probedSweep(spec: SweepSpec, workers: number) {
  const dir = await Deno.makeTempDir();
  try {
    return await runSweep(spec, {
      dir: `${dir}/sweep`,
      cacheDir: `${dir}/cache`,
      workers,
      wallClockMs: clock,
      workerModule: probeWorker,
    }, libDir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a worker already holds its next cell when it starts one, so it never waits for the sweep to send it", async () => {
  const result = await probedSweep({ experiment: "echo", fixed: { durationUs: 100_000 }, seeds: [1, 2, 3, 4] }, 1);
  assert.deepEqual(result.rows.map((r) => r.queuedAtStart), [2, 2, 2, 1], "the last cell has none behind it");
  assert.deepEqual(result.rows.map((r) => r.verdict), [true, true, true, true]);
});

Deno.test("cells run costliest first, by the cost shards balance on, and the table stays in cell order", async () => {
  const result = await probedSweep({
    experiment: "echo",
    grid: { durationUs: [100_000, 300_000, 200_000] },
    seeds: [1],
  }, 1);
  assert.deepEqual(result.rows.map((r) => [r.cell, r.durationUs]), [[0, 100_000], [1, 300_000], [2, 200_000]]);
  assert.deepEqual(result.rows.map((r) => r.ranNth), [2, 0, 1]);
});

Deno.test("a worker that crashes ends only the cell it was running in an internal error; the cell queued behind it runs on a fresh worker", async () => {
  const result = await probedSweep({ experiment: "echo", fixed: { durationUs: 100_000 }, seeds: [12, 13, 14] }, 1);
  assert.deepEqual(result.rows.map((r) => r.verdict), [true, "unknown", true]);
  assert.deepEqual(result.errors.map((e) => [e.cell, e.kind]), [[1, "internal"]]);
  assert.match(result.errors[0].message, /worker failed: .*crashed on seed 13/);
  assert.equal(result.failures, 0, "a crash is not a violation");
});

Deno.test("each system's lazily loaded experiments are the ones the registry lists for it", async () => {
  for (const [system, load] of Object.entries(systemExperimentLoaders)) {
    const loaded = (await load()).map((e) => e.name);
    assert.deepEqual(loaded, experimentsBySystem[system as keyof typeof experimentsBySystem].map((e) => e.name));
    for (const name of loaded) assert.equal(experimentSystemOf(name), system);
  }
});

Deno.test("a cell names its experiment's system, and a wrong or missing one still finds the experiment", async () => {
  const request = { index: 0, experiment: "echo", params: { durationUs: 100_000 }, seed: 1, keepHistory: false };
  const bySystem = await runCell({ ...request, system: "echo" });
  const wrongSystem = await runCell({ ...request, system: "raft" });
  const noSystem = await runCell(request);
  assert.equal(bySystem.verdict, true);
  assert.equal(wrongSystem.traceHash, bySystem.traceHash);
  assert.equal(noSystem.traceHash, bySystem.traceHash);
  assert.throws(() => experimentSystemOf("ech"), /unknown experiment "ech".*allowed: echo/);
});

/** The modules `module` loads before it runs: its static imports, transitively, without types or dynamic imports. */
async function staticallyLoaded(module: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", new URL("../../deno.json", import.meta.url).pathname, module],
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  type Dependency = { code?: { specifier: string }; isDynamic?: boolean };
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    roots: string[];
    modules: { specifier: string; dependencies?: Dependency[] }[];
  };
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const loaded = new Set<string>();
  const visit = (specifier: string) => {
    if (loaded.has(specifier)) return;
    loaded.add(specifier);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dependency.code !== undefined && !dependency.isDynamic) visit(dependency.code.specifier);
    }
  };
  graph.roots.forEach(visit);
  return [...loaded];
}

Deno.test("a sweep worker starts without other systems' experiments or the chart renderers, and echo's experiments bring no renderer", async () => {
  const heavy =
    /\/lab\/registry\.ts$|\/systems\/(raft|kv|log|register)\/experiments\/|node_modules\/(vega|vega-lite|@resvg)\//;
  const worker = new URL("./worker.ts", import.meta.url).href;
  const echo = new URL("../systems/echo/experiments/mod.ts", import.meta.url).href;
  assert.deepEqual((await staticallyLoaded(worker)).filter((m) => heavy.test(m)), []);
  assert.deepEqual((await staticallyLoaded(echo)).filter((m) => heavy.test(m)), []);
});
