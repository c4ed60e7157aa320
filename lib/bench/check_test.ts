// Proves the checker benchmark measures real work: every corpus file is checked with its expected
// verdict, and generated histories are linearizable. It asserts nothing about speed.
import assert from "node:assert/strict";
import { checkLinearizable } from "../check/linearizability.ts";
import { kv } from "../check/models.ts";
import { pairOperations } from "../check/operations.ts";
import { generateKvHistory } from "../check/generate.ts";
import { Rng } from "../sim/rng.ts";
import { benchCheck } from "./check.ts";

Deno.test("generated kv histories are linearizable by construction and keep one open operation per process", () => {
  for (let seed = 1; seed <= 5; seed++) {
    const history = generateKvHistory(Rng.fromSeed(seed), { operations: 2000, processes: 10, keys: 5 });
    assert.equal(history.length, 4000);
    const result = checkLinearizable(pairOperations(history), kv as never, { initial: "" });
    assert.equal(result.valid, true, `seed ${seed}`);
  }
});

Deno.test("benchCheck reports the corpus total, the slowest files and generated-history throughput", async () => {
  const figures = await benchCheck({ runs: 1, operations: 2000, hardSeeds: 1, raftClients: [5], raftSeeds: 1 });
  const names = figures.map((f) => f.name);
  assert.ok(names.some((n) => n.startsWith("Porcupine corpus, all 109 files")));
  assert.ok(names.some((n) => n.startsWith("generated kv history throughput")));
  assert.ok(names.some((n) => n.includes("one stale read") && n.endsWith("checks with the expected verdict")));
  assert.ok(names.some((n) => n.startsWith("raft-chaos, 5 clients")));
  for (const figure of figures) assert.ok(Number.isFinite(figure.value) && figure.value >= 0, figure.name);
});
