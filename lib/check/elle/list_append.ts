/**
 * The list-append workload (Elle §4.1): each key holds a list that transactions only append to,
 * and appended values are unique per key, so every list a read returns names the writer of every
 * element it holds and the order they were appended in ("recoverability" and "traceability").
 *
 * A read shows the list some committed state held, with the reader's own appends on top. Only the
 * part other transactions appended (the "external" list) says anything about the version order:
 * under weak isolation the reader's appends may land later than its read suggests, behind
 * others' commits. So version orders are built from external lists only.
 *
 * Inferred here:
 * - the version order of each key: the longest external list of any committed read, every other
 *   being a prefix of it (one that is not is an `incompatible-order`);
 * - ww: the writer of each element before the writer of the next; and, beyond Elle, every
 *   committed append that no read ever saw after the writer of the last element ever read (the
 *   final list holds every committed append, and a version that holds none of them comes first);
 * - wr: the writer of a read's last element (not the reader's own) before the reader;
 * - rw: a reader before the writer of the element that follows what it read, or, when it read the
 *   whole longest list, before every writer of an append no read saw;
 * - direct anomalies: G1a (an element appended by an aborted transaction), G1b (a read ending in
 *   an append that was not its writer's last to that key), `internal` (a read that does not show
 *   the transaction's own earlier reads and appends), `future-read` (a read showing an append the
 *   transaction makes only later), `duplicate-elements`, `garbage-read` (an element nobody
 *   appended), and `incompatible-order` also for a read showing one transaction's appends out of
 *   the order it made them in.
 *
 * Reads are long (a list grows all run), so the per-element checks run once per key, on the
 * longest list: a read whose external list is a clean prefix of it needs no scan of its own.
 *
 * @example
 * ```ts
 * import { analyzeListAppend } from "./list_append.ts";
 * import { AnomalyLog } from "./anomaly_log.ts";
 * import { Budget } from "./budget.ts";
 * import { DependencyGraph } from "./graph.ts";
 * analyzeListAppend([], new DependencyGraph(0, new Budget(10)), new AnomalyLog(4));
 * ```
 * @module
 */
import { InputError } from "../../assert.ts";
import type { AnomalyLog } from "./anomaly_log.ts";
import type { DependencyGraph } from "./graph.ts";
import { readList, refOf } from "./transactions.ts";
import type { Key, Transaction, Value } from "./types.ts";

/** Who appended a value to a key, and whether it was that transaction's last append to the key. */
interface Append {
  txn: Transaction;
  opIndex: number;
  final: boolean;
}

/** Appends by key, then by value. */
type Appends = Map<Key, Map<Value, Append>>;

/** A committed transaction's read of a key. */
interface Read {
  txn: Transaction;
  key: Key;
  /** The list as read. */
  list: Value[];
  /** The list without the reader's own appends: what it saw of other transactions. */
  external: Value[];
}

/** What the reads of one key show. */
interface KeyView {
  key: Key;
  reads: Read[];
  /** The read with the longest external list; that list is the version order. */
  longest: Read;
  /** Per read (in the order of `reads`): whether its external list is a prefix of the longest. */
  prefix: boolean[];
  /**
   * The first position of the longest list whose element makes a read holding it anomalous on
   * its own (garbage, aborted, duplicated, or out of its writer's order); its length when none.
   */
  firstSuspect: number;
  /** Values some committed read returned as another transaction's append. */
  observed: Set<Value>;
}

/** Everything the analysis knows about the history, built once. */
interface Index {
  appends: Appends;
  keys: Map<Key, KeyView>;
  /** Transactions known to have committed: ok ones, and info ones whose appends were seen. */
  committed: Set<number>;
}

/** Finds the direct anomalies of a list-append history and adds its ww, wr and rw edges. */
export function analyzeListAppend(txns: readonly Transaction[], graph: DependencyGraph, log: AnomalyLog): void {
  const appends = indexAppends(txns);
  const keys = viewKeys(collectReads(txns, appends), appends);
  const index: Index = { appends, keys, committed: committedTransactions(txns, keys) };
  for (const txn of txns) if (txn.outcome === "ok") checkInternal(txn, appends, log);
  for (const view of keys.values()) {
    view.reads.forEach((read, i) => {
      const clean = view.prefix[i] && read.external.length <= view.firstSuspect &&
        read.external.length === read.list.length;
      if (!clean) checkRead(read, appends, log);
      checkIntermediate(read, appends, log);
    });
    checkCompatible(view, log);
    addKeyEdges(view, index, graph);
  }
}

