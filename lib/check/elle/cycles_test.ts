// Proves the cycle classification (Elle's: by the count and adjacency of rw edges, then wr, then
// ww, with a suffix for process or real-time edges) and that each component reports its most
// telling cycles: a G-single rather than a longer G2 through it, and in a wider scope only the
// cycles that need that scope's edges.
import assert from "node:assert/strict";
import { Budget } from "./budget.ts";
import { classifyCycle, type FoundCycle, type Scope, searchCycles } from "./cycles.ts";
import { DependencyGraph } from "./graph.ts";
import type { DependencyKind } from "./types.ts";

Deno.test("a cycle's type follows from its edges: rw count and adjacency, then wr, then ww", () => {
  const table: [DependencyKind[], string][] = [
    [["ww", "ww"], "G0"],
    [["ww", "wr"], "G1c"],
    [["rw", "wr"], "G-single"],
    [["rw", "ww", "rw", "wr"], "G-nonadjacent"],
    [["wr", "rw", "rw"], "G2"],
    [["rw", "wr", "rw"], "G2"],
    [["ww", "process"], "G0-process"],
    [["rw", "process", "realtime"], "G-single-realtime"],
  ];
  for (const [kinds, type] of table) assert.equal(classifyCycle(kinds), type, kinds.join(","));
});

/** Builds a graph of `n` vertices from [from, to, kind] triples and searches it in `scope`. */
function search(n: number, edges: [number, number, DependencyKind][], scope: Scope = "data"): FoundCycle[] {
  const budget = new Budget(10_000);
  const graph = new DependencyGraph(n, budget);
  for (const [from, to, kind] of edges) graph.add(from, to, { kind, key: "k" });
  const found: FoundCycle[] = [];
  const vertices = Array.from({ length: n }, (_, i) => i);
  searchCycles(graph, vertices, scope, { budget, attemptsMax: 8 }, (cycle) => found.push(cycle));
  return found;
}

Deno.test("a component with a G-single reports it, and no G2 for the same transactions", () => {
  // 0 -rw-> 1 -wr-> 0 is a G-single; 0 -rw-> 2 -rw-> 0 is a G2 in the same component.
  const found = search(3, [[0, 1, "rw"], [1, 0, "wr"], [0, 2, "rw"], [2, 0, "rw"]]);
  assert.deepEqual(found.map((c) => [c.type, c.vertices, c.kinds]), [["G-single", [0, 1], ["rw", "wr"]]]);
});

Deno.test("a G-single is found behind a longer ww path, and the cycle starts at its smallest vertex", () => {
  const found = search(4, [[3, 1, "rw"], [1, 2, "ww"], [2, 0, "ww"], [0, 3, "wr"]]);
  assert.deepEqual(found.map((c) => [c.type, c.vertices, c.kinds]), [
    ["G-single", [0, 3, 1, 2], ["wr", "rw", "ww", "ww"]],
  ]);
});

Deno.test("G0 and G1c are both reported when a component holds both", () => {
  const found = search(3, [[0, 1, "ww"], [1, 0, "ww"], [1, 2, "wr"], [2, 0, "ww"]]);
  assert.deepEqual(found.map((c) => c.type), ["G0", "G1c"]);
});

Deno.test("a wider scope reports only the cycles that need its edges", () => {
  const edges: [number, number, DependencyKind][] = [[0, 1, "rw"], [1, 0, "wr"], [2, 3, "rw"], [3, 2, "process"]];
  assert.deepEqual(search(4, edges, "data").map((c) => c.type), ["G-single"]);
  assert.deepEqual(search(4, edges, "process").map((c) => c.type), ["G-single-process"]);
  assert.deepEqual(search(4, edges, "realtime").map((c) => c.type), []);
});
