/**
 * The cycle search (Elle §4.3 and `elle.txn`): strongly connected components of the dependency
 * graph first, then inside each component a short cycle of each anomaly class, found by
 * breadth-first search in a subgraph that can only hold that class:
 *
 * - G0: a cycle of ww edges (a strongly connected component of the ww subgraph);
 * - G1c: ww and wr edges with at least one wr: a wr edge inside a component of the ww ∪ wr
 *   subgraph, closed by a path back in that subgraph;
 * - G-single: exactly one rw edge u → w, closed by a ww ∪ wr path from w back to u: one
 *   breadth-first search from w answers for every rw edge into w; a few heads are tried (this
 *   search is for a clear explanation, and the next one keeps the verdicts complete);
 * - G-nonadjacent: rw edges none of which follows another (snapshot isolation forbids every such
 *   cycle; Cerone & Gotsman 2016): a cycle through an rw step in the product of the graph with
 *   "was the last edge rw?", whose components decide existence in linear time; searched where no
 *   G-single was found, and a walk it finds with one rw edge is reported as the G-single it is;
 * - G2: two or more rw edges, some adjacent (write skew; only serializability forbids it),
 *   searched only where neither of the above was found, so that whatever cycle is left is G2.
 *
 * Every class is decided completely per component (G0 and G1c by components of their subgraphs,
 * the snapshot-isolation classes by the product graph, G2 by what remains), so a model's verdict
 * never depends on which candidates were tried, only the explanation does.
 *
 * A scope adds process or real-time edges, which may stand anywhere a ww or wr edge may; a cycle
 * that needs them is reported with the suffix "-process" or "-realtime", and a scope reports only
 * the cycles that need its edges (the others are found without it). Each class tries a few
 * candidate starts and keeps the shortest cycle, so explanations stay small.
 *
 * A closed walk from the nonadjacent search may pass a transaction twice; it is still a proof
 * (the relation (ww ∪ wr);rw? has a cycle), and it is reported as found.
 *
 * @example
 * ```ts
 * import { searchCycles } from "./cycles.ts";
 * import { Budget } from "./budget.ts";
 * import { DependencyGraph } from "./graph.ts";
 * const budget = new Budget(1000);
 * const graph = new DependencyGraph(2, budget);
 * graph.add(0, 1, { kind: "ww", key: "x" });
 * graph.add(1, 0, { kind: "ww", key: "y" });
 * const found: string[] = [];
 * searchCycles(graph, [0, 1], "data", { budget, attemptsMax: 4 }, (cycle) => found.push(cycle.type));
 * // found: ["G0"]
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { Budget } from "./budget.ts";
import type { DependencyGraph } from "./graph.ts";
import { breadthFirstTree, pathInTree, shortestPath, stronglyConnectedComponents, type Successors } from "./scc.ts";
import { type AnomalyType, type CycleType, type DependencyKind, dependencyKinds, edgeBit } from "./types.ts";

/** Which edges besides ww, wr and rw a search may use. */
export type Scope = "data" | "process" | "realtime";

/** A cycle found: its transactions (graph vertices) in order, and the kind of each step. */
export interface FoundCycle {
  type: AnomalyType;
  /** Vertices in order; step i goes from vertices[i] to vertices[i + 1], the last back to the first. */
  vertices: number[];
  kinds: DependencyKind[];
}

/** Limits of a search. */
export interface CycleSearchLimits {
  budget: Budget;
  /** Candidate cycles tried per class and component, the shortest kept. */
  attemptsMax: number;
}

const { ww, wr, rw } = edgeBit;
const scopeMask: Record<Scope, number> = {
  data: 0,
  process: edgeBit.process,
  realtime: edgeBit.process | edgeBit.realtime,
};
const scopeSuffix: Record<Scope, string> = { data: "", process: "-process", realtime: "-realtime" };

/**
 * Searches the graph on `vertices` in `scope` and calls `emit` with each cycle as soon as it is
 * found, so that what was found survives the budget running out.
 */
export function searchCycles(
  graph: DependencyGraph,
  vertices: readonly number[],
  scope: Scope,
  limits: CycleSearchLimits,
  emit: (cycle: FoundCycle) => void,
): void {
  const extra = scopeMask[scope];
  const all = ww | wr | rw | extra;
  const components = stronglyConnectedComponents(vertices, (v) => graph.successors(v, all), limits.budget);
  for (const component of components) {
    if (component.length < 2) continue;
    const search = new ComponentSearch(graph, component.sort((a, b) => a - b), extra, limits);
    search.run((cycle) => {
      if (suffixOf(cycle.type) === scopeSuffix[scope]) emit(cycle);
    });
  }
}