function indexAppends(txns: readonly Transaction[]): Appends {
  const appends: Appends = new Map();
  for (const txn of txns) {
    const lastAppend = new Map<Key, Append>();
    txn.ops.forEach((op, opIndex) => {
      if (op.f !== "append") return;
      let byValue = appends.get(op.key);
      if (byValue === undefined) appends.set(op.key, byValue = new Map());
      const other = byValue.get(op.value);
      if (other !== undefined) {
        throw new InputError(
          `${other.txn.name} (event ${other.txn.invokeIndex + 1}) and ${txn.name} (event ${txn.invokeIndex + 1}) ` +
            `both append ${JSON.stringify(op.value)} to ${String(op.key)}; list-append needs values unique per key`,
        );
      }
      const append = { txn, opIndex, final: false };
      byValue.set(op.value, append);
      lastAppend.set(op.key, append);
    });
    for (const append of lastAppend.values()) append.final = true;
  }
  return appends;
}

/** Every read of every ok transaction, with its external list. */
function collectReads(txns: readonly Transaction[], appends: Appends): Read[] {
  const reads: Read[] = [];
  for (const txn of txns) {
    if (txn.outcome !== "ok") continue;
    for (const op of txn.ops) {
      if (op.f !== "r") continue;
      const list = readList(op);
      // Only a transaction that appends to the key has anything of its own to leave out.
      const ownAppends = txn.ops.some((o) => o.f === "append" && o.key === op.key);
      const external = ownAppends ? list.filter((v) => appends.get(op.key)?.get(v)?.txn !== txn) : list;
      reads.push({ txn, key: op.key, list, external });
    }
  }
  return reads;
}

function viewKeys(reads: readonly Read[], appends: Appends): Map<Key, KeyView> {
  const byKey = new Map<Key, Read[]>();
  for (const read of reads) {
    const list = byKey.get(read.key);
    if (list === undefined) byKey.set(read.key, [read]);
    else list.push(read);
  }
  const views = new Map<Key, KeyView>();
  for (const [key, keyReads] of byKey) {
    const longest = keyReads.reduce((a, b) => b.external.length > a.external.length ? b : a);
    const prefix = keyReads.map((read) => isPrefix(read.external, longest.external));
    const observed = new Set(longest.external);
    keyReads.forEach((read, i) => {
      if (!prefix[i]) { for (const value of read.external) observed.add(value); }
    });
    const firstSuspect = firstSuspectIndex(longest.external, appends.get(key));
    views.set(key, { key, reads: keyReads, longest, prefix, firstSuspect, observed });
  }
  return views;
}

/** The first position of `list` whose element no clean read could hold; the length when none. */
function firstSuspectIndex(list: readonly Value[], byValue: Map<Value, Append> | undefined): number {
  const seen = new Set<Value>();
  const latest = new Map<Transaction, number>();
  for (let i = 0; i < list.length; i++) {
    const append = byValue?.get(list[i]);
    if (append === undefined || append.txn.outcome === "fail" || seen.has(list[i])) return i;
    const before = latest.get(append.txn);
    if (before !== undefined && before > append.opIndex) return i;
    seen.add(list[i]);
    latest.set(append.txn, append.opIndex);
  }
  return list.length;
}

function committedTransactions(txns: readonly Transaction[], keys: Map<Key, KeyView>): Set<number> {
  const committed = new Set<number>();
  for (const txn of txns) {
    const seen = txn.ops.some((op) => op.f === "append" && keys.get(op.key)?.observed.has(op.value) === true);
    if (txn.outcome === "ok" || (txn.outcome === "info" && seen)) committed.add(txn.id);
  }
  return committed;
}

/** The writer of `value` in `key` when it committed (or may have and was seen), else undefined. */
function committedWriter(index: Index, key: Key, value: Value): Append | undefined {
  const append = index.appends.get(key)?.get(value);
  return append !== undefined && index.committed.has(append.txn.id) ? append : undefined;
}

/**
 * Internal consistency (Elle's `internal`): within a transaction, a read shows the list its
 * earlier read of the key showed, plus its appends since; with no earlier read, it ends with the
 * transaction's appends so far. A read must not show an append the transaction makes later.
 */
