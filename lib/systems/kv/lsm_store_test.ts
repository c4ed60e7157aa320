// Proves the log-structured store keeps every key's newest record across flushes, compactions and
// restarts, collects a tombstone only when the caller calls it collectable and no older record
// outside the merge would show again, and that its records survive the binary encoding whole.
import assert from "node:assert/strict";
import { type DiskCompletion, type NodeDiskApi, NodeFiles } from "../../sim/mod.ts";
import { decodeRecord, encodeRecord, encodeRecordFrame } from "./codec.ts";
import { decodeFrames, framePayload } from "./log_store.ts";
import { isTombstone, LsmStore, type LsmStoreOptions, sizeTieredBucket } from "./lsm_store.ts";
import type { Sibling } from "./versions.ts";

/** A disk whose operations complete when `settle` is called, in order, each applied then. */
function testDisk() {
  const files = new NodeFiles();
  const pending: { op: "write" | "fsync"; file: string; bytes?: Uint8Array }[] = [];
  const disk: NodeDiskApi = {
    append: (file, bytes) => pending.push({ op: "write", file, bytes: bytes.slice() }),
    write: () => assert.fail("the store only appends"),
    fsync: (file) => pending.push({ op: "fsync", file }),
    read: (file, offset, length) => files.read(file, offset, length),
    size: (file) => files.size(file),
    exists: (file) => files.exists(file),
    list: () => files.list(),
    truncate: (file, length) => files.truncate(file, length),
    rename: (from, to) => files.rename(from, to),
    delete: (file) => files.delete(file),
  };
  const settle = (store: LsmStore) => {
    for (let i = 0; i < 10_000 && pending.length > 0; i++) {
      const op = pending.shift()!;
      if (op.op === "write") files.applyWrite(op.file, -1, op.bytes!);
      else files.applyFsync(op.file, 4096);
      const completion: DiskCompletion = { op: op.op, file: op.file, tag: undefined, ok: true, sizeBytes: 0 };
      assert.ok(store.onDisk(completion), `a completion for ${op.file} the store did not claim`);
    }
  };
  return { disk, files, settle };
}

const value = (v: string | null, counter: number, wallUs = counter): Sibling[] => [
  { dot: { node: 0, counter }, context: { 0: counter - 1 }, value: v, timestamp: { wallUs, logical: 0 } },
];

function open(disk: NodeDiskApi, nowUs: { value: number }, graceUs: number, collected: string[] = []) {
  const options: LsmStoreOptions = {
    disk,
    settings: { memtableBytesMax: 200, tierRunsMin: 4 },
    collectable: (siblings) => isTombstone(siblings) && nowUs.value - siblings[0].timestamp.wallUs >= graceUs,
    onCollected: (key) => collected.push(key),
    nowUs: () => nowUs.value,
    record: () => {},
  };
  return LsmStore.open(options);
}

Deno.test("codec: a record with a tombstone, an expiry, a large counter and non-ASCII text decodes as it was encoded", () => {
  const siblings: Sibling[] = [
    {
      dot: { node: 3, counter: 5_000_000_001 },
      context: { 3: 5_000_000_000, 1: 2 },
      value: null,
      timestamp: { wallUs: 7, logical: 2 },
    },
    {
      dot: { node: 1, counter: 3 },
      context: {},
      value: "héllo ✓",
      timestamp: { wallUs: 9, logical: 0 },
      expiresAtUs: 99,
    },
  ];
  assert.deepEqual(decodeRecord(encodeRecord({ seq: 12, key: "clé", siblings })), { seq: 12, key: "clé", siblings });
});

Deno.test("size-tiered selection merges the first bucket of four similar runs, and nothing when no bucket has four", () => {
  assert.deepEqual(sizeTieredBucket([100, 110, 90, 105, 5_000], 4), [2, 0, 3, 1]);
  assert.deepEqual(sizeTieredBucket([100, 400, 1_600, 6_400], 4), []);
});

Deno.test("lsm: a restart after flushes and compactions recovers every key's newest record, the logs replayed over the runs", () => {
  const { disk, settle } = testDisk();
  const now = { value: 0 };
  const { store } = open(disk, now, 1_000);
  for (let i = 1; i <= 60; i++) {
    store.put(`k${i % 7}`, value(`v${i}`, i), () => {});
    settle(store);
    store.maintain();
    settle(store);
  }
  assert.ok(store.figures().compactions > 0, "the store compacted");
  // The last write is in the log only: no flush has taken it yet.
  store.put("k0", value("in-the-log", 61), () => {});
  settle(store);
  const { records } = open(disk, now, 1_000);
  for (let k = 0; k < 7; k++) {
    const newest = [...Array(60).keys()].map((i) => i + 1).filter((i) => i % 7 === k).pop()!;
    assert.equal(records.get(`k${k}`)?.siblings[0].value, k === 0 ? "in-the-log" : `v${newest}`);
  }
});

Deno.test("lsm: a tombstone is collected by compaction only past gc_grace, and then the key is gone after a restart too", () => {
  const { disk, settle } = testDisk();
  const now = { value: 0 };
  const collected: string[] = [];
  const { store } = open(disk, now, 1_000, collected);
  store.put("doomed", value("old", 1), () => {});
  for (let i = 0; i < 5; i++) store.put(`filler${i}`, value("x", 2 + i), () => {});
  settle(store);
  store.put("doomed", value(null, 10, 10), () => {});
  for (let i = 0; i < 5; i++) store.put(`filler${i}`, value("y", 20 + i), () => {});
  settle(store);
  store.maintain();
  settle(store);
  assert.deepEqual(collected, [], "within gc_grace the tombstone stays");
  assert.ok(store.tombstones() >= 1);
  now.value = 2_000;
  store.maintain();
  settle(store);
  assert.deepEqual(collected, ["doomed"]);
  assert.equal(store.tombstones(), 0);
  assert.equal(open(disk, now, 1_000).records.has("doomed"), false, "neither the tombstone nor the old value");
});

Deno.test("lsm: once its tombstone is collected, the older value it shadowed never shows again, after a restart either", () => {
  const { disk, settle } = testDisk();
  const now = { value: 10_000 };
  const collected: string[] = [];
  const { store } = open(disk, now, 0, collected);
  store.put("k", value("old", 1), () => {});
  for (let i = 0; i < 5; i++) store.put(`filler${i}`, value("x", 2 + i), () => {});
  settle(store);
  store.put("k", value(null, 10), () => {});
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 5; i++) store.put(`other${i}`, value(`y${round}`, 20 + round * 5 + i), () => {});
    settle(store);
    store.maintain();
    settle(store);
  }
  assert.deepEqual(collected, ["k"]);
  assert.equal(open(disk, now, 0).records.has("k"), false, "the old value stays gone after a restart");
});

Deno.test("a record framed in one pass is the same bytes as its encoding behind a frame header", () => {
  const siblings: Sibling[] = [
    { dot: { node: 2, counter: 5 }, context: { 0: 3, 2: 4, 10: 1 }, value: "v", timestamp: { wallUs: 7, logical: 2 } },
    { dot: { node: 1, counter: 3 }, context: {}, value: null, timestamp: { wallUs: 9, logical: 0 }, expiresAtUs: 99 },
  ];
  const record = { seq: 4, key: "clé", siblings };
  assert.deepEqual(encodeRecordFrame(record), framePayload(encodeRecord(record)));
  assert.deepEqual(decodeFrames(encodeRecordFrame(record), { encode: encodeRecord, decode: decodeRecord }).records, [
    record,
  ]);
});
