/**
 * The `table` check of a compacted topic: a reader that rebuilds the key → value table from what
 * it read (every poll and the final drain of each partition, in order) must end with the
 * producers' final state: for each key, the value of its acknowledged write with the highest
 * offset, or no entry when that write was a tombstone. Kafka promises this to a reader that keeps
 * up within `delete.retention.ms`; the check leaves out keys it cannot judge: those with a send of
 * unknown outcome, and those whose last write fell in a range retention deleted before the reader
 * got there (the reader reports such a jump as a `{ skipped: [from, to] }` marker).
 *
 * @example
 * ```ts
 * import { checkTable } from "./table.ts";
 * checkTable([]).valid; // true
 * ```
 * @module
 */
import type { CheckResult } from "../../../check/mod.ts";
import { completedOperations } from "../../../metrics/mod.ts";
import type { Op } from "../../../sim/mod.ts";

interface ReadRecord {
  offset: number;
  key: string;
  value: string | null;
}

/** Keys whose final value the reader got wrong, shown at most this many in the message. */
const shownMax = 5;

/** The `table` check over a history of keyed sends, polls and drains. */
export function checkTable(events: readonly Op[]): CheckResult {
  const expected = new Map<string, { offset: number; value: string | null }>();
  const unknown = new Set<string>();
  const reads = new Map<string, { timeUs: number; values: unknown[] }[]>();
  for (const { invocation, completion: op } of completedOperations(events)) {
    if (op.key === undefined) continue;
    if (invocation.f === "send") {
      const sent = invocation.value as { key: string; value: string | null };
      const id = `${op.key}/${sent.key}`;
      if (op.type === "info") unknown.add(id);
      if (op.type !== "ok") continue;
      const offset = op.value as number;
      const known = expected.get(id);
      if (known === undefined || known.offset < offset) expected.set(id, { offset, value: sent.value });
    } else if ((invocation.f === "poll" || invocation.f === "drain") && op.type === "ok") {
      const list = reads.get(op.key) ?? [];
      list.push({ timeUs: op.time, values: op.value as unknown[] });
      reads.set(op.key, list);
    }
  }
  const table = new Map<string, string>();
  const skippedRanges = new Map<string, [number, number][]>();
  for (const [partition, list] of reads) {
    for (const read of list.sort((a, b) => a.timeUs - b.timeUs)) {
      for (const value of read.values) {
        const skipped = (value as { skipped?: [number, number] }).skipped;
        if (skipped !== undefined) {
          skippedRanges.set(partition, [...(skippedRanges.get(partition) ?? []), skipped]);
          continue;
        }
        const record = value as ReadRecord;
        const id = `${partition}/${record.key}`;
        if (record.value === null) table.delete(id);
        else table.set(id, record.value);
      }
    }
  }
  const wrong: string[] = [];
  let judged = 0;
  for (const [id, last] of expected) {
    if (unknown.has(id)) continue;
    const partition = id.slice(0, id.indexOf("/"));
    const skipped = skippedRanges.get(partition) ?? [];
    if (skipped.some(([from, to]) => last.offset >= from && last.offset < to)) continue;
    judged++;
    const got = table.get(id) ?? null;
    if (got !== last.value) {
      wrong.push(`${id}: read ${JSON.stringify(got)}, last written ${JSON.stringify(last.value)} at ${last.offset}`);
    }
  }
  const valid = wrong.length === 0;
  return {
    checker: "table",
    valid,
    message: valid
      ? `the reader's table matches the producers' final state on ${judged} keys`
      : `${wrong.length} of ${judged} keys differ from the producers' final state: ${
        wrong.slice(0, shownMax).join("; ")
      }`,
    details: { keysJudged: judged, keysWrong: wrong.length, keysUnknown: unknown.size, wrong: wrong.slice(0, 20) },
  };
}
