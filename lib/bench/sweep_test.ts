// Proves the sweep benchmark runs real sweeps on one and on two workers and reports their ratio,
// with the ceiling of pure CPU loops and a worker's start-up beside it. It asserts nothing about speed.
import assert from "node:assert/strict";
import { benchSweep } from "./sweep.ts";

Deno.test("benchSweep reports one-worker and two-worker times, the speed-up, its ceiling and a worker's start-up", async () => {
  const figures = await benchSweep({ runs: 1, cells: 2 });
  const byName = Object.fromEntries(figures.map((f) => [f.name.split(" (")[0], f.value]));
  assert.ok(byName["sweep of 2 echo runs, 1 worker"] > 0);
  assert.ok(byName["sweep of 2 echo runs, 2 workers"] > 0);
  assert.ok(figures.some((f) => f.name.startsWith("speed-up of 2 workers over 1")));
  assert.ok(byName["ceiling: speed-up of 2 pure CPU loops on 2 workers over 1"] > 0);
  assert.ok(byName["sweep worker start-up to its first tiny echo cell"] > 0);
  assert.ok(byName["the same, loading every system's experiments"] > 0);
  if (Deno.build.os === "linux") assert.ok(byName["CPU time of the sweep of 2 echo runs, 2 workers"] > 0);
});
