/**
 * Test helpers for the isolation checker (not exported from mod.ts): histories written by hand,
 * random histories executed serially (strictly serializable by construction), mutations of
 * their reads, and a brute-force judge that tries every serial order.
 *
 * @module
 */
import { assert } from "../../assert.ts";
import type { Op } from "../../history/history.ts";
import type { Rng } from "../../base/mod.ts";
import type { Outcome, Value, Workload } from "./types.ts";

/** A transaction written by hand: its micro-ops as the completion reports them. */
export interface TxnSpec {
  /** Default: the transaction's position in the list (every transaction its own process). */
  process?: number;
  /** Default "ok". */
  outcome?: Outcome;
  ops: unknown[][];
}

/** The invocation's micro-ops: reads not yet known. */
function invoked(ops: unknown[][]): unknown[][] {
  return ops.map(([f, k, v]) => [f, k, f === "r" ? null : v]);
}

function completionValue(spec: TxnSpec): unknown[][] {
  return (spec.outcome ?? "ok") === "ok" ? spec.ops : invoked(spec.ops);
}

/**
 * A history in which all transactions overlap: every invocation, then every completion, in list
 * order. No transaction precedes another in real time, so only data edges order them.
 */
export function concurrentHistory(specs: readonly TxnSpec[]): Op[] {
  const events: Op[] = [];
  specs.forEach((spec, i) => {
    events.push({ process: spec.process ?? i, type: "invoke", f: "txn", value: invoked(spec.ops), time: 0 });
  });
  specs.forEach((spec, i) => {
    const type = spec.outcome ?? "ok";
    events.push({ process: spec.process ?? i, type, f: "txn", value: completionValue(spec), time: 0 });
  });
  return events.map((event, time) => ({ ...event, time }));
}

/** A history in which the transactions run one after another, in list order. */
export function serialHistory(specs: readonly TxnSpec[]): Op[] {
  const events: Op[] = [];
  specs.forEach((spec, i) => {
    const process = spec.process ?? i;
    events.push({ process, type: "invoke", f: "txn", value: invoked(spec.ops), time: 0 });
    events.push({ process, type: spec.outcome ?? "ok", f: "txn", value: completionValue(spec), time: 0 });
  });
  return events.map((event, time) => ({ ...event, time }));
}

type State = Map<unknown, Value[] | Value>;

/** Applies one transaction's micro-ops to a copy of `state`; undefined when a checked read differs. */
function apply(state: State, ops: unknown[][], workload: Workload, checkReads: boolean): State | undefined {
  const next = new Map(state);
  for (const [f, key, value] of ops) {
    if (f === "append") next.set(key, [...(next.get(key) as Value[] | undefined) ?? [], value as Value]);
    else if (f === "w") next.set(key, value as Value);
    else if (checkReads && !sameRead(next.get(key), value, workload)) return undefined;
  }
  return next;
}

function sameRead(current: Value[] | Value | undefined, read: unknown, workload: Workload): boolean {
  if (workload === "rw-register") return (current ?? null) === read;
  const list = (current ?? []) as Value[];
  const seen = (read ?? []) as Value[];
  return list.length === seen.length && list.every((v, i) => v === seen[i]);
}

interface PlainTxn {
  outcome: Outcome;
  ops: unknown[][];
  invokeIndex: number;
  completeIndex: number;
}

function plainTransactions(events: readonly Op[]): PlainTxn[] {
  const open = new Map<number, PlainTxn>();
  const txns: PlainTxn[] = [];
  events.forEach((event, index) => {
    const process = event.process as number;
    if (event.type === "invoke") {
      const txn = {
        outcome: "info" as Outcome,
        ops: event.value as unknown[][],
        invokeIndex: index,
        completeIndex: Infinity,
      };
      open.set(process, txn);
      txns.push(txn);
      return;
    }
    const txn = open.get(process)!;
    open.delete(process);
    txn.outcome = event.type as Outcome;
    if (event.type === "ok") {
      txn.ops = event.value as unknown[][];
      txn.completeIndex = index;
    }
  });
  return txns;
}

/**
 * Whether some serial order of the committed transactions (ok ones all, info ones each either
 * placed or left out, failed ones never) explains every read of every ok transaction. With
 * `realtime`, a transaction that completed before another was invoked must come first (strict
 * serializability). Exponential: for histories of a handful of transactions.
 */
