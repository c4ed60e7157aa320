// A partition's log on the simulated disk: segments roll by size, appends become durable by the
// fsync policy, and recovery keeps exactly the whole records a crash left, cutting a torn tail and
// rebuilding an offset or time index that is missing or torn; a lookup by time finds the first
// record stamped at or after it, across segments; recovery reads only what the recovery point
// does not vouch for.
import assert from "node:assert/strict";
import { Simulation } from "../../sim/mod.ts";
import type { NodeApi } from "../../sim/mod.ts";
import { type FsyncPolicy } from "./types.ts";
import { PartitionLog, type PartitionLogOptions } from "./partition_log.ts";

/** A node whose incarnations each recover the log; the test drives it from outside. */
function harness(fsyncPolicy: FsyncPolicy, segmentBytesMax = 1 << 20, extra: Partial<PartitionLogOptions> = {}) {
  const sim = new Simulation({ seed: 1 });
  const current: { api?: NodeApi; log?: PartitionLog; report?: ReturnType<typeof PartitionLog.recover>["report"] } = {};
  const options = {
    partition: 0,
    fsyncPolicy,
    segmentBytesMax,
    segmentAgeUsMax: 1e12,
    indexIntervalBytes: 64,
    ...extra,
  };
  const checkpoint = { recoveryPoint: 0 };
  const recover = (api: NodeApi) => {
    const { log, report } = PartitionLog.recover(api.disk, options, api.monotonicUs(), checkpoint);
    Object.assign(current, { api, log, report });
  };
  const node = sim.addNode({
    name: "broker",
    create: (api) => ({
      onStart: () => recover(api),
      onRecover: () => recover(api),
      onMessage: () => {},
      onDisk: (c) => void current.log!.onDisk(c),
    }),
  });
  sim.run({ untilUs: 1 });
  const append = (count: number, timestampUs?: (i: number) => number) => {
    for (let i = 0; i < count; i++) {
      current.log!.append({
        leaderEpoch: 1,
        producerId: 1,
        producerEpoch: 0,
        sequence: current.log!.endOffset(),
        value: `v${i}`,
        ...(timestampUs === undefined ? {} : { timestampUs: timestampUs(current.log!.endOffset()) }),
      }, 0);
    }
  };
  const crashAndRestart = (unsyncedOnCrash: "lose" | "keep" | "torn") => {
    sim.crash(node, { unsyncedOnCrash });
    sim.restart(node);
    sim.run({ untilUs: sim.nowUs + 1 });
  };
  return {
    sim,
    node,
    current,
    append,
    crashAndRestart,
    checkpoint,
    settle: (us = 50_000) => sim.run({ untilUs: sim.nowUs + us }),
  };
}

Deno.test("with fsync always, every completed append becomes durable and survives a crash that loses the page cache", () => {
  const h = harness("always");
  h.append(20);
  h.settle();
  assert.equal(h.current.log!.durableEndOffset(), 20);
  h.crashAndRestart("lose");
  assert.equal(h.current.log!.endOffset(), 20);
  assert.equal(h.current.log!.at(19)?.value, "v19");
});

Deno.test("with fsync never, a crash that loses the page cache loses the unflushed records, and recovery says nothing is torn", () => {
  const h = harness("never");
  h.append(5);
  h.settle();
  h.current.log!.flush();
  h.settle();
  h.append(5);
  h.settle();
  assert.equal(h.current.log!.durableEndOffset(), 5);
  h.crashAndRestart("lose");
  assert.equal(h.current.log!.endOffset(), 5);
});

Deno.test("a torn last record is cut at recovery: the log keeps the whole records before it", () => {
  const h = harness("never");
  h.append(3);
  h.settle();
  h.current.log!.flush();
  h.settle();
  h.append(1);
  h.settle();
  h.crashAndRestart("torn");
  assert.equal(h.current.log!.endOffset(), 3);
  assert.ok(h.current.report!.bytesTruncated > 0, "the torn bytes were cut");
  // The log appends after the cut as if the torn record had never been.
  h.append(1);
  assert.equal(h.current.log!.at(3)?.offset, 3);
});