/** The base type and scope suffix of a cycle, from its kinds of edges (Elle's cycle explainer). */
export function classifyCycle(kinds: readonly DependencyKind[]): AnomalyType {
  const count = (kind: DependencyKind) => kinds.filter((k) => k === kind).length;
  const rwCount = count("rw");
  assert(rwCount + count("wr") + count("ww") > 0, "a cycle has a data dependency: real time alone is acyclic");
  const adjacent = kinds.some((k, i) => k === "rw" && kinds[(i + 1) % kinds.length] === "rw");
  const base: CycleType = rwCount === 1
    ? "G-single"
    : rwCount > 1
    ? (adjacent ? "G2" : "G-nonadjacent")
    : count("wr") > 0
    ? "G1c"
    : "G0";
  const suffix = count("realtime") > 0 ? "-realtime" : count("process") > 0 ? "-process" : "";
  return `${base}${suffix}` as AnomalyType;
}

/** The searches of one strongly connected component. */
class ComponentSearch {
  readonly #graph: DependencyGraph;
  readonly #component: number[];
  readonly #members: Set<number>;
  readonly #extra: number;
  readonly #limits: CycleSearchLimits;
  readonly #found = new Set<CycleType>();

  constructor(graph: DependencyGraph, component: number[], extra: number, limits: CycleSearchLimits) {
    this.#graph = graph;
    this.#component = component;
    this.#members = new Set(component);
    this.#extra = extra;
    this.#limits = limits;
  }