export function bruteForceSerializable(events: readonly Op[], workload: Workload, realtime: boolean): boolean {
  const txns = plainTransactions(events).filter((t) => t.outcome !== "fail");
  assert(txns.length <= 10, "brute force is for tiny histories");
  const placed = new Array(txns.length).fill(false);
  const search = (state: State): boolean => {
    if (txns.every((t, i) => placed[i] || t.outcome !== "ok")) return true;
    for (let i = 0; i < txns.length; i++) {
      if (placed[i]) continue;
      const blocked = realtime &&
        txns.some((t, j) => !placed[j] && j !== i && t.outcome === "ok" && t.completeIndex < txns[i].invokeIndex);
      if (blocked) continue;
      const next = apply(state, txns[i].ops, workload, txns[i].outcome === "ok");
      if (next === undefined) continue;
      placed[i] = true;
      const found = search(next);
      placed[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(new Map());
}

/**
 * How a random history's transactions see the database:
 * - "serial": each takes effect at one instant inside its interval (strictly serializable);
 * - "snapshot-isolation": each reads the state committed before it began, plus its own writes;
 *   its writes take effect at its commit instant, unless a transaction that committed since it
 *   began wrote one of its keys, in which case it fails (first committer wins): strong snapshot
 *   isolation, which allows write skew;
 * - "snapshot-reads": the same without first committer wins, so lost updates happen too;
 * - "read-committed": each read sees the state committed at that read's own instant.
 */
export type Execution = "serial" | "snapshot-isolation" | "snapshot-reads" | "read-committed";

/**
 * A random history of a few transactions on two or three keys, executed as `execution` says.
 * Some transactions fail (no effect); some end as info (taking effect or not).
 */
export function randomHistory(rng: Rng, workload: Workload, execution: Execution = "serial"): Op[] {
  const planned = planTransactions(rng, workload);
  const applied = new Set<Planned>();
  const outcomes = new Map<Planned, Outcome>();
  for (const txn of planned) {
    const roll = rng.next();
    const outcome: Outcome = roll < 0.1 ? "fail" : roll < 0.2 ? "info" : "ok";
    outcomes.set(txn, outcome);
    if (outcome === "ok" || (outcome === "info" && rng.bernoulli(0.5))) applied.add(txn);
  }
  if (execution === "snapshot-isolation") firstCommitterWins(planned, applied, outcomes);
  const commits = [...applied].sort((a, b) => a.commitUs - b.commitUs);
  const stateAt = (timeUs: number): State => {
    let state: State = new Map();
    for (const txn of commits) {
      if (txn.commitUs >= timeUs) break;
      state = apply(state, txn.ops.filter(([f]) => f !== "r"), workload, false)!;
    }
    return state;
  };
  const timed: { time: number; op: Op }[] = [];
  for (const txn of planned) {
    const outcome = outcomes.get(txn)!;
    const readUs = readInstants(rng, txn, execution);
    const value = outcome === "ok" ? execute(txn, readUs, stateAt, workload) : invoked(txn.ops);
    timed.push({
      time: txn.callUs,
      op: { process: txn.process, type: "invoke", f: "txn", value: invoked(txn.ops), time: 0 },
    });
    timed.push({ time: txn.returnUs + 0.5, op: { process: txn.process, type: outcome, f: "txn", value, time: 0 } });
  }
  timed.sort((a, b) => a.time - b.time);
  return timed.map((e, time) => ({ ...e.op, time }));
}

interface Planned {
  process: number;
  ops: unknown[][];
  callUs: number;
  commitUs: number;
  returnUs: number;
}

/** Two or three processes, each running one or two transactions of one to three micro-ops. */
function planTransactions(rng: Rng, workload: Workload): Planned[] {
  const keys = rng.bernoulli(0.5) ? ["x", "y"] : ["x", "y", "z"];
  const counters = new Map<string, number>();
  const planned: Planned[] = [];
  const processes = rng.int(2, 3);
  for (let process = 0; process < processes; process++) {
    let t = rng.int(0, 5);
    for (let k = rng.int(1, 2); k > 0; k--) {
      const callUs = t + rng.int(0, 4);
      const returnUs = callUs + rng.int(1, 12);
      const ops = Array.from({ length: rng.int(1, 3) }, () => {
        const key = rng.pick(keys);
        if (rng.bernoulli(0.5)) return ["r", key, null];
        counters.set(key, (counters.get(key) ?? 0) + 1);
        return [workload === "list-append" ? "append" : "w", key, counters.get(key)!];
      });
      planned.push({ process, ops, callUs, commitUs: rng.uniform(callUs, returnUs), returnUs });
      t = returnUs + 1;
    }
  }
  return planned;
}

/** Fails (or, for info, drops) each transaction whose keys a transaction committed since it began wrote. */
function firstCommitterWins(planned: Planned[], applied: Set<Planned>, outcomes: Map<Planned, Outcome>): void {
  const writes = (txn: Planned) => new Set(txn.ops.filter(([f]) => f !== "r").map(([, key]) => key));
  const committed: Planned[] = [];
  for (const txn of [...planned].sort((a, b) => a.commitUs - b.commitUs)) {
    if (!applied.has(txn)) continue;
    const mine = writes(txn);
    const conflict = committed.some((other) =>
      other.commitUs > txn.callUs && [...writes(other)].some((key) => mine.has(key))
    );
    if (!conflict) {
      committed.push(txn);
      continue;
    }
    applied.delete(txn);
    if (outcomes.get(txn) === "ok") outcomes.set(txn, "fail");
  }
}

/** When each micro-op of `txn` looks at the database (only reads use theirs). */
function readInstants(rng: Rng, txn: Planned, execution: Execution): number[] {
  if (execution === "serial") return txn.ops.map(() => txn.commitUs);
  if (execution === "snapshot-isolation" || execution === "snapshot-reads") return txn.ops.map(() => txn.callUs);
  return txn.ops.map(() => rng.uniform(txn.callUs, txn.commitUs)).sort((a, b) => a - b);
}

/** The completion's micro-ops: each read sees the state at its instant plus the txn's own writes. */
function execute(txn: Planned, readUs: number[], stateAt: (timeUs: number) => State, workload: Workload): unknown[][] {
  const own: unknown[][] = [];
  return txn.ops.map(([f, key, value], i) => {
    if (f !== "r") {
      own.push([f, key, value]);
      return [f, key, value];
    }
    const current = apply(stateAt(readUs[i]), own, workload, false)!.get(key);
    return [f, key, workload === "list-append" ? [...(current as Value[] | undefined) ?? []] : current ?? null];
  });
}

/**
 * Changes one read of one ok transaction: for list-append, drops or adds an element, swaps two,
 * or empties the list; for rw-register, returns another written value or null. Undefined when the
 * history has no ok read to change.
 */
export function mutateRead(events: readonly Op[], rng: Rng, workload: Workload): Op[] | undefined {
  // External reads (a transaction's first touch of a key) are changed by preference: a change
  // there is an anomaly between transactions, found by the graph, rather than an internal one.
  const reads: { event: number; op: number; external: boolean }[] = [];
  events.forEach((e, i) => {
    if (e.type !== "ok") return;
    const touched = new Set<unknown>();
    (e.value as unknown[][]).forEach((op, j) => {
      if (op[0] === "r") reads.push({ event: i, op: j, external: !touched.has(op[1]) });
      touched.add(op[1]);
    });
  });
  const external = reads.filter((r) => r.external);
  if (reads.length === 0) return undefined;
  const { event, op } = rng.pick(external.length > 0 && rng.bernoulli(0.8) ? external : reads);
  const ops = (events[event].value as unknown[][]).map((o) => [...o]);
  const [, key, value] = ops[op];
  const written = writtenValues(events, key);
  if (workload === "list-append") {
    ops[op][2] = mutateList(value as Value[], written, rng);
  } else {
    const others = [null, ...written].filter((v) => v !== value);
    if (others.length === 0) return undefined;
    ops[op][2] = rng.pick(others);
  }
  const copy = [...events];
  copy[event] = { ...events[event], value: ops };
  return copy;
}

function writtenValues(events: readonly Op[], key: unknown): Value[] {
  const values = new Set<Value>();
  for (const e of events) {
    if (e.type !== "invoke") continue;
    for (const [f, k, v] of e.value as unknown[][]) if (f !== "r" && k === key) values.add(v as Value);
  }
  return [...values];
}

function mutateList(list: Value[], written: Value[], rng: Rng): Value[] {
  const others = written.filter((v) => !list.includes(v));
  const choices = ["empty"];
  if (list.length > 0) choices.push("drop-last", "drop-any");
  if (list.length > 1) choices.push("swap");
  if (others.length > 0) choices.push("add", "insert");
  const copy = [...list];
  switch (rng.pick(choices)) {
    case "empty":
      return list.length > 0 ? [] : [rng.pick(written.length > 0 ? written : [99])];
    case "drop-last":
      return copy.slice(0, -1);
    case "drop-any":
      copy.splice(rng.int(0, copy.length - 1), 1);
      return copy;
    case "swap": {
      const i = rng.int(0, copy.length - 2);
      [copy[i], copy[i + 1]] = [copy[i + 1], copy[i]];
      return copy;
    }
    case "add":
      return [...copy, rng.pick(others)];
    default:
      copy.splice(rng.int(0, copy.length), 0, rng.pick(others));
      return copy;
  }
}
