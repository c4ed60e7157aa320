/**
 * Graph search for the cycle finder: Tarjan's strongly connected components (iterative, so a long
 * chain of transactions cannot overflow the call stack) and breadth-first shortest paths. Both
 * take the graph as a successor function over integer vertices, so the same code runs on the
 * dependency graph, on its restriction to some edge kinds, and on the product graph the
 * nonadjacent search builds. Every edge followed spends one step of the budget.
 *
 * @example
 * ```ts
 * import { shortestPath, stronglyConnectedComponents } from "./scc.ts";
 * import { Budget } from "./budget.ts";
 * const next = (v: number) => [[1], [2], [0]][v];
 * stronglyConnectedComponents([0, 1, 2], next, new Budget(100)); // [[2, 1, 0]]
 * shortestPath(0, 0, next, new Budget(100)); // [0, 1, 2, 0]
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { Budget } from "./budget.ts";

/** The vertices a vertex has edges to. Must return only vertices of the searched set. */
export type Successors = (vertex: number) => readonly number[];

/**
 * The strongly connected components of the graph on `vertices` (Tarjan 1972), each listed in the
 * order Tarjan pops it; components come out in reverse topological order.
 */
export function stronglyConnectedComponents(
  vertices: readonly number[],
  successors: Successors,
  budget: Budget,
): number[][] {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const components: number[][] = [];
  const frames: { vertex: number; next: readonly number[]; position: number }[] = [];
  const enter = (vertex: number) => {
    index.set(vertex, index.size);
    low.set(vertex, index.size - 1);
    stack.push(vertex);
    onStack.add(vertex);
    frames.push({ vertex, next: successors(vertex), position: 0 });
  };
  for (const root of vertices) {
    if (index.has(root)) continue;
    enter(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame.position < frame.next.length) {
        const w = frame.next[frame.position++];
        budget.spend();
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) low.set(frame.vertex, Math.min(low.get(frame.vertex)!, index.get(w)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low.set(parent.vertex, Math.min(low.get(parent.vertex)!, low.get(frame.vertex)!));
      if (low.get(frame.vertex) === index.get(frame.vertex)) {
        components.push(popComponent(stack, onStack, frame.vertex));
      }
    }
  }
  assert(stack.length === 0, "Tarjan's stack is empty at the end");
  return components;
}

function popComponent(stack: number[], onStack: Set<number>, root: number): number[] {
  const component: number[] = [];
  while (true) {
    const v = stack.pop();
    assert(v !== undefined, "the component root is on the stack");
    onStack.delete(v);
    component.push(v);
    if (v === root) return component;
  }
}

/**
 * A shortest path from `source` to `target` as its vertices, both ends included; when they are
 * the same vertex, a shortest cycle through it. Undefined when `target` is unreachable.
 */
export function shortestPath(
  source: number,
  target: number,
  successors: Successors,
  budget: Budget,
): number[] | undefined {
  const parent = new Map<number, number>([[source, -1]]);
  const queue = [source];
  for (let head = 0; head < queue.length; head++) {
    const u = queue[head];
    for (const w of successors(u)) {
      budget.spend();
      if (w === target) return tracePath(parent, u, target);
      if (parent.has(w)) continue;
      parent.set(w, u);
      queue.push(w);
    }
  }
  return undefined;
}

/**
 * Every vertex reachable from `source`, each mapped to its parent on a shortest path (the source
 * to -1). With {@linkcode pathInTree}, one search answers "is there a path to v?" for every v.
 */
export function breadthFirstTree(source: number, successors: Successors, budget: Budget): Map<number, number> {
  const parent = new Map<number, number>([[source, -1]]);
  const queue = [source];
  for (let head = 0; head < queue.length; head++) {
    for (const w of successors(queue[head])) {
      budget.spend();
      if (parent.has(w)) continue;
      parent.set(w, queue[head]);
      queue.push(w);
    }
  }
  return parent;
}

/** The path from the tree's source to `target` (both included), or undefined when unreached. */
export function pathInTree(tree: Map<number, number>, target: number): number[] | undefined {
  if (!tree.has(target)) return undefined;
  const path: number[] = [];
  for (let v = target; v !== -1; v = tree.get(v)!) path.push(v);
  return path.reverse();
}

function tracePath(parent: Map<number, number>, last: number, target: number): number[] {
  const path = [target];
  for (let v = last; v !== -1; v = parent.get(v)!) path.push(v);
  return path.reverse();
}
