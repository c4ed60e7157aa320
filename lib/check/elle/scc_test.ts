// Proves the graph searches: Tarjan's components (including on a chain too long for recursion),
// shortest paths and cycles by breadth-first search, and that both stop when the budget runs out.
import assert from "node:assert/strict";
import { Budget, BudgetExhausted } from "./budget.ts";
import { breadthFirstTree, pathInTree, shortestPath, stronglyConnectedComponents } from "./scc.ts";

/** A successor function from an adjacency list. */
const graphOf = (edges: number[][]) => (v: number) => edges[v];

Deno.test("Tarjan finds each strongly connected component, single vertices included, sinks first", () => {
  // 0 → 1 → 2 → 0, 2 → 3, 3 ⇄ 4, 5 alone.
  const next = graphOf([[1], [2], [0, 3], [4], [3], []]);
  const components = stronglyConnectedComponents([0, 1, 2, 3, 4, 5], next, new Budget(100));
  assert.deepEqual(components.map((c) => [...c].sort()), [[3, 4], [0, 1, 2], [5]]);
});

Deno.test("Tarjan runs without recursion: a cycle of 200,000 vertices is one component", () => {
  const n = 200_000;
  const next = (v: number) => [(v + 1) % n];
  const vertices = Array.from({ length: n }, (_, i) => i);
  const components = stronglyConnectedComponents(vertices, next, new Budget(n));
  assert.equal(components.length, 1);
  assert.equal(components[0].length, n);
});

Deno.test("shortestPath gives a shortest cycle through a vertex, and undefined when there is none", () => {
  // 0 → 1 → 2 → 0 and the shortcut 1 → 0.
  const next = graphOf([[1], [2, 0], [0], []]);
  assert.deepEqual(shortestPath(0, 0, next, new Budget(100)), [0, 1, 0]);
  assert.deepEqual(shortestPath(2, 1, next, new Budget(100)), [2, 0, 1]);
  assert.equal(shortestPath(3, 3, next, new Budget(100)), undefined);
});

Deno.test("one breadth-first tree answers paths to every reachable vertex", () => {
  const next = graphOf([[1, 2], [3], [3], [], []]);
  const tree = breadthFirstTree(0, next, new Budget(100));
  assert.deepEqual(pathInTree(tree, 3), [0, 1, 3]);
  assert.deepEqual(pathInTree(tree, 0), [0]);
  assert.equal(pathInTree(tree, 4), undefined);
});

Deno.test("every edge followed spends a step: a search past its budget throws BudgetExhausted", () => {
  const next = graphOf([[1], [2], [0]]);
  assert.throws(() => stronglyConnectedComponents([0, 1, 2], next, new Budget(2)), BudgetExhausted);
  assert.throws(() => shortestPath(0, 0, next, new Budget(2)), BudgetExhausted);
  const budget = new Budget(3);
  assert.deepEqual(shortestPath(0, 0, next, budget), [0, 1, 2, 0]);
  assert.equal(budget.steps, 3);
});
