/**
 * The dependency graph: a vertex per transaction, and between two transactions a set of
 * dependency kinds (a bit mask), each with the reason it was first inferred. Self-edges are never
 * added: a transaction depending on itself is an internal matter, checked elsewhere.
 *
 * @example
 * ```ts
 * import { DependencyGraph } from "./graph.ts";
 * import { Budget } from "./budget.ts";
 * const graph = new DependencyGraph(2, new Budget(100));
 * graph.add(0, 1, { kind: "ww", key: "x", read: 1, written: 2, basis: "observed" });
 * graph.successors(0, 1); // [1]
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { Budget } from "./budget.ts";
import { type DependencyKind, edgeBit, type EdgeReason } from "./types.ts";

/** The kinds between one ordered pair of transactions, with the first reason for each. */
interface Edge {
  mask: number;
  reasons: Partial<Record<DependencyKind, EdgeReason>>;
}

/** A directed graph over transactions with labelled edges. */
export class DependencyGraph {
  readonly vertexCount: number;
  readonly #out: Map<number, Edge>[];
  readonly #budget: Budget;
  #edgeCount = 0;

  constructor(vertexCount: number, budget: Budget) {
    assert(Number.isInteger(vertexCount) && vertexCount >= 0, `bad vertex count ${vertexCount}`);
    this.vertexCount = vertexCount;
    this.#out = Array.from({ length: vertexCount }, () => new Map<number, Edge>());
    this.#budget = budget;
  }

  /** Distinct (pair, kind) edges added. */
  get edgeCount(): number {
    return this.#edgeCount;
  }

  /** Adds the edge `from` → `to` of `reason.kind`; the first reason for a pair and kind is kept. */
  add(from: number, to: number, reason: EdgeReason): void {
    assert(from !== to, `no self-edges: ${reason.kind} on ${from}`);
    assert(from >= 0 && from < this.vertexCount && to >= 0 && to < this.vertexCount, `edge ${from}→${to} off graph`);
    this.#budget.spend();
    let edge = this.#out[from].get(to);
    if (edge === undefined) this.#out[from].set(to, edge = { mask: 0, reasons: {} });
    const bit = edgeBit[reason.kind];
    if ((edge.mask & bit) !== 0) return;
    edge.mask |= bit;
    edge.reasons[reason.kind] = reason;
    this.#edgeCount++;
  }

  /** The kinds from `from` to `to`, as a mask (0 when there is no edge). */
  maskOf(from: number, to: number): number {
    return this.#out[from].get(to)?.mask ?? 0;
  }

  /** The reason recorded for the edge `from` → `to` of `kind`. */
  reasonOf(from: number, to: number, kind: DependencyKind): EdgeReason {
    const reason = this.#out[from].get(to)?.reasons[kind];
    assert(reason !== undefined, `no ${kind} edge from ${from} to ${to}`);
    return reason;
  }

  /** The transactions `vertex` has an edge to whose kinds meet `mask`, in order of insertion. */
  successors(vertex: number, mask: number): number[] {
    const out: number[] = [];
    for (const [to, edge] of this.#out[vertex]) if ((edge.mask & mask) !== 0) out.push(to);
    return out;
  }

  /** Every out-edge of `vertex` with its mask. */
  edgesFrom(vertex: number): IterableIterator<[number, { mask: number }]> {
    return this.#out[vertex].entries();
  }
}
