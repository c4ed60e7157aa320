/**
 * From a history's events to transactions: each client invocation of f "txn" paired with its
 * completion, its micro-operations checked against the workload.
 *
 * - `ok`: the transaction committed; its completion carries the reads' results;
 * - `fail`: it did not commit; its invocation says what it would have written;
 * - `info`, or no completion: it may or may not have committed; its reads are unknown, and its
 *   writes count as committed only once some read observes one of them.
 *
 * Bad input (a value that is not a list of micro-ops, an unknown micro-op, a completion whose
 * micro-ops differ from its invocation's) is an InputError naming the event (from 1) and what is
 * allowed. Nemesis events are skipped.
 *
 * @example
 * ```ts
 * import { parseTransactions } from "./transactions.ts";
 * const txns = parseTransactions([
 *   { process: 0, type: "invoke", f: "txn", value: [["append", "x", 1]], time: 0 },
 *   { process: 0, type: "ok", f: "txn", value: [["append", "x", 1]], time: 1 },
 * ], "list-append");
 * ```
 * @module
 */
import { assert, InputError } from "../../assert.ts";
import type { Op } from "../../history/mod.ts";
import type { Key, MicroOp, Outcome, Transaction, TransactionRef, Value, Workload } from "./types.ts";

/** The micro-operations each workload allows, as error messages show them. */
const allowedForms: Record<Workload, string> = {
  "list-append": '["append", key, value] and ["r", key, list-or-null]',
  "rw-register": '["w", key, value] and ["r", key, value-or-null]',
};

const writeFunction: Record<Workload, "append" | "w"> = { "list-append": "append", "rw-register": "w" };

/** Pairs the events of `events` into transactions, in order of invocation. */
export function parseTransactions(events: readonly Op[], workload: Workload): Transaction[] {
  const open = new Map<number, number>();
  const pending: { invokeIndex: number; completeIndex: number | undefined; outcome: Outcome }[] = [];
  events.forEach((event, index) => {
    if (event.process === "nemesis") return;
    const where = `event ${index + 1} (process ${event.process}, ${event.type})`;
    if (event.f !== "txn") {
      throw new InputError(`${where}: f is ${JSON.stringify(event.f)}; the isolation checker takes only f "txn"`);
    }
    const openIndex = open.get(event.process);
    if (event.type === "invoke") {
      if (openIndex !== undefined) {
        throw new InputError(`${where}: process invokes a txn while its txn of event ${openIndex + 1} is open`);
      }
      open.set(event.process, pending.length);
      pending.push({ invokeIndex: index, completeIndex: undefined, outcome: "info" });
      return;
    }
    if (openIndex === undefined) throw new InputError(`${where}: completes a txn it never invoked`);
    open.delete(event.process);
    pending[openIndex].completeIndex = index;
    pending[openIndex].outcome = event.type;
  });
  return pending.map((p, id) => buildTransaction(events, p, id, workload));
}

function buildTransaction(
  events: readonly Op[],
  paired: { invokeIndex: number; completeIndex: number | undefined; outcome: Outcome },
  id: number,
  workload: Workload,
): Transaction {
  const invocation = events[paired.invokeIndex];
  const invoked = parseOps(invocation, paired.invokeIndex, workload, false);
  let ops = invoked;
  if (paired.outcome === "ok") {
    const completeIndex = paired.completeIndex!;
    ops = parseOps(events[completeIndex], completeIndex, workload, true);
    checkSameShape(invoked, ops, completeIndex, paired.invokeIndex);
  }
  // Reads of transactions that did not commit, or may not have, say nothing.
  if (paired.outcome !== "ok") ops = ops.map((op) => op.f === "r" ? { f: "r", key: op.key, value: null } : op);
  return {
    id,
    name: `T${id + 1}`,
    process: invocation.process as number,
    outcome: paired.outcome,
    ops,
    invokeIndex: paired.invokeIndex,
    completeIndex: paired.completeIndex,
  };
}

