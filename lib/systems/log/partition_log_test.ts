// A partition's log on the simulated disk: segments roll by size, appends become durable by the
// fsync policy, and recovery keeps exactly the whole records a crash left, cutting a torn tail and
// rebuilding an offset index that is missing or torn.
import assert from "node:assert/strict";
import { Simulation } from "../../sim/mod.ts";
import type { NodeApi } from "../../sim/mod.ts";
import { type FsyncPolicy } from "./types.ts";
import { PartitionLog } from "./partition_log.ts";

/** A node whose incarnations each recover the log; the test drives it from outside. */
function harness(fsyncPolicy: FsyncPolicy, segmentBytesMax = 1 << 20) {
  const sim = new Simulation({ seed: 1 });
  const current: { api?: NodeApi; log?: PartitionLog; report?: ReturnType<typeof PartitionLog.recover>["report"] } = {};
  const options = { partition: 0, fsyncPolicy, segmentBytesMax, segmentAgeUsMax: 1e12, indexIntervalBytes: 64 };
  const recover = (api: NodeApi) => {
    const { log, report } = PartitionLog.recover(api.disk, options, 0);
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
  const append = (count: number) => {
    for (let i = 0; i < count; i++) {
      current.log!.append({
        leaderEpoch: 1,
        producerId: 1,
        producerEpoch: 0,
        sequence: current.log!.endOffset(),
        value: `v${i}`,
      }, 0);
    }
  };
  const crashAndRestart = (unsyncedOnCrash: "lose" | "keep" | "torn") => {
    sim.crash(node, { unsyncedOnCrash });
    sim.restart(node);
    sim.run({ untilUs: sim.nowUs + 1 });
  };
  return { sim, node, current, append, crashAndRestart, settle: () => sim.run({ untilUs: sim.nowUs + 50_000 }) };
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
