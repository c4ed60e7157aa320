// Proves the storage gauge catalogue names and describes every well-known gauge, that gauge rows
// come back tidy in time order, and that write amplification is device bytes over logical bytes
// both from recorded gauges and from the kernel's storage counters.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { NodeFiles } from "../sim/disk.ts";
import { Recorder } from "../sim/recorder.ts";
import { gaugeNames, gaugeRows, storageGauges, writeAmplification, writeAmplificationOf } from "./gauges.ts";

Deno.test("the catalogue lists the ten well-known gauges, each with a kind, a unit and a description", () => {
  assert.deepEqual(gaugeNames, [
    "wal_bytes",
    "segments",
    "tombstones",
    "compaction_us",
    "compaction_bytes",
    "bytes_written_logical",
    "bytes_written_device",
    "snapshot_us",
    "repair_us",
    "gc_pause_us",
  ]);
  for (const name of gaugeNames) {
    const spec = storageGauges[name];
    assert.ok(spec.description.length > 10 && ["level", "event", "increment"].includes(spec.kind), name);
    assert.equal(spec.unit === "us", name.endsWith("_us"), name);
  }
});

Deno.test("gauge rows interleave the series in time order, one tidy row per sample", () => {
  const recorder = new Recorder();
  recorder.record("wal_bytes", 30, 1, 8192);
  recorder.record("compaction_us", 10, 2, 500);
  recorder.record("wal_bytes", 20, 1, 4096);
  recorder.record("latency_us", 5, 0, 1);
  assert.deepEqual(gaugeRows(recorder), [
    { timeUs: 10, node: 2, gauge: "compaction_us", value: 500 },
    { timeUs: 20, node: 1, gauge: "wal_bytes", value: 4096 },
    { timeUs: 30, node: 1, gauge: "wal_bytes", value: 8192 },
  ]);
  assert.equal(gaugeRows(recorder, ["latency_us"]).length, 1);
});

Deno.test("a gauge name neither well known nor recorded is refused, listing the names allowed", () => {
  assert.throws(
    () => gaugeRows(new Recorder(), ["wal_byte"]),
    (e) =>
      e instanceof InputError && /"wal_byte" is neither well known nor recorded; well known: wal_bytes/.test(e.message),
  );
});

Deno.test("write amplification is the sum of device bytes over the sum of logical bytes, per node on request", () => {
  const recorder = new Recorder();
  assert.ok(Number.isNaN(writeAmplification(recorder)));
  recorder.record("bytes_written_logical", 1, 0, 100);
  recorder.record("bytes_written_device", 2, 0, 400);
  recorder.record("bytes_written_logical", 3, 1, 300);
  recorder.record("bytes_written_device", 4, 1, 400);
  assert.equal(writeAmplification(recorder), 2);
  assert.equal(writeAmplification(recorder, { node: 0 }), 4);
});

Deno.test("write amplification from the kernel's counters: a 100-byte append then fsync writes a 4 KiB page", () => {
  const files = new NodeFiles();
  files.applyWrite("wal", -1, new Uint8Array(100));
  files.applyFsync("wal", 4096);
  assert.equal(writeAmplificationOf(files.stats), 40.96);
  const idle = new NodeFiles();
  assert.equal(writeAmplificationOf([files.stats, idle.stats]), 40.96);
  assert.ok(Number.isNaN(writeAmplificationOf(idle.stats)));
});
