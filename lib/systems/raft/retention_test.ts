// Proves a Raft run that keeps less in memory (its history discarded or streamed to a file, its
// metrics as histograms) is the same run: same run hash, same figures, and a streamed history
// identical to the one kept in memory. What cannot be judged without the history is refused.
import assert from "node:assert/strict";
import { InputError } from "../../assert.ts";
import { HistoryFileSink, readHistory } from "../../history/stream.ts";
import { type RaftRunOptions, runRaftCluster } from "./experiments/mod.ts";
import { raftSchedule } from "./experiments/mod.ts";

const steady: RaftRunOptions = {
  servers: 5,
  clients: 10,
  durationUs: 1_500_000,
  bug: "none",
  schedule: { faults: [], recoveryUs: 0 },
  skipLinearizability: true,
  writeF: "put",
  snapshotEveryEntries: 200,
};

Deno.test("a run that discards its history and keeps metrics as histograms is the same run", () => {
  for (const seed of [1, 2]) {
    const kept = runRaftCluster(steady, seed);
    const discarded = runRaftCluster({ ...steady, history: "discard", metrics: "histograms" }, seed);
    assert.equal(discarded.sim.hash(), kept.sim.hash());
    assert.deepEqual(discarded.figures, kept.figures);
    assert.ok(kept.figures.operationsOk > 1000);
    assert.deepEqual(discarded.coverage, kept.coverage);
    assert.throws(() => discarded.sim.history.events, /keeps only fault events/);
    assert.throws(() => discarded.sim.metrics.series("raft_client_latency_us"), /recorded into a histogram/);
  }
});

Deno.test("a run's history streamed to a file is the history it would have kept in memory", async () => {
  const dir = await Deno.makeTempDir();
  const sink = new HistoryFileSink(`${dir}/history.jsonl`);
  const streamed = runRaftCluster({ ...steady, history: sink }, 3);
  sink.close();
  const kept = runRaftCluster(steady, 3);
  const read = [];
  for await (const op of readHistory(`${dir}/history.jsonl`)) read.push(op);
  assert.equal(read.length, kept.sim.history.events.length);
  assert.deepEqual(read, JSON.parse(JSON.stringify(kept.sim.history.events)));
  assert.equal(streamed.sim.hash(), kept.sim.hash());
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a history not kept in memory is refused where the run must read it: linearizability, fault coverage", () => {
  const refused = (options: Partial<RaftRunOptions>, pattern: RegExp) =>
    assert.throws(
      () => runRaftCluster({ ...steady, durationUs: 100_000, ...options }, 1),
      (e: Error) => e instanceof InputError && pattern.test(e.message),
    );
  refused({ history: "discard", skipLinearizability: false }, /needs skipLinearizability/);
  refused({ history: "discard", schedule: raftSchedule("combined", 2_000_000) }, /needs a schedule without faults/);
  refused({ history: "disk" as "discard" }, /history must be "memory", "discard" or a sink/);
  refused({ metrics: "some" as "series" }, /metrics must be "series" or "histograms"/);
});