Deno.test("the active segment rolls by size, and offsets are found through each segment's index", () => {
  const h = harness("always", 300);
  h.append(40);
  h.settle();
  const segments = h.current.log!.segments();
  assert.ok(segments.length > 3, `${segments.length} segments`);
  assert.ok(segments.every((s) => s.sizeBytes <= 300), "no segment passed its size");
  for (const offset of [0, 17, 39]) {
    const { file, position } = h.current.log!.lookup(offset);
    assert.ok(file.endsWith(".log") && position >= 0);
  }
});

Deno.test("a missing or torn offset index is rebuilt at recovery, and lookups work again", () => {
  const h = harness("always", 300);
  h.append(40);
  h.settle();
  const files = h.current.api!.disk.list().filter((f) => f.endsWith(".index"));
  h.current.api!.disk.delete(files[0]);
  h.current.api!.disk.truncate(files[1], 5);
  h.crashAndRestart("keep");
  assert.equal(h.current.report!.indexesRebuilt, 2);
  assert.equal(h.current.log!.endOffset(), 40);
  assert.equal(h.current.log!.lookup(39).position >= 0, true);
  h.settle();
  h.crashAndRestart("keep");
  assert.equal(h.current.report!.indexesRebuilt, 0, "the rebuilt indexes are whole");
});

Deno.test("truncation cuts the log, forgets later epochs and rebuilds the producers' sequences", () => {
  const h = harness("always", 300);
  h.append(30);
  h.current.log!.append({ leaderEpoch: 2, producerId: 9, producerEpoch: 0, sequence: 0, value: "e2" }, 0);
  h.settle();
  h.current.log!.truncateTo(12);
  assert.equal(h.current.log!.endOffset(), 12);
  assert.equal(h.current.log!.epochs.latestEpoch(), 1);
  assert.deepEqual(h.current.log!.producers.check(1, 0, 12), { kind: "append" });
  assert.deepEqual(h.current.log!.producers.check(9, 0, 1), { kind: "unknownProducer" });
  h.crashAndRestart("keep");
  assert.equal(h.current.log!.endOffset(), 12, "the cut is durable");
});

/** The first record in offset order stamped at or after `timestampUs`, found by reading every record. */
function bruteForceOffsetForTime(log: PartitionLog, timestampUs: number) {
  const record = log.read(log.startOffset(), log.endOffset(), Infinity).find((r) => r.timestampUs >= timestampUs);
  return record === undefined ? undefined : { offset: record.offset, timestampUs: record.timestampUs };
}

/** Timestamps that mostly rise, with a dip (a new leader whose clock is behind) in the middle. */
const skewedTimestamp = (offset: number) => (offset >= 20 && offset < 26 ? 1_000 * offset - 9_000 : 1_000 * offset);

Deno.test("a lookup by time finds the first record stamped at or after it, across segments, through the time index", () => {
  const h = harness("always", 300);
  h.append(40, skewedTimestamp);
  h.settle();
  const log = h.current.log!;
  assert.ok(log.segments().length > 3, `${log.segments().length} segments`);
  assert.ok(h.current.api!.disk.list().filter((f) => f.endsWith(".timeindex")).length > 3);
  for (const t of [-5, 0, 500, 1_000, 12_000, 15_500, 17_000, 19_000, 24_000, 39_000, 39_001]) {
    assert.deepEqual(log.offsetForTime(t), bruteForceOffsetForTime(log, t), `at ${t}`);
  }
  assert.equal(log.offsetForTime(39_001), undefined, "no record is that late");
  assert.equal(log.offsetForTime(0, 0), undefined, "nothing below an end offset of 0");
  // Each closed segment's largest timestamp is its last record's, except around the dip.
  const largest = log.largestTimestamps();
  assert.equal(largest.length, log.segments().length);
  assert.equal(largest.at(-1), 39_000);
});

