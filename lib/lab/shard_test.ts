// Proves a sweep's shards are deterministic, cover every cell exactly once and are balanced by
// estimated cost (longest first onto the least-loaded shard), and that bad `I/N` text is refused
// naming what is allowed.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { sweepCells } from "./cells.ts";
import { experimentNamed } from "./registry.ts";
import { assignShards, cellCostEstimate, parseShard } from "./shard.ts";

Deno.test("parseShard reads I/N and refuses 0/3, 4/3, x, 1/0 and 2/ with the allowed form", () => {
  assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
  assert.deepEqual(parseShard("1/1"), { index: 1, count: 1 });
  for (const text of ["0/3", "4/3", "x", "1/0", "2/", "-1/3", "1.5/3", "1/3/4", "", "1/10001"]) {
    assert.throws(
      () => parseShard(text),
      (e: Error) => e instanceof InputError && /--shard takes I\/N/.test(e.message),
    );
  }
});

Deno.test("a cell's cost is durationUs x clients x servers (those it has), else 1", () => {
  assert.equal(cellCostEstimate({ durationUs: 1000, clients: 4, servers: 3, bug: "none" }), 12_000);
  assert.equal(cellCostEstimate({ clients: 5 }), 5);
  assert.equal(cellCostEstimate({ bug: "none", mode: "quorum" }), 1);
});

Deno.test("shards hold every cell exactly once and balance cost, not count: one long cell outweighs many short", () => {
  const cells = [
    { index: 0, params: { durationUs: 10_000 } },
    ...Array.from({ length: 10 }, (_, i) => ({ index: i + 1, params: { durationUs: 1000 } })),
  ];
  const slices = assignShards(cells, 2);
  assert.deepEqual(slices, [[0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
  assert.deepEqual(assignShards(cells, 2), slices, "the same cells give the same assignment");
});

Deno.test("cells of equal cost are dealt round-robin in index order (the stable tie-break), shards may be empty", () => {
  const cells = Array.from({ length: 7 }, (_, index) => ({ index, params: {} }));
  assert.deepEqual(assignShards(cells, 3), [[0, 3, 6], [1, 4], [2, 5]]);
  assert.deepEqual(assignShards(cells.slice(0, 1), 3), [[0], [], []]);
});

Deno.test("an echo sweep's grid is split so each shard's estimated cost is within the largest cell of the others'", () => {
  const cells = sweepCells(
    { experiment: "echo", grid: { clients: [1, 2, 4, 8, 16], durationUs: [100_000, 300_000] }, seeds: [1, 2, 3] },
    experimentNamed("echo").params,
    "v",
  );
  const slices = assignShards(cells, 4);
  assert.deepEqual(slices.flat().sort((a, b) => a - b), cells.map((c) => c.index));
  const loads = slices.map((slice) => slice.reduce((sum, i) => sum + cellCostEstimate(cells[i].params), 0));
  const largest = Math.max(...cells.map((c) => cellCostEstimate(c.params)));
  assert.ok(Math.max(...loads) - Math.min(...loads) <= largest, `loads ${loads.join(", ")}`);
});
