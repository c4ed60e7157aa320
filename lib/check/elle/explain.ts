/**
 * Cycles as people read them, in the manner of Elle's explanations: a one-line summary
 * (`G-single: T1 -rw(x)-> T2 -wr(y)-> T1`), each transaction with its micro-ops, and for each
 * step a sentence saying why the first transaction must come before the second.
 *
 * @example
 * ```ts
 * import { describeReason } from "./explain.ts";
 * describeReason({ kind: "wr", key: "x", read: 1, written: 1 }, "T1", "T2", "rw-register");
 * // "T2 read x = 1, written by T1"
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { FoundCycle } from "./cycles.ts";
import type { DependencyGraph } from "./graph.ts";
import { refOf } from "./transactions.ts";
import type { Anomaly, CycleStep, EdgeReason, Transaction, Workload } from "./types.ts";

/** A found cycle as an anomaly: its steps with reasons, and the text. */
export function explainCycle(
  cycle: FoundCycle,
  txns: readonly Transaction[],
  graph: DependencyGraph,
  workload: Workload,
): Anomaly {
  const n = cycle.vertices.length;
  const steps: CycleStep[] = cycle.vertices.map((v, i) => {
    const from = txns[v];
    const to = txns[cycle.vertices[(i + 1) % n]];
    const reason = graph.reasonOf(from.id, to.id, cycle.kinds[i]);
    return {
      txn: refOf(from),
      dependency: { kind: reason.kind, key: reason.key, why: describeReason(reason, from.name, to.name, workload, to) },
    };
  });
  const arrow = (step: CycleStep) => {
    const key = step.dependency.key === undefined ? "" : `(${String(step.dependency.key)})`;
    return ` -${step.dependency.kind}${key}-> `;
  };
  const summary = steps.map((s) => s.txn.name + arrow(s)).join("") + steps[0].txn.name;
  const seen = new Set<string>();
  const lines = [`${cycle.type}: ${summary}`];
  for (const step of steps) {
    if (seen.has(step.txn.name)) continue;
    seen.add(step.txn.name);
    lines.push(
      `  ${step.txn.name} = process ${step.txn.process}, ${step.txn.outcome}: ${JSON.stringify(step.txn.ops)}`,
    );
  }
  steps.forEach((step, i) => {
    const next = steps[(i + 1) % n].txn.name;
    lines.push(`  ${step.txn.name} < ${next} (${step.dependency.kind}): ${step.dependency.why}`);
  });
  lines.push(`  So ${steps[0].txn.name} would come before itself: no order of these transactions explains them.`);
  return { type: cycle.type, cycle: steps, explanation: lines.join("\n") };
}

/** Why `from` must come before `to`, as one sentence. */
export function describeReason(
  reason: EdgeReason,
  from: string,
  to: string,
  workload: Workload,
  toTxn?: Transaction,
): string {
  const key = String(reason.key);
  const read = JSON.stringify(reason.read);
  const written = JSON.stringify(reason.written);
  const listAppend = workload === "list-append";
  switch (reason.kind) {
    case "ww":
      if (reason.basis === "unobserved") {
        return `${to}'s append of ${written} to ${key} appears in no read, so it follows ${from}'s append of ${read}, ` +
          `which reads did see`;
      }
      return listAppend
        ? `${from} appended ${read} to ${key} and ${to} appended ${written} right after it`
        : `${to} read ${key} = ${read}, written by ${from}, and then overwrote it with ${written}`;
    case "wr":
      return listAppend
        ? `${to} read ${key} = ${read}, which holds ${from}'s append of ${written}`
        : `${to} read ${key} = ${read}, written by ${from}`;
    case "rw":
      return describeAntiDependency(reason, from, to, key, read, written, listAppend);
    case "process":
      return `${from} completed before ${to} began, on the same process${
        toTxn === undefined ? "" : ` (${toTxn.process})`
      }`;
    case "realtime":
      return `${from} completed before ${to} was invoked`;
  }
  assert(false, `unknown dependency kind ${reason.kind}`);
}

function describeAntiDependency(
  reason: EdgeReason,
  from: string,
  to: string,
  key: string,
  read: string,
  written: string,
  listAppend: boolean,
): string {
  if (listAppend) {
    const which = reason.basis === "unobserved" ? "which no read ever saw" : "the next element";
    return `${from} read ${key} = ${read} and did not see ${to}'s append of ${written}, ${which}`;
  }
  if (reason.basis === "initial") {
    return `${from} read ${key} = null, the initial state, and ${to} wrote ${key} = ${written}, a later version`;
  }
  return `${from} read ${key} = ${read}, and ${to} read that same version and then overwrote it with ${written}`;
}
