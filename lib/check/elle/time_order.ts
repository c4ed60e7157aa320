/**
 * The orders a client sees, as edges (Elle §4.2): process order (a process's committed
 * transaction before the process's next transaction, for session models) and real-time order (a
 * transaction that completed before another was invoked comes first, for strict models).
 *
 * Only transactions known to have completed come first: an info transaction may commit at any
 * time up to the end of the history, so nothing follows it. Real-time edges are transitively
 * reduced as Elle does: a transaction gets edges only from the "frontier", the completed
 * transactions not already before another completed one, so their number grows with concurrency
 * rather than with the square of the history.
 *
 * @example
 * ```ts
 * import { addProcessEdges, addRealtimeEdges } from "./time_order.ts";
 * import { Budget } from "./budget.ts";
 * import { DependencyGraph } from "./graph.ts";
 * const graph = new DependencyGraph(0, new Budget(10));
 * addProcessEdges([], graph);
 * addRealtimeEdges([], graph);
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { DependencyGraph } from "./graph.ts";
import type { Transaction } from "./types.ts";

/** Adds an edge from each process's last committed transaction to its next committed or info one. */
export function addProcessEdges(txns: readonly Transaction[], graph: DependencyGraph): void {
  const lastCommitted = new Map<number, Transaction>();
  for (const txn of [...txns].sort((a, b) => a.invokeIndex - b.invokeIndex)) {
    if (txn.outcome === "fail") continue;
    const previous = lastCommitted.get(txn.process);
    if (previous !== undefined) graph.add(previous.id, txn.id, { kind: "process" });
    if (txn.outcome === "ok") lastCommitted.set(txn.process, txn);
  }
}

/** Adds real-time edges: a completed transaction before every transaction invoked after it. */
export function addRealtimeEdges(txns: readonly Transaction[], graph: DependencyGraph): void {
  type Moment = { index: number; txn: Transaction; invoke: boolean };
  const moments: Moment[] = [];
  for (const txn of txns) {
    if (txn.outcome === "fail") continue;
    moments.push({ index: txn.invokeIndex, txn, invoke: true });
    if (txn.outcome === "ok") moments.push({ index: txn.completeIndex!, txn, invoke: false });
  }
  moments.sort((a, b) => a.index - b.index);
  const frontier = new Set<Transaction>();
  const predecessors = new Map<Transaction, Transaction[]>();
  for (const { txn, invoke } of moments) {
    if (invoke) {
      const before = [...frontier];
      for (const earlier of before) graph.add(earlier.id, txn.id, { kind: "realtime" });
      predecessors.set(txn, before);
      continue;
    }
    // Whatever came before this transaction now comes before it transitively.
    for (const earlier of predecessors.get(txn) ?? []) frontier.delete(earlier);
    predecessors.delete(txn);
    frontier.add(txn);
  }
  assert(frontier.size <= txns.length, "the frontier holds only transactions");
}
