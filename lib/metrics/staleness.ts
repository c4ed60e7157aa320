/**
 * Staleness of reads in register and key-value histories: how far behind the latest
 * acknowledged write each read was, in versions and in time, and the probability that a read is
 * fresh as a function of the time since the latest write (PBS t-visibility, Bailis et al.,
 * "Probabilistically Bounded Staleness for Practical Partial Quorums", VLDB 2012, §3).
 *
 * What the history must look like: operations with `f` `"write"` or `"put"` set their key (the
 * event's `key`, or one register when there is none) to the invocation's `value`; operations
 * with `f` `"read"` or `"get"` return the value in their `ok` completion. Written values must be
 * unique per key (a repeated value is refused), so a value read names the write that produced
 * it. Values are compared by their JSON text. A `delete` sets its key back to the initial value
 * (what a read of a deleted key returns); a read of the initial value is then judged against the
 * latest delete instead of a unique write. Other functions are ignored.
 *
 * Definitions, for an ok read R invoked at time t:
 * - The versions R may be judged against are the writes of its key acknowledged (ok) before R was
 *   invoked, ordered by acknowledgement: W1 … Wn. The reference is Wn, or the initial value when
 *   n = 0.
 * - R is `fresh` when it returns Wn's value, or the value of a write not acknowledged before t
 *   (one still in flight, acknowledged later, or of unknown outcome): such a write is concurrent
 *   with R and may be ordered after Wn.
 * - Otherwise R returned Wj (or the initial value, j = 0): `versionsBehind` = n − j and
 *   `stalenessUs` = t − (acknowledgement time of Wj+1), the time the value read had been
 *   superseded. Both are 0 for a fresh read.
 * - `sinceWriteUs` = t − (acknowledgement time of Wn); NaN when n = 0.
 * - A value no write could have produced (never written, written by a `fail`ed write, or by a
 *   write invoked after R completed) is not staleness but an anomaly for a consistency checker:
 *   the row has `fresh` false and NaN `versionsBehind` and `stalenessUs`.
 *
 * "Before" is history order, so events that share a time stamp keep the order they were logged in.
 *
 * @example
 * ```ts
 * import { staleness } from "./staleness.ts";
 * const rows = staleness([
 *   { process: 0, type: "invoke", f: "write", key: "x", value: 1, time: 0 },
 *   { process: 0, type: "ok", f: "write", key: "x", value: 1, time: 10_000 },
 *   { process: 1, type: "invoke", f: "read", key: "x", value: null, time: 50_000 },
 *   { process: 1, type: "ok", f: "read", key: "x", value: null, time: 51_000 },
 * ]);
 * rows[0].versionsBehind; // 1: the read returned the initial value
 * rows[0].stalenessUs; // 40000
 * ```
 * @module
 */
import { assert, checkNumber, InputError } from "../assert.ts";
import type { Op } from "../history/mod.ts";
import { completedOperations, type Events, eventsOf, lowerBound } from "./_operations.ts";

/** Functions that write their invocation's value. */
export const writeFunctions: readonly string[] = ["write", "put"];
/** Functions that read a value, returned in their ok completion. */
export const readFunctions: readonly string[] = ["read", "get"];

/** Options of {@linkcode staleness}. */
export interface StalenessOptions {
  /** The value every key holds before its first write; default null (a read of nothing). */
  initial?: unknown;
}

/** How stale one ok read was. */
export interface StalenessRow {
  /** The key read; null for a single register. */
  key: string | null;
  process: number;
  readInvokeUs: number;
  /** The value the read returned. */
  value: unknown;
  fresh: boolean;
  /** Acknowledged writes after the version read, up to the read's invocation; NaN for an anomaly. */
  versionsBehind: number;
  /** Time from the acknowledgement of the write that superseded the value read to the read's invocation. */
  stalenessUs: number;
  /** Time from the latest acknowledged write of the key to the read's invocation; NaN when none. */
  sinceWriteUs: number;
}

interface Write {
  invokeIndex: number;
  outcome: "ok" | "fail" | "unknown";
  /** Position among the key's acknowledged writes, in acknowledgement order. */
  ackPosition: number;
}

interface KeyWrites {
  byValue: Map<string, Write>;
  /** The deletes of the key: each writes the initial value again, so none is found by value. */
  deletes: Write[];
  ackIndices: number[];
  ackTimesUs: number[];
}