function checkInternal(txn: Transaction, appends: Appends, log: AnomalyLog): void {
  const known = new Map<Key, Value[]>();
  const appended = new Map<Key, Value[]>();
  txn.ops.forEach((op, opIndex) => {
    if (op.f === "append") {
      const own = appended.get(op.key);
      if (own === undefined) appended.set(op.key, [op.value]);
      else own.push(op.value);
      return;
    }
    if (op.f !== "r") return;
    const list = readList(op);
    const own = appended.get(op.key) ?? [];
    const prefix = known.get(op.key);
    const consistent = prefix !== undefined ? sameList(list, [...prefix, ...own]) : endsWith(list, own);
    if (!consistent) {
      const expected = prefix !== undefined
        ? JSON.stringify([...prefix, ...own])
        : `a list ending ${JSON.stringify(own)}`;
      log.add("internal", () => ({
        type: "internal",
        key: op.key,
        value: list,
        txns: [refOf(txn)],
        explanation: `internal: ${txn.name} read ${String(op.key)} = ${JSON.stringify(list)} but its own earlier ` +
          `micro-ops imply ${expected}`,
      }));
    }
    const later = txn.ops.slice(opIndex + 1).some((o) => o.f === "append" && o.key === op.key);
    const future = later
      ? list.find((v) => {
        const append = appends.get(op.key)?.get(v);
        return append?.txn === txn && append.opIndex > opIndex;
      })
      : undefined;
    if (future !== undefined) {
      log.add("future-read", () => ({
        type: "future-read",
        key: op.key,
        value: list,
        txns: [refOf(txn)],
        explanation: `future-read: ${txn.name} read ${String(op.key)} = ${JSON.stringify(list)}, which holds ` +
          `${JSON.stringify(future)}, an append ${txn.name} makes only later`,
      }));
    }
    known.set(op.key, list);
    appended.set(op.key, []);
  });
}

/** A read as explanations quote it (built only when an anomaly is logged). */
function shownRead(read: Read): string {
  return `${read.txn.name} read ${String(read.key)} = ${JSON.stringify(read.list)}`;
}

/** The anomalies one read shows on its own: duplicates, garbage, aborted reads, reordered appends. */
function checkRead(read: Read, appends: Appends, log: AnomalyLog): void {
  const { txn, key, list } = read;
  const duplicates = repeated(list);
  if (duplicates.length > 0) {
    log.add("duplicate-elements", () => ({
      type: "duplicate-elements",
      key,
      value: list,
      txns: [refOf(txn)],
      explanation: `duplicate-elements: ${shownRead(read)}, in which ${
        JSON.stringify(duplicates)
      } appear more than once`,
    }));
  }
  const byValue = appends.get(key);
  const garbage = list.filter((v) => byValue?.get(v) === undefined);
  if (garbage.length > 0) {
    log.add("garbage-read", () => ({
      type: "garbage-read",
      key,
      value: list,
      txns: [refOf(txn)],
      explanation: `garbage-read: ${shownRead(read)}, but no transaction appended ${JSON.stringify(garbage)}`,
    }));
  }
  const abortedWriters = new Set(list.map((v) => byValue?.get(v)?.txn).filter((t) => t?.outcome === "fail"));
  for (const writer of abortedWriters) {
    log.add("G1a", () => ({
      type: "G1a",
      key,
      value: list,
      txns: [refOf(txn), refOf(writer!)],
      explanation: `G1a (aborted read): ${shownRead(read)}, which holds appends of ${
        writer!.name
      }, a transaction that failed`,
    }));
  }
  const reordered = reorderedAppends(list, byValue);
  if (reordered !== undefined) {
    log.add("incompatible-order", () => ({
      type: "incompatible-order",
      key,
      value: list,
      txns: [refOf(txn), refOf(reordered.writer)],
      explanation: `incompatible-order: ${shownRead(read)}, in which ${reordered.writer.name}'s appends ` +
        `${JSON.stringify(reordered.values)} appear in the opposite order from the one it made them in`,
    }));
  }
}

/** G1b: the last element a read saw of others' appends was not its writer's last append to the key. */
function checkIntermediate(read: Read, appends: Appends, log: AnomalyLog): void {
  const { txn, key, list, external } = read;
  const lastSeen = external[external.length - 1];
  const last = lastSeen === undefined ? undefined : appends.get(key)?.get(lastSeen);
  if (last === undefined || last.txn.outcome === "fail" || last.final) return;
  log.add("G1b", () => ({
    type: "G1b",
    key,
    value: list,
    txns: [refOf(txn), refOf(last.txn)],
    explanation: `G1b (intermediate read): ${shownRead(read)}, ${
      external.length === list.length ? "which ends in" : "in which the last of others' appends is"
    } ${JSON.stringify(lastSeen)}, but ${last.txn.name} appended more to ${String(key)} after it`,
  }));
}

/**
 * Two appends of one transaction that a read shows in the opposite order from the one the
 * transaction made them in. The graph cannot show this (it would be a self-edge), so it is
 * checked here.
 */
function reorderedAppends(
  list: readonly Value[],
  byValue: Map<Value, Append> | undefined,
): { writer: Transaction; values: Value[] } | undefined {
  const latest = new Map<Transaction, { opIndex: number; value: Value }>();
  for (const value of list) {
    const append = byValue?.get(value);
    if (append === undefined) continue;
    const before = latest.get(append.txn);
    if (before !== undefined && before.opIndex > append.opIndex) {
      return { writer: append.txn, values: [before.value, value] };
    }
    latest.set(append.txn, { opIndex: append.opIndex, value });
  }
  return undefined;
}

