// Proves the Raft benchmark runs a real cluster and reports its load, its throughput and its heap
// at two run lengths, with the history discarded. It asserts nothing about speed or size.
import assert from "node:assert/strict";
import { benchRaft } from "./raft.ts";

Deno.test("benchRaft reports committed operations per wall second for its stated load, and the heap", () => {
  const figures = benchRaft({ runs: 1, clients: 3, durationUs: 300_000 });
  const throughput = figures.find((f) => f.name.startsWith("committed client operations per wall second"))!;
  assert.match(throughput.name, /5 servers, 3 closed-loop clients/);
  assert.ok(throughput.value > 0);
  assert.ok(figures.find((f) => f.name === "committed operations per virtual second")!.value > 100);
  const heaps = figures.filter((f) => f.unit === "MiB");
  assert.equal(heaps.length, 2);
  for (const heap of heaps) {
    assert.match(heap.name, /live heap after a run \(forced GC\)/);
    assert.match(heap.name, /history discarded, metrics as histograms, snapshots every 1000 entries/);
    assert.ok(heap.value > 0);
  }
  assert.match(heaps[1].name, /4x as long/);
});
