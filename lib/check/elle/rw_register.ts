/**
 * The rw-register workload (Elle §5.2): each key holds one value, overwritten by writes, with
 * written values unique per key. A read names the writer of the value it returned (wr), but the
 * order of versions is mostly hidden: a register forgets what it held. Elle infers the order only
 * where the history shows it, and so does this module:
 *
 * - the initial state (a read of null) comes before every written version;
 * - writes follow reads: a committed transaction that read version v of a key and then wrote w
 *   puts v right before w (sound for serializable histories: its read is the latest write
 *   before it in any serial order);
 *
 * and from that partial version order: ww (the writer of v before the writer of w), rw (a reader
 * of v before the writer of each version right after v), and wr. Direct anomalies: G1a (a read of
 * an aborted write), G1b (a read of a write its transaction later overwrote), `internal` (a read
 * that differs from the transaction's own earlier read or write of the key), `future-read` (a
 * read of the transaction's own later write), `garbage-read` (a value nobody wrote).
 *
 * Not inferred (Elle's options for these assume more than the history shows): version orders from
 * real time or process order ("linearizable keys", "sequential keys"). So a lost update between
 * two blind writes, or a write skew on keys whose versions no one read in order, is invisible.
 *
 * @example
 * ```ts
 * import { analyzeRwRegister } from "./rw_register.ts";
 * import { AnomalyLog } from "./anomaly_log.ts";
 * import { Budget } from "./budget.ts";
 * import { DependencyGraph } from "./graph.ts";
 * analyzeRwRegister([], new DependencyGraph(0, new Budget(10)), new AnomalyLog(4));
 * ```
 * @module
 */
import { InputError } from "../../assert.ts";
import type { AnomalyLog } from "./anomaly_log.ts";
import type { DependencyGraph } from "./graph.ts";
import { refOf } from "./transactions.ts";
import type { Key, Transaction, Value } from "./types.ts";

/** The version before every write: what a read of null saw. */
const initial: unique symbol = Symbol("initial");

/** A version of a key: the initial state or a written value. */
type Version = Value | typeof initial;

/** Who wrote a value to a key, and whether it was that transaction's last write to the key. */
interface Write {
  txn: Transaction;
  opIndex: number;
  final: boolean;
}

/** A committed transaction's first read of a key, before writing it: what it saw of others. */
interface ExternalRead {
  txn: Transaction;
  key: Key;
  value: Value | null;
}

interface Index {
  writes: Map<Key, Map<Value, Write>>;
  reads: ExternalRead[];
  /** Transactions known to have committed: ok ones, and info ones whose writes were read. */
  committed: Set<number>;
}

/** Finds the direct anomalies of an rw-register history and adds its ww, wr and rw edges. */
export function analyzeRwRegister(txns: readonly Transaction[], graph: DependencyGraph, log: AnomalyLog): void {
  const index = buildIndex(txns);
  for (const txn of txns) if (txn.outcome === "ok") checkInternal(txn, index, log);
  for (const read of index.reads) checkRead(read, index, log);
  const versions = versionOrders(index);
  for (const [key, next] of versions) addWriteWrite(key, next, index, graph);
  for (const read of index.reads) {
    const writer = committedWriter(index, read.key, read.value);
    if (read.value !== null && writer === undefined) continue;
    if (writer !== undefined && writer.txn !== read.txn) {
      graph.add(writer.txn.id, read.txn.id, { kind: "wr", key: read.key, read: read.value, written: read.value });
    }
    addReadWrite(read, versions.get(read.key)?.get(read.value ?? initial) ?? [], index, graph);
  }
}

function buildIndex(txns: readonly Transaction[]): Index {
  const writes = new Map<Key, Map<Value, Write>>();
  const reads: ExternalRead[] = [];
  for (const txn of txns) {
    const lastWrite = new Map<Key, Write>();
    const touched = new Set<Key>();
    txn.ops.forEach((op, opIndex) => {
      if (op.f === "r") {
        if (txn.outcome === "ok" && !touched.has(op.key)) {
          reads.push({ txn, key: op.key, value: op.value as Value | null });
        }
        touched.add(op.key);
        return;
      }
      touched.add(op.key);
      let byValue = writes.get(op.key);
      if (byValue === undefined) writes.set(op.key, byValue = new Map());
      const other = byValue.get(op.value);
      if (other !== undefined) {
        throw new InputError(
          `${other.txn.name} (event ${other.txn.invokeIndex + 1}) and ${txn.name} (event ${txn.invokeIndex + 1}) ` +
            `both write ${JSON.stringify(op.value)} to ${String(op.key)}; rw-register needs values unique per key`,
        );
      }
      const write = { txn, opIndex, final: false };
      byValue.set(op.value, write);
      lastWrite.set(op.key, write);
    });
    for (const write of lastWrite.values()) write.final = true;
  }
  const committed = new Set<number>();
  for (const read of reads) {
    const writer = read.value === null ? undefined : writes.get(read.key)?.get(read.value);
    if (writer !== undefined && writer.txn.outcome === "info") committed.add(writer.txn.id);
  }
  for (const txn of txns) if (txn.outcome === "ok") committed.add(txn.id);
  return { writes, reads, committed };
}

function committedWriter(index: Index, key: Key, value: Value | null): Write | undefined {
  if (value === null) return undefined;
  const write = index.writes.get(key)?.get(value);
  return write !== undefined && index.committed.has(write.txn.id) ? write : undefined;
}

