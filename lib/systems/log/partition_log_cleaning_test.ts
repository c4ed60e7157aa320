// Retention and compaction of one partition's log on the simulated disk: closed segments are
// deleted by age and by size (never the active one, never above the watermark), and the cleaner
// keeps the last record of each key, keeps a tombstone until its delete horizon, and swaps its
// new segment in so that a crash at any point leaves the old segment or the new one, whole.
import assert from "node:assert/strict";
import { Simulation } from "../../sim/mod.ts";
import type { NodeApi } from "../../sim/mod.ts";
import { PartitionLog, type PartitionLogOptions } from "./partition_log.ts";
import type { LogRecord } from "./types.ts";

function harness(extra: Partial<PartitionLogOptions> = {}) {
  const sim = new Simulation({ seed: 1 });
  const current: { api?: NodeApi; log?: PartitionLog } = {};
  const options: PartitionLogOptions = {
    partition: 0,
    fsyncPolicy: "always",
    segmentBytesMax: 400,
    segmentAgeUsMax: 1e12,
    indexIntervalBytes: 64,
    ...extra,
  };
  const recover = (api: NodeApi) => {
    current.api = api;
    current.log = PartitionLog.recover(api.disk, options, api.monotonicUs()).log;
  };
  const node = sim.addNode({
    name: "broker",
    create: (api) => ({
      onStart: () => recover(api),
      onRecover: () => recover(api),
      onMessage: () => {},
      onDisk: (c) => void current.log!.onDisk(c, api.monotonicUs()),
    }),
  });
  sim.run({ untilUs: 1 });
  const log = () => current.log!;
  const now = () => current.api!.monotonicUs();
  const put = (key: string, value: string | null) =>
    log().append({
      leaderEpoch: 1,
      producerId: 1,
      producerEpoch: 0,
      sequence: log().endOffset(),
      key,
      value: value ?? "",
      ...(value === null ? { tombstone: true } : {}),
    }, now());
  const settle = (us = 50_000) => sim.run({ untilUs: sim.nowUs + us });
  const crashAndRestart = () => {
    sim.crash(node, { unsyncedOnCrash: "lose" });
    sim.restart(node);
    sim.run({ untilUs: sim.nowUs + 1 });
  };
  /** The key → value table a reader builds from every record from `from` on. */
  const table = (from = log().startOffset(), into = new Map<string, string>()) => {
    for (const r of log().read(from, log().endOffset(), Infinity)) apply(into, r);
    return into;
  };
  return { sim, node, log, now, put, settle, crashAndRestart, table, disk: () => current.api!.disk };
}

function apply(table: Map<string, string>, record: LogRecord): void {
  if (record.key === undefined) return;
  if (record.tombstone) table.delete(record.key);
  else table.set(record.key, record.value);
}

Deno.test("retention by size deletes the oldest closed segments, never the active one, and moves the log start", () => {
  const h = harness({ retentionBytes: 800 });
  for (let i = 0; i < 60; i++) h.put(`k${i}`, `value-${i}`);
  h.settle();
  const before = h.log().segments();
  assert.ok(before.length > 4, `${before.length} segments`);
  const deleted = h.log().applyRetention(h.now(), h.log().endOffset());
  assert.ok(deleted.length > 0);
  const after = h.log().segments();
  assert.equal(after.at(-1)!.baseOffset, before.at(-1)!.baseOffset, "the active segment stays");
  assert.ok(h.log().sizeBytes() - after[0].sizeBytes < 800, "no segment is left that size retention would delete");
  assert.equal(h.log().startOffset(), after[0].baseOffset);
  assert.equal(h.log().read(h.log().startOffset(), Infinity, 1)[0].offset, h.log().startOffset());
  assert.throws(() => h.log().read(0, Infinity, 1), /outside the log/);
  h.crashAndRestart();
  assert.equal(h.log().startOffset(), after[0].baseOffset, "the deletion is durable");
});

Deno.test("retention by time deletes a closed segment once its last append is older than retentionUs, and not above the watermark", () => {
  const h = harness({ retentionUs: 100_000 });
  for (let i = 0; i < 30; i++) h.put(`k${i}`, `value-${i}`);
  h.settle(50_000);
  assert.deepEqual(h.log().applyRetention(h.now(), h.log().endOffset()), [], "too young");
  h.settle(100_000);
  assert.deepEqual(h.log().applyRetention(h.now(), 0), [], "nothing is below a watermark of 0");
  const segments = h.log().segments();
  const deleted = h.log().applyRetention(h.now(), h.log().endOffset());
  assert.equal(deleted.length, segments.length - 1, "every closed segment, the active one kept");
  assert.ok(deleted.every((d) => d.eligibleUs <= h.now()));
});

