// One partition's view of transactions (KIP-98): an open transaction holds the last stable offset
// at its first record, a marker ends it, an abort marker indexes its range so read_committed
// filters it, and the index rebuilt from the records equals the one kept as they were appended.
import assert from "node:assert/strict";
import { logBugsFor } from "./bugs.ts";
import { isFenced, TransactionIndex, transactionStatePartition, visibleRecords } from "./transactions.ts";
import type { LogRecord } from "./types.ts";

function record(offset: number, producerId: number, extra: Partial<LogRecord> = {}): LogRecord {
  return {
    offset,
    timestampUs: offset,
    leaderEpoch: 1,
    producerId,
    producerEpoch: 0,
    sequence: offset,
    value: `v${offset}`,
    ...extra,
  };
}
const txn = { transactional: true };
const abort = { control: "abort" as const, sequence: -1, value: "" };
const commit = { control: "commit" as const, sequence: -1, value: "" };

/** Producer 1 aborts [0, 3), producer 2 writes a plain record at 1 and commits [2, 4); producer 1 opens again at 5. */
const records = [
  record(0, 1, txn),
  record(1, 2),
  record(2, 2, txn),
  record(3, 1, abort),
  record(4, 2, commit),
  record(5, 1, txn),
];

Deno.test("the LSO is the first record of the earliest open transaction, never above the watermark", () => {
  const index = new TransactionIndex();
  index.onAppend(records[0]);
  index.onAppend(records[1]);
  assert.equal(index.lastStableOffset(2), 0);
  for (const r of records.slice(2)) index.onAppend(r);
  assert.equal(index.lastStableOffset(6), 5);
  assert.equal(index.lastStableOffset(4), 4);
  assert.equal(index.openCount(), 1);
});

Deno.test("read_committed drops an aborted transaction's records and every marker; read_uncommitted only the markers", () => {
  const index = TransactionIndex.of(records);
  assert.deepEqual(index.aborted(), [{ producerId: 1, firstOffset: 0, markerOffset: 3 }]);
  assert.deepEqual(visibleRecords(records.slice(0, 5), index.aborted()).map((r) => r.offset), [1, 2]);
  assert.deepEqual(visibleRecords(records.slice(0, 5), []).map((r) => r.offset), [0, 1, 2]);
});

Deno.test("a marker for a producer with nothing open changes nothing (markers are written again after a failover)", () => {
  const index = TransactionIndex.of([...records.slice(0, 5), record(5, 1, abort)]);
  assert.equal(index.aborted().length, 1);
  assert.equal(index.lastStableOffset(6), 6);
});

Deno.test("an older producer epoch is fenced, unless the planted bug noZombieFencing is on", () => {
  assert.equal(isFenced(1, 2, logBugsFor("none")), true);
  assert.equal(isFenced(2, 2, logBugsFor("none")), false);
  assert.equal(isFenced(0, undefined, logBugsFor("none")), false);
  assert.equal(isFenced(1, 2, logBugsFor("noZombieFencing")), false);
});

Deno.test("a transactional id's state partition comes after the topic's and is stable", () => {
  assert.equal(transactionStatePartition("tx-1", 3), 3);
  const spread = new Set(["a", "b", "c", "d", "e"].map((id) => transactionStatePartition(id, 3, 4)));
  assert.ok([...spread].every((p) => p >= 3 && p < 7) && spread.size > 1);
});