  run(emit: (cycle: FoundCycle) => void): void {
    const record = (cycle: FoundCycle | undefined) => {
      if (cycle === undefined) return;
      this.#found.add(cycle.type.slice(0, cycle.type.length - suffixOf(cycle.type).length) as CycleType);
      emit(cycle);
    };
    const nonRw = ww | wr | this.#extra;
    const nonRwView = this.#view(nonRw);
    const nonRwComponent = this.#componentOf(nonRwView);
    const writeView = this.#view(ww | this.#extra);
    for (const sub of this.#components(writeView)) record(this.#writeCycle(sub, writeView));
    record(this.#cycleThrough(wr, nonRwComponent, nonRwView, nonRw, nonRw));
    record(this.#singleCycle(nonRwComponent, nonRwView, nonRw));
    if (this.#found.has("G-single")) return;
    record(this.#nonadjacentCycle(nonRw));
    if (this.#found.has("G-single") || this.#found.has("G-nonadjacent")) return;
    const everything = nonRw | rw;
    const whole = new Map(this.#component.map((v) => [v, 0]));
    record(this.#cycleThrough(rw, whole, this.#view(everything), everything, everything));
  }

  /** The successors of each member along edges of `mask`, staying in the component. */
  #view(mask: number): Successors {
    const cache = new Map<number, number[]>();
    return (v) => {
      let out = cache.get(v);
      if (out === undefined) {
        out = this.#graph.successors(v, mask).filter((w) => this.#members.has(w));
        cache.set(v, out);
      }
      return out;
    };
  }

  #components(view: Successors): number[][] {
    return stronglyConnectedComponents(this.#component, view, this.#limits.budget).filter((c) => c.length > 1);
  }

  /** For each member, the number of its strongly connected component in `view`. */
  #componentOf(view: Successors): Map<number, number> {
    const of = new Map<number, number>();
    stronglyConnectedComponents(this.#component, view, this.#limits.budget).forEach((c, i) => {
      for (const v of c) of.set(v, i);
    });
    return of;
  }

  /** The shortest cycle through a few vertices of a ww (plus scope) component. */
  #writeCycle(sub: number[], view: Successors): FoundCycle | undefined {
    return this.#shortest(
      sub.sort((a, b) => a - b).map((v) => () => {
        const path = shortestPath(v, v, view, this.#limits.budget);
        assert(path !== undefined, "a strongly connected vertex lies on a cycle");
        return this.#cycle(path.slice(0, -1), [], ww | this.#extra);
      }),
    );
  }

  /**
   * A cycle whose first edge is of kind `first` and whose other edges are taken from `restMask`:
   * an edge of kind `first` whose ends share a component (by `componentOf`) of `view`, closed by
   * a shortest path in `view`.
   */
  #cycleThrough(
    first: number,
    componentOf: Map<number, number>,
    view: Successors,
    viewMask: number,
    restMask: number,
  ): FoundCycle | undefined {
    assert((viewMask & restMask) === viewMask, "the closing path uses only allowed kinds");
    const candidates: (() => FoundCycle | undefined)[] = [];
    for (const u of this.#component) {
      for (const w of this.#graph.successors(u, first)) {
        if (!this.#members.has(w) || componentOf.get(u) !== componentOf.get(w)) continue;
        candidates.push(() => {
          const path = shortestPath(w, u, view, this.#limits.budget);
          assert(path !== undefined, "ends in one strongly connected component are joined by a path");
          return this.#cycle([u, ...path.slice(0, -1)], [kindOfBit(first)], restMask);
        });
      }
    }
    return this.#shortest(candidates);
  }

  /**
   * A cycle with exactly one rw edge u → w: a ww ∪ wr path from w back to u. A path can only go
   * from a component of that subgraph to one Tarjan numbered lower (components come out in
   * reverse topological order), which rules most rw edges out without a search.
   */
  #singleCycle(componentOf: Map<number, number>, view: Successors, nonRw: number): FoundCycle | undefined {
    const tailsByHead = new Map<number, number[]>();
    for (const u of this.#component) {
      for (const w of this.#graph.successors(u, rw)) {
        if (!this.#members.has(w) || componentOf.get(u)! > componentOf.get(w)!) continue;
        const tails = tailsByHead.get(w);
        if (tails === undefined) tailsByHead.set(w, [u]);
        else tails.push(u);
      }
    }
    const candidates: (() => FoundCycle | undefined)[] = [];
    for (const [w, tails] of [...tailsByHead].slice(0, this.#limits.attemptsMax)) {
      const tree = breadthFirstTree(w, view, this.#limits.budget);
      for (const u of tails) {
        const path = pathInTree(tree, u);
        if (path !== undefined) candidates.push(() => this.#cycle([u, ...path.slice(0, -1)], ["rw"], nonRw));
      }
    }
    return this.#shortest(candidates);
  }

  /**
   * A cycle with rw edges none of which follows another, in the product graph whose vertex 2v + b
   * is "at v, and the last edge was rw" when b is 1: rw edges may leave only from b = 0.
   */
  #nonadjacentCycle(nonRw: number): FoundCycle | undefined {
    const product: Successors = (state) => {
      const v = state >>> 1;
      const out: number[] = [];
      for (const [w, { mask }] of this.#graph.edgesFrom(v)) {
        if (!this.#members.has(w)) continue;
        if ((mask & nonRw) !== 0) out.push(2 * w);
        if ((state & 1) === 0 && (mask & rw) !== 0) out.push(2 * w + 1);
      }
      return out;
    };
    const states = this.#component.flatMap((v) => [2 * v, 2 * v + 1]);
    const componentOf = new Map<number, number>();
    stronglyConnectedComponents(states, product, this.#limits.budget).forEach((c, i) => {
      for (const s of c) componentOf.set(s, i);
    });
    const candidates: (() => FoundCycle | undefined)[] = [];
    for (const u of this.#component) {
      for (const w of this.#graph.successors(u, rw)) {
        if (!this.#members.has(w) || componentOf.get(2 * u) !== componentOf.get(2 * w + 1)) continue;
        candidates.push(() => {
          const path = shortestPath(2 * w + 1, 2 * u, product, this.#limits.budget);
          assert(path !== undefined, "states in one component are joined by a path");
          const kinds: DependencyKind[] = ["rw"];
          for (let i = 0; i + 1 < path.length; i++) {
            kinds.push((path[i + 1] & 1) === 1 ? "rw" : this.#pick(path[i] >>> 1, path[i + 1] >>> 1, nonRw));
          }
          return this.#rotated([u, ...path.slice(0, -1).map((s) => s >>> 1)], kinds);
        });
      }
    }
    return this.#shortest(candidates);
  }

  /** A cycle on `vertices` whose first kinds are given and whose other steps pick from `mask`. */
  #cycle(vertices: number[], firstKinds: DependencyKind[], mask: number): FoundCycle {
    const kinds = vertices.map((v, i) =>
      i < firstKinds.length ? firstKinds[i] : this.#pick(v, vertices[(i + 1) % vertices.length], mask)
    );
    return this.#rotated(vertices, kinds);
  }

  /** The preferred kind of the edge `from` → `to` among `mask`: data edges first, rw last. */
  #pick(from: number, to: number, mask: number): DependencyKind {
    const present = this.#graph.maskOf(from, to) & mask;
    const kind = dependencyKinds.find((k) => (present & edgeBit[k]) !== 0);
    assert(kind !== undefined, `no edge ${from}→${to} among mask ${mask}`);
    return kind;
  }

  /** The cycle started at its smallest vertex, so that one cycle found twice reads the same. */
  #rotated(vertices: number[], kinds: DependencyKind[]): FoundCycle {
    assert(vertices.length === kinds.length && vertices.length >= 2, "a cycle has a kind per step");
    const start = vertices.indexOf(vertices.reduce((a, b) => Math.min(a, b)));
    const turn = <T>(items: T[]) => [...items.slice(start), ...items.slice(0, start)];
    return { type: classifyCycle(kinds), vertices: turn(vertices), kinds: turn(kinds) };
  }

  /** Builds up to `attemptsMax` candidates and keeps the shortest (the first of equals). */
  #shortest(candidates: (() => FoundCycle | undefined)[]): FoundCycle | undefined {
    let best: FoundCycle | undefined;
    for (const build of candidates.slice(0, this.#limits.attemptsMax)) {
      const cycle = build();
      if (cycle !== undefined && (best === undefined || cycle.vertices.length < best.vertices.length)) best = cycle;
      if (best?.vertices.length === 2) break;
    }
    return best;
  }
}

/** "-process", "-realtime", or "" for a cycle of data edges only. */
function suffixOf(type: AnomalyType): string {
  return type.endsWith("-realtime") ? "-realtime" : type.endsWith("-process") ? "-process" : "";
}

function kindOfBit(bit: number): DependencyKind {
  const kind = dependencyKinds.find((k) => edgeBit[k] === bit);
  assert(kind !== undefined, `no kind for bit ${bit}`);
  return kind;
}