Deno.test("the cleaner keeps the last value of each key and the records keep their offsets", () => {
  const h = harness();
  for (let round = 0; round < 6; round++) for (let k = 0; k < 5; k++) h.put(`k${k}`, `r${round}`);
  h.put("k0", "last");
  h.settle();
  const expected = h.table();
  const sizeBefore = h.log().sizeBytes();
  while (h.log().startClean(h.now(), h.log().endOffset()) > 0) h.settle();
  const reports = h.log().takeCleanReports();
  assert.ok(reports.length > 0 && reports.every((r) => r.recordsDropped > 0));
  assert.ok(h.log().sizeBytes() < sizeBefore);
  assert.deepEqual(h.table(), expected);
  const offsets = h.log().read(0, Infinity, Infinity).map((r) => r.offset);
  assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
  for (const offset of offsets) assert.ok(h.log().lookup(offset).position >= 0, `lookup ${offset}`);
  h.crashAndRestart();
  assert.deepEqual(h.table(), expected, "the cleaned log survives a crash");
});

function tombstoneScenario(dropTombstonesAtOnce: boolean) {
  const h = harness({ deleteRetentionUs: 200_000, dropTombstonesAtOnce });
  h.put("gone", "old");
  // A slow reader reads the old value now, and the rest later.
  const reader = h.table(0);
  const readUpTo = h.log().endOffset();
  for (let i = 0; i < 20; i++) h.put(`k${i % 4}`, `v${i}`);
  h.put("gone", null);
  for (let i = 0; i < 20; i++) h.put(`k${i % 4}`, `w${i}`);
  h.settle();
  while (h.log().startClean(h.now(), h.log().endOffset()) > 0) h.settle();
  h.table(readUpTo, reader);
  return { h, reader };
}

Deno.test("a tombstone is kept for deleteRetentionUs after the cleaner first kept it, then dropped", () => {
  const { h, reader } = tombstoneScenario(false);
  assert.equal(reader.has("gone"), false, "the slow reader saw the delete");
  assert.ok(h.log().read(0, Infinity, Infinity).some((r) => r.key === "gone" && r.tombstone));
  h.settle(250_000);
  while (h.log().startClean(h.now(), h.log().endOffset()) > 0) h.settle();
  assert.ok(!h.log().read(0, Infinity, Infinity).some((r) => r.key === "gone"), "dropped past the horizon");
  assert.ok(h.log().takeCleanReports().some((r) => r.tombstonesDropped === 1));
});

Deno.test("tombstoneDroppedEarly: the slow reader never learns the key was deleted", () => {
  const { reader } = tombstoneScenario(true);
  assert.equal(reader.get("gone"), "old");
});

Deno.test("a crash while the cleaned segment is being written leaves the old segment, whole", () => {
  const h = harness();
  for (let round = 0; round < 6; round++) for (let k = 0; k < 5; k++) h.put(`k${k}`, `r${round}`);
  h.settle();
  const records = h.log().read(0, Infinity, Infinity);
  assert.ok(h.log().startClean(h.now(), h.log().endOffset()) > 0);
  h.crashAndRestart();
  assert.deepEqual(h.log().read(0, Infinity, Infinity), records);
  assert.ok(!h.disk().list().some((f) => f.endsWith(".cleaned")), "the half-written file is gone");
});

Deno.test("a crash after the cleaned segment became a .swap completes the swap at recovery", () => {
  const h = harness();
  for (let round = 0; round < 6; round++) for (let k = 0; k < 5; k++) h.put(`k${k}`, `r${round}`);
  h.settle();
  const expected = h.table();
  const first = h.log().segments()[0];
  assert.ok(h.log().startClean(h.now(), h.log().endOffset()) > 0);
  // The state between the rename to .swap and the rename over the old segment, then a crash.
  const name = `p0-${String(first.baseOffset).padStart(12, "0")}.log`;
  // The write lands before its flush completes; stop in between.
  for (let i = 0; i < 10_000 && !h.disk().exists(`${name}.cleaned`); i++) h.sim.run({ untilUs: h.sim.nowUs + 1 });
  assert.ok(h.disk().exists(`${name}.cleaned`) && h.log().cleaning());
  h.disk().rename(`${name}.cleaned`, `${name}.swap`);
  h.sim.crash(h.node, { unsyncedOnCrash: "keep" });
  h.sim.restart(h.node);
  h.sim.run({ untilUs: h.sim.nowUs + 1 });
  assert.deepEqual(h.table(), expected);
  assert.ok(h.log().segments()[0].sizeBytes < first.sizeBytes, "the cleaned segment replaced the old one");
  assert.ok(!h.disk().list().some((f) => f.endsWith(".swap")));
});

Deno.test("a reader reading across the swap sees every key's latest value, whatever step the cleaner is at", () => {
  const h = harness();
  for (let round = 0; round < 8; round++) for (let k = 0; k < 5; k++) h.put(`k${k}`, `r${round}`);
  h.settle();
  const expected = h.table();
  assert.ok(h.log().startClean(h.now(), h.log().endOffset()) > 0);
  // Read a few records per step of the simulation while the clean is in flight and after.
  const reader = new Map<string, string>();
  let position = 0;
  while (position < h.log().endOffset()) {
    const batch = h.log().read(Math.max(position, h.log().startOffset()), Infinity, 3);
    for (const r of batch) apply(reader, r);
    position = batch.at(-1)!.offset + 1;
    h.sim.run({ untilUs: h.sim.nowUs + 200 });
  }
  assert.equal(h.log().cleaning(), false);
  assert.deepEqual(reader, expected);
});