/**
 * One row per ok read of the history, in completion order.
 *
 * @param events the history's events, or the `History` itself
 * @param options the initial value of every key
 * @returns tidy rows, one per ok read
 *
 * @example
 * ```ts
 * import { staleness } from "./staleness.ts";
 * staleness([
 *   { process: 0, type: "invoke", f: "put", key: "k", value: "a", time: 0 },
 *   { process: 0, type: "ok", f: "put", key: "k", value: "a", time: 5 },
 *   { process: 0, type: "invoke", f: "get", key: "k", value: null, time: 9 },
 *   { process: 0, type: "ok", f: "get", key: "k", value: "a", time: 12 },
 * ])[0].fresh; // true
 * ```
 */
export function staleness(events: Events, options: StalenessOptions = {}): StalenessRow[] {
  const ops = eventsOf(events);
  const completed = completedOperations(ops);
  const keys = writesByKey(ops, completed);
  const initialText = valueText(options.initial);
  for (const [key, writes] of keys) {
    if (writes.byValue.has(initialText)) {
      throw new InputError(`key ${JSON.stringify(key)}: a write of the initial value ${initialText} is ambiguous`);
    }
  }
  const rows: StalenessRow[] = [];
  for (const { invocation, completion, invokeIndex, completeIndex } of completed) {
    if (!readFunctions.includes(invocation.f) || completion.type !== "ok") continue;
    const key = invocation.key ?? null;
    const writes = keys.get(key) ?? { byValue: new Map(), deletes: [], ackIndices: [], ackTimesUs: [] };
    const read = { invokeIndex, completeIndex, invokeUs: invocation.time };
    // The writes acknowledged before the read was invoked are positions 0 .. acknowledged - 1.
    const acknowledged = lowerBound(writes.ackIndices, invokeIndex);
    rows.push({
      key,
      process: invocation.process as number,
      readInvokeUs: invocation.time,
      value: completion.value,
      ...judgeRead(writes, acknowledged, valueText(completion.value), initialText, read),
      sinceWriteUs: acknowledged === 0 ? NaN : invocation.time - writes.ackTimesUs[acknowledged - 1],
    });
  }
  return rows;
}

/** Every write of every key, with its outcome and acknowledgement order. */
function writesByKey(
  ops: readonly Op[],
  completed: ReturnType<typeof completedOperations>,
): Map<string | null, KeyWrites> {
  const keys = new Map<string | null, KeyWrites>();
  const writeOf = new Map<number, Write>();
  ops.forEach((op, index) => {
    const deletes = op.f === "delete";
    if (op.process === "nemesis" || op.type !== "invoke" || !(deletes || writeFunctions.includes(op.f))) return;
    const key = op.key ?? null;
    let writes = keys.get(key);
    if (writes === undefined) {
      keys.set(key, writes = { byValue: new Map(), deletes: [], ackIndices: [], ackTimesUs: [] });
    }
    if (deletes) {
      const write: Write = { invokeIndex: index, outcome: "unknown", ackPosition: -1 };
      writes.deletes.push(write);
      writeOf.set(index, write);
      return;
    }
    const text = valueText(op.value);
    if (writes.byValue.has(text)) {
      throw new InputError(
        `key ${JSON.stringify(key)}: value ${text} is written twice; written values must be unique per key`,
      );
    }
    const write: Write = { invokeIndex: index, outcome: "unknown", ackPosition: -1 };
    writes.byValue.set(text, write);
    writeOf.set(index, write);
  });
  for (const { invocation, completion, invokeIndex, completeIndex } of completed) {
    const write = writeOf.get(invokeIndex);
    if (write === undefined || completion.type === "info") continue;
    write.outcome = completion.type === "ok" ? "ok" : "fail";
    if (write.outcome !== "ok") continue;
    const writes = keys.get(invocation.key ?? null)!;
    write.ackPosition = writes.ackIndices.length;
    writes.ackIndices.push(completeIndex);
    writes.ackTimesUs.push(completion.time);
  }
  return keys;
}

type Judgement = Pick<StalenessRow, "fresh" | "versionsBehind" | "stalenessUs">;

/**
 * Judges a read that returned the value of JSON text `text` against the first `acknowledged`
 * acknowledged writes of its key.
 */