Deno.test("a missing or torn time index is rebuilt at recovery and answers the same lookups", () => {
  const h = harness("always", 300);
  h.append(40, skewedTimestamp);
  h.settle();
  const targets = [0, 3_500, 12_000, 19_000, 24_000, 33_000];
  const before = targets.map((t) => h.current.log!.offsetForTime(t));
  const files = h.current.api!.disk.list().filter((f) => f.endsWith(".timeindex"));
  h.current.api!.disk.delete(files[0]);
  h.current.api!.disk.truncate(files[2], 5);
  h.crashAndRestart("keep");
  assert.equal(h.current.report!.timeIndexesRebuilt, 2);
  assert.equal(h.current.report!.indexesRebuilt, 0, "the offset indexes were whole");
  assert.deepEqual(targets.map((t) => h.current.log!.offsetForTime(t)), before);
  h.settle();
  h.crashAndRestart("keep");
  assert.equal(h.current.report!.timeIndexesRebuilt, 0, "the rebuilt time indexes are whole");
});

Deno.test("a time index entry that names the wrong timestamp is found out and rebuilt", () => {
  const h = harness("always", 300);
  h.append(40, (offset) => 1_000 * offset);
  h.settle();
  const file = h.current.api!.disk.list().find((f) => f.endsWith(".timeindex"))!;
  const bytes = h.current.api!.disk.read(file);
  new DataView(bytes.buffer, bytes.byteOffset).setFloat64(0, 777);
  h.current.api!.disk.delete(file);
  h.current.api!.disk.append(file, bytes);
  h.settle();
  h.crashAndRestart("keep");
  assert.equal(h.current.report!.timeIndexesRebuilt, 1);
  assert.deepEqual(h.current.log!.offsetForTime(500), { offset: 1, timestampUs: 1_000 });
});

Deno.test("indexes a power loss emptied (never flushed) count as missing and are rebuilt", () => {
  const h = harness("always", 300, { indexFsyncAtRoll: false });
  h.append(40);
  h.settle();
  h.crashAndRestart("lose");
  const segments = h.current.log!.segments().length;
  assert.equal(h.current.report!.indexesRebuilt, segments);
  assert.equal(h.current.report!.timeIndexesRebuilt, segments);
  // Flushed at each roll, only the active segment's are lost.
  const flushed = harness("always", 300);
  flushed.append(40);
  flushed.settle();
  flushed.crashAndRestart("lose");
  assert.equal(flushed.current.report!.indexesRebuilt, 1);
});

Deno.test("retention by time counts from a segment's largest record timestamp, which a restart keeps", () => {
  const h = harness("always", 300, { retentionUs: 100_000 });
  h.append(30, () => h.current.api!.monotonicUs());
  h.settle(150_000);
  h.crashAndRestart("keep");
  const segments = h.current.log!.segments().length;
  const deleted = h.current.log!.applyRetention(h.current.api!.monotonicUs(), h.current.log!.endOffset());
  assert.equal(deleted.length, segments - 1, "every closed segment is past retention, the restart notwithstanding");
});

Deno.test("recovery reads only the segments at or after the recovery point; without one it reads them all", () => {
  const h = harness("always", 300);
  h.append(40);
  h.settle();
  const log = h.current.log!;
  const total = log.sizeBytes();
  const segments = log.segments();
  h.crashAndRestart("keep");
  assert.equal(h.current.report!.segmentsScanned, segments.length);
  assert.equal(h.current.report!.bytesScanned, total);
  h.checkpoint.recoveryPoint = h.current.log!.durableEndOffset();
  h.crashAndRestart("keep");
  assert.equal(h.current.report!.segmentsScanned, 1, "only the active segment");
  assert.equal(h.current.report!.bytesScanned, segments.at(-1)!.sizeBytes);
  assert.ok(h.current.report!.indexBytesRead > 0, "the older segments' indexes are checked");
  assert.equal(h.current.log!.endOffset(), 40);
});