/** Parses and checks one event's list of micro-ops. `completed` allows filled-in reads. */
function parseOps(event: Op, index: number, workload: Workload, completed: boolean): MicroOp[] {
  const where = `event ${index + 1} (process ${String(event.process)}, ${event.type} txn)`;
  if (!Array.isArray(event.value)) {
    throw new InputError(
      `${where}: value must be a list of micro-ops (${allowedForms[workload]}), got ${show(event.value)}`,
    );
  }
  // The place is named only on error: formatting every micro-op (long reads included) would cost
  // more than checking it.
  return event.value.map((raw, i) =>
    parseOp(raw, () => `${where}, micro-op ${i + 1} ${show(raw)}`, workload, completed)
  );
}

function parseOp(raw: unknown, where: () => string, workload: Workload, completed: boolean): MicroOp {
  const allowed = `the ${workload} workload allows ${allowedForms[workload]}`;
  if (!Array.isArray(raw) || raw.length !== 3) throw new InputError(`${where()}: not a micro-op; ${allowed}`);
  const [f, key, value] = raw as unknown[];
  if (f !== "r" && f !== writeFunction[workload]) {
    throw new InputError(`${where()}: unknown micro-op ${show(f)}; ${allowed}`);
  }
  if (!isKey(key)) throw new InputError(`${where()}: a key must be a string or a finite number`);
  if (f !== "r") {
    if (!isValue(value)) throw new InputError(`${where()}: a written value must be a string or a finite number`);
    return { f: f as "append" | "w", key, value };
  }
  if (value === null || value === undefined) return { f: "r", key, value: null };
  if (!completed) throw new InputError(`${where()}: an invocation's read must be null (filled in on completion)`);
  if (workload === "rw-register") {
    if (!isValue(value)) throw new InputError(`${where()}: a read must be a string, a finite number, or null`);
    return { f: "r", key, value };
  }
  if (!Array.isArray(value) || !value.every(isValue)) {
    throw new InputError(`${where()}: a read must be a list of strings or finite numbers, or null`);
  }
  return { f: "r", key, value };
}

/** An ok completion must report the micro-ops its invocation asked for, with the reads filled in. */
function checkSameShape(invoked: MicroOp[], completed: MicroOp[], completeIndex: number, invokeIndex: number): void {
  const where = `event ${completeIndex + 1}`;
  if (invoked.length !== completed.length) {
    throw new InputError(
      `${where}: the completion has ${completed.length} micro-ops but its invocation (event ${
        invokeIndex + 1
      }) has ${invoked.length}`,
    );
  }
  invoked.forEach((op, i) => {
    const other = completed[i];
    const same = op.f === other.f && op.key === other.key && (op.f === "r" || op.value === other.value);
    if (!same) {
      throw new InputError(
        `${where}: micro-op ${i + 1} ${show(toNotation(other))} differs from the invocation's ${
          show(toNotation(op))
        } (event ${invokeIndex + 1})`,
      );
    }
  });
}

function isKey(key: unknown): key is Key {
  return typeof key === "string" || (typeof key === "number" && Number.isFinite(key));
}

function isValue(value: unknown): value is Value {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A micro-op in Elle's notation. */
export function toNotation(op: MicroOp): unknown[] {
  return [op.f, op.key, op.value];
}

/** A transaction as reports show it. */
export function refOf(txn: Transaction): TransactionRef {
  assert(txn.name.startsWith("T"), `transaction ${txn.id} has no name`);
  return {
    name: txn.name,
    process: txn.process,
    outcome: txn.outcome,
    ops: txn.ops.map(toNotation),
    invokeIndex: txn.invokeIndex,
    completeIndex: txn.completeIndex,
  };
}

/** The list a list-append read returned: null (a key never written) reads as the empty list. */
export function readList(op: MicroOp): Value[] {
  assert(op.f === "r", `${op.f} is not a read`);
  assert(op.value === null || Array.isArray(op.value), "a list-append read holds a list or null");
  return op.value === null ? [] : op.value as Value[];
}