function judgeRead(
  writes: KeyWrites,
  acknowledged: number,
  text: string,
  initialText: string,
  read: { invokeIndex: number; completeIndex: number; invokeUs: number },
): Judgement {
  const behind = (supersededBy: number): Judgement => {
    const versionsBehind = acknowledged - supersededBy;
    const stalenessUs = read.invokeUs - writes.ackTimesUs[supersededBy];
    assert(versionsBehind > 0 && stalenessUs >= 0, "a stale read is behind a write acknowledged before it");
    return { fresh: false, versionsBehind, stalenessUs };
  };
  const fresh = { fresh: true, versionsBehind: 0, stalenessUs: 0 };
  if (text === initialText) {
    const supersededBy = absentSupersededBy(writes, acknowledged, read.completeIndex);
    return supersededBy < 0 ? fresh : behind(supersededBy);
  }
  const write = writes.byValue.get(text);
  if (write === undefined || write.outcome === "fail" || write.invokeIndex > read.completeIndex) {
    return { fresh: false, versionsBehind: NaN, stalenessUs: NaN };
  }
  // The latest write acknowledged before the read, or one acknowledged later or never (concurrent
  // with the read, so it may be ordered after that latest one), is fresh.
  if (write.outcome === "unknown" || write.ackPosition >= acknowledged - 1) return fresh;
  return behind(write.ackPosition + 1);
}

/**
 * A read of the initial value after `acknowledged` writes: fresh (-1) when there were none, when
 * the latest was a delete, or when a delete is concurrent with the read; otherwise the position of
 * the write that superseded the latest acknowledged delete (0, the first write, when none was).
 */
function absentSupersededBy(writes: KeyWrites, acknowledged: number, readCompleteIndex: number): number {
  if (acknowledged === 0) return -1;
  let latest = -1;
  for (const d of writes.deletes) {
    const concurrent = d.invokeIndex < readCompleteIndex && (d.outcome === "unknown" || d.ackPosition >= acknowledged);
    if (concurrent || d.ackPosition === acknowledged - 1) return -1;
    if (d.outcome === "ok" && d.ackPosition < acknowledged) latest = Math.max(latest, d.ackPosition);
  }
  return latest + 1;
}

function valueText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

/** Options of {@linkcode freshnessCurve}. */
export interface FreshnessOptions {
  /** Width of a bin of time since the latest acknowledged write, in microseconds (at least 1). */
  binUs: number;
}

/** One point of the t-visibility curve. */
export interface FreshnessRow {
  /** Start of the bin: reads invoked between this long and `binUs` longer after the latest write. */
  sinceWriteUs: number;
  reads: number;
  /** Fresh reads / reads; NaN for a bin with no reads. */
  freshProbability: number;
}

/** A bound on the bins of a freshness curve. */
export const freshnessBinsMax = 100_000;

/**
 * The probability that a read is fresh as a function of the time since the latest acknowledged
 * write of its key (PBS t-visibility). Reads with no acknowledged write before them, and
 * anomalies (NaN `versionsBehind`), are left out. Every bin from 0 to the last read's appears.
 *
 * @param rows rows from {@linkcode staleness}
 * @param options the bin width
 * @returns one row per bin of `sinceWriteUs`
 *
 * @example
 * ```ts
 * import { freshnessCurve } from "./staleness.ts";
 * freshnessCurve([
 *   { key: null, process: 0, readInvokeUs: 5, value: 1, fresh: false, versionsBehind: 1, stalenessUs: 5, sinceWriteUs: 5 },
 *   { key: null, process: 0, readInvokeUs: 50, value: 2, fresh: true, versionsBehind: 0, stalenessUs: 0, sinceWriteUs: 50 },
 * ], { binUs: 10 }).map((row) => row.freshProbability); // [0, NaN, NaN, NaN, NaN, 1]
 * ```
 */
export function freshnessCurve(rows: readonly StalenessRow[], options: FreshnessOptions): FreshnessRow[] {
  const binUs = checkNumber("binUs", options.binUs, { min: 1 });
  const judged = rows.filter((row) => Number.isFinite(row.sinceWriteUs) && Number.isFinite(row.versionsBehind));
  const binsCount = judged.reduce((most, row) => Math.max(most, Math.floor(row.sinceWriteUs / binUs) + 1), 0);
  if (binsCount > freshnessBinsMax) {
    throw new InputError(
      `${binsCount} bins of ${binUs} us exceed freshnessBinsMax ${freshnessBinsMax}; use wider bins`,
    );
  }
  const reads = new Array<number>(binsCount).fill(0);
  const fresh = new Array<number>(binsCount).fill(0);
  for (const row of judged) {
    const bin = Math.floor(row.sinceWriteUs / binUs);
    reads[bin]++;
    if (row.fresh) fresh[bin]++;
  }
  return reads.map((count, bin) => ({
    sinceWriteUs: bin * binUs,
    reads: count,
    freshProbability: count === 0 ? NaN : fresh[bin] / count,
  }));
}