Deno.test("a batch is appended in one write, and a read hands it on whole past its record limit", () => {
  const h = harness("always");
  h.append(2);
  const log = h.current.log!;
  const batch = Array.from({ length: 10 }, (_, i) => ({
    leaderEpoch: 1,
    producerId: 2,
    producerEpoch: 0,
    sequence: i,
    value: `b${i}`,
  }));
  const appended = log.appendBatch(batch, 0);
  assert.deepEqual(appended.map((r) => r.offset), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.equal(appended[0].batchRecords, 10);
  assert.ok(appended.slice(1).every((r) => r.batchRecords === undefined));
  assert.deepEqual(log.read(0, 12, 3).map((r) => r.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], "the batch whole");
  assert.deepEqual(log.read(0, 12, 2).map((r) => r.offset), [0, 1], "no batch begun");
  h.settle();
  assert.equal(log.durableEndOffset(), 12);
  h.crashAndRestart("lose");
  assert.deepEqual(h.current.log!.read(0, 12, Infinity).map((r) => r.value).slice(2), batch.map((r) => r.value));
});

Deno.test("a follower appending its leader's batch keeps the same records and writes the same bytes", () => {
  const leader = harness("always"), follower = harness("always");
  const batch = Array.from({ length: 5 }, (_, i) => ({
    leaderEpoch: 1,
    producerId: 2,
    producerEpoch: 0,
    sequence: i,
    value: `b${i}`,
  }));
  const appended = leader.current.log!.appendBatch(batch, 7);
  const copied = follower.current.log!.appendBatch(leader.current.log!.read(0, 5, 1), 99);
  assert.ok(copied.every((r, i) => r === appended[i]), "the replicas share the records");
  leader.settle();
  follower.settle();
  const file = leader.current.api!.disk.list().find((f) => f.endsWith(".log"))!;
  assert.deepEqual(follower.current.api!.disk.read(file), leader.current.api!.disk.read(file));
});

Deno.test("a batch cut by a truncation and followed by another is copied with the new records' bytes", () => {
  const leader = harness("always"), follower = harness("always");
  const batch = (values: string[], from: number) =>
    values.map((value, i) => ({ leaderEpoch: 1, producerId: 2, producerEpoch: 0, sequence: from + i, value }));
  leader.current.log!.appendBatch(batch(["a0", "a1", "a2", "a3", "a4"], 0), 0);
  leader.settle();
  leader.current.log!.truncateTo(2);
  leader.current.log!.appendBatch(batch(["b2", "b3", "b4"], 2), 0);
  // The first record still says its batch had five: the read hands on five, the new three among them.
  const fetched = leader.current.log!.read(0, 5, 1);
  assert.deepEqual(fetched.map((r) => r.value), ["a0", "a1", "b2", "b3", "b4"]);
  follower.current.log!.appendBatch(fetched, 0);
  leader.settle();
  follower.settle();
  const file = leader.current.api!.disk.list().find((f) => f.endsWith(".log"))!;
  assert.deepEqual(follower.current.api!.disk.read(file), leader.current.api!.disk.read(file));
});

Deno.test("the active segment rolls by time: an append to a segment older than segmentAgeUsMax starts a new one", () => {
  const h = harness("always", 1 << 20, { segmentAgeUsMax: 1_000 });
  const log = h.current.log!;
  const record = (sequence: number) => ({ leaderEpoch: 1, producerId: 1, producerEpoch: 0, sequence, value: "v" });
  log.append(record(0), 10);
  log.append(record(1), 900);
  assert.equal(log.segments().length, 1, "young enough");
  log.append(record(2), 1_011);
  assert.deepEqual(log.segments().map((s) => s.baseOffset), [0, 2]);
  assert.deepEqual(log.largestTimestamps(), [900, 1_011]);
});