/**
 * Internal consistency: a read returns what the transaction last read or wrote of the key, and
 * never a value the transaction itself writes only later.
 */
function checkInternal(txn: Transaction, index: Index, log: AnomalyLog): void {
  const known = new Map<Key, Value | null>();
  txn.ops.forEach((op, opIndex) => {
    if (op.f !== "r") {
      known.set(op.key, op.value);
      return;
    }
    const value = op.value as Value | null;
    const shown = `${txn.name} read ${String(op.key)} = ${JSON.stringify(value)}`;
    if (known.has(op.key) && known.get(op.key) !== value) {
      log.add("internal", () => ({
        type: "internal",
        key: op.key,
        value,
        txns: [refOf(txn)],
        explanation: `internal: ${shown}, but its own earlier micro-ops left ${JSON.stringify(known.get(op.key))}`,
      }));
    }
    const writer = value === null ? undefined : index.writes.get(op.key)?.get(value);
    if (writer?.txn === txn && writer.opIndex > opIndex) {
      log.add("future-read", () => ({
        type: "future-read",
        key: op.key,
        value,
        txns: [refOf(txn)],
        explanation: `future-read: ${shown}, a value ${txn.name} itself writes only later`,
      }));
    }
    known.set(op.key, value);
  });
}

/** The anomalies one external read shows on its own: garbage, aborted and intermediate reads. */
function checkRead(read: ExternalRead, index: Index, log: AnomalyLog): void {
  if (read.value === null) return;
  const { txn, key, value } = read;
  const shown = `${txn.name} read ${String(key)} = ${JSON.stringify(value)}`;
  const writer = index.writes.get(key)?.get(value);
  if (writer === undefined) {
    log.add("garbage-read", () => ({
      type: "garbage-read",
      key,
      value,
      txns: [refOf(txn)],
      explanation: `garbage-read: ${shown}, a value no transaction wrote`,
    }));
    return;
  }
  if (writer.txn === txn) return;
  if (writer.txn.outcome === "fail") {
    log.add("G1a", () => ({
      type: "G1a",
      key,
      value,
      txns: [refOf(txn), refOf(writer.txn)],
      explanation: `G1a (aborted read): ${shown}, written by ${writer.txn.name}, a transaction that failed`,
    }));
  } else if (!writer.final) {
    log.add("G1b", () => ({
      type: "G1b",
      key,
      value,
      txns: [refOf(txn), refOf(writer.txn)],
      explanation: `G1b (intermediate read): ${shown}, but ${writer.txn.name} overwrote it with a later write`,
    }));
  }
}

/**
 * Per key, the versions known to come right after each version: a transaction that read v and
 * then wrote w gives v → w; the initial state comes before every committed version that nothing
 * else is known to precede.
 */
function versionOrders(index: Index): Map<Key, Map<Version, Value[]>> {
  const next = new Map<Key, Map<Version, Value[]>>();
  const preceded = new Set<string>();
  const link = (key: Key, from: Version, to: Value) => {
    let byVersion = next.get(key);
    if (byVersion === undefined) next.set(key, byVersion = new Map());
    const tos = byVersion.get(from);
    if (tos === undefined) byVersion.set(from, [to]);
    else tos.push(to);
    preceded.add(JSON.stringify([key, to]));
  };
  for (const read of index.reads) {
    const write = finalWrite(read.txn, read.key);
    if (write === undefined) continue;
    // A read of an aborted or unknown value places nothing.
    if (read.value !== null && committedWriter(index, read.key, read.value) === undefined) continue;
    link(read.key, read.value ?? initial, write);
  }
  for (const [key, byValue] of index.writes) {
    for (const [value, write] of byValue) {
      const version = write.final && index.committed.has(write.txn.id);
      if (version && !preceded.has(JSON.stringify([key, value]))) link(key, initial, value);
    }
  }
  return next;
}

/** The last value `txn` wrote to `key`, if any. */
function finalWrite(txn: Transaction, key: Key): Value | undefined {
  for (let i = txn.ops.length - 1; i >= 0; i--) {
    const op = txn.ops[i];
    if (op.f === "w" && op.key === key) return op.value;
  }
  return undefined;
}

/** ww: the writer of each version before the writer of the version known to follow it. */
function addWriteWrite(key: Key, next: Map<Version, Value[]>, index: Index, graph: DependencyGraph): void {
  for (const [from, tos] of next) {
    if (from === initial) continue;
    const earlier = committedWriter(index, key, from)!;
    for (const to of tos) {
      const later = committedWriter(index, key, to)!;
      if (earlier.txn === later.txn) continue;
      graph.add(earlier.txn.id, later.txn.id, {
        kind: "ww",
        key,
        read: from,
        written: to,
        basis: "write-follows-read",
      });
    }
  }
}

/** rw: a reader of a version before the writer of each version known to follow it. */
function addReadWrite(read: ExternalRead, following: readonly Value[], index: Index, graph: DependencyGraph): void {
  for (const value of following) {
    const writer = committedWriter(index, read.key, value)!;
    if (writer.txn === read.txn) continue;
    graph.add(read.txn.id, writer.txn.id, {
      kind: "rw",
      key: read.key,
      read: read.value,
      written: value,
      basis: read.value === null ? "initial" : "write-follows-read",
    });
  }
}