/** Every read's external list must be a prefix of the longest: lists only grow at the end. */
function checkCompatible(view: KeyView, log: AnomalyLog): void {
  const conflicting = view.reads.find((_, i) => !view.prefix[i]);
  if (conflicting === undefined) return;
  const { longest, key } = view;
  const shown = (read: Read) =>
    JSON.stringify(read.list) +
    (read.list.length === read.external.length ? "" : ` (of others': ${JSON.stringify(read.external)})`);
  log.add("incompatible-order", () => ({
    type: "incompatible-order",
    key,
    value: [conflicting.list, longest.list],
    txns: [refOf(conflicting.txn), refOf(longest.txn)],
    explanation: `incompatible-order: ${conflicting.txn.name} read ${String(key)} = ${shown(conflicting)} and ` +
      `${longest.txn.name} read ${shown(longest)}; neither is a prefix of the other`,
  }));
}

/** The ww, wr and rw edges of one key. */
function addKeyEdges(view: KeyView, index: Index, graph: DependencyGraph): void {
  const { key } = view;
  const longest = view.longest.external;
  // The version order: the longest read's elements whose writers committed, each once.
  const order = [...new Set(longest)].filter((v) => committedWriter(index, key, v) !== undefined);
  for (let i = 0; i + 1 < order.length; i++) {
    const from = committedWriter(index, key, order[i])!.txn;
    const to = committedWriter(index, key, order[i + 1])!.txn;
    if (from !== to) {
      graph.add(from.id, to.id, { kind: "ww", key, read: order[i], written: order[i + 1], basis: "observed" });
    }
  }
  const unobserved = unobservedAppends(view, index);
  for (const append of unobserved) {
    const before = order.findLast((v) => committedWriter(index, key, v)!.txn !== append.txn);
    if (before === undefined) continue;
    const from = committedWriter(index, key, before)!.txn;
    graph.add(from.id, append.txn.id, { kind: "ww", key, read: before, written: valueOf(append), basis: "unobserved" });
  }
  view.reads.forEach((read, i) => {
    addWriteRead(read, index, graph);
    if (view.prefix[i]) addReadWrite(read, longest, unobserved, index, graph);
  });
}

/** Committed appends to the key that no read returned as another transaction's. */
function unobservedAppends(view: KeyView, index: Index): Append[] {
  return [...index.appends.get(view.key)?.values() ?? []].filter((append) =>
    index.committed.has(append.txn.id) && !view.observed.has(valueOf(append))
  );
}

function valueOf(append: Append): Value {
  return append.txn.ops[append.opIndex].value as Value;
}

/** wr: the writer of the last element the read saw of others' appends, before the reader. */
function addWriteRead(read: Read, index: Index, graph: DependencyGraph): void {
  if (read.external.length === 0) return;
  const value = read.external[read.external.length - 1];
  const writer = committedWriter(index, read.key, value);
  if (writer === undefined) return;
  graph.add(writer.txn.id, read.txn.id, { kind: "wr", key: read.key, read: read.list, written: value });
}

/**
 * rw: the reader before whoever appended the next element after what it read. Only for a read
 * whose external list is a prefix of the version order: another has no place in it.
 */
function addReadWrite(
  read: Read,
  longest: Value[],
  unobserved: readonly Append[],
  index: Index,
  graph: DependencyGraph,
): void {
  for (let i = read.external.length; i < longest.length; i++) {
    const writer = committedWriter(index, read.key, longest[i]);
    if (writer === undefined) continue;
    if (writer.txn !== read.txn) {
      graph.add(read.txn.id, writer.txn.id, {
        kind: "rw",
        key: read.key,
        read: read.list,
        written: longest[i],
        basis: "observed",
      });
    }
    return;
  }
  for (const append of unobserved) {
    if (append.txn === read.txn) continue;
    graph.add(read.txn.id, append.txn.id, {
      kind: "rw",
      key: read.key,
      read: read.list,
      written: valueOf(append),
      basis: "unobserved",
    });
  }
}

/** The values that appear more than once in `list`, each once. */
function repeated(list: readonly Value[]): Value[] {
  const seen = new Set<Value>();
  const twice = new Set<Value>();
  for (const value of list) {
    if (seen.has(value)) twice.add(value);
    seen.add(value);
  }
  return [...twice];
}

function isPrefix(short: readonly Value[], long: readonly Value[]): boolean {
  if (short.length > long.length) return false;
  for (let i = 0; i < short.length; i++) if (short[i] !== long[i]) return false;
  return true;
}

function sameList(a: readonly Value[], b: readonly Value[]): boolean {
  return a.length === b.length && isPrefix(a, b);
}

function endsWith(list: readonly Value[], tail: readonly Value[]): boolean {
  const offset = list.length - tail.length;
  return offset >= 0 && tail.every((v, i) => list[offset + i] === v);
}
