// When the log cluster counts as converged after the heal: under steady writes no instant is idle,
// yet a cluster whose watermarks keep up converges; a stuck watermark, a follower that stops
// fetching, a replica out of the ISR or a new epoch do not.
import assert from "node:assert/strict";
import { ConvergenceWatch, type PartitionSnapshot } from "./convergence.ts";

/** A partition under load: `inFlight` records appended past the watermark, one follower still fetching them. */
function loaded(endOffset: number, inFlight = 1, leaderEpoch = 3): PartitionSnapshot {
  return {
    leaderEpoch,
    highWatermark: endOffset - inFlight,
    endOffset,
    replicaEndOffsets: [endOffset, endOffset, endOffset - inFlight],
  };
}

function idle(endOffset: number, leaderEpoch = 3): PartitionSnapshot {
  return { leaderEpoch, highWatermark: endOffset, endOffset, replicaEndOffsets: [endOffset, endOffset, endOffset] };
}

Deno.test("an idle cluster, every watermark at its log end on every replica, converges at its first observation", () => {
  assert.equal(new ConvergenceWatch().observe([idle(10), idle(4)]), true);
});

Deno.test("a cluster written to without pause converges once every watermark has passed the previous observation's log end", () => {
  const watch = new ConvergenceWatch();
  // Every observation finds a record in flight on some partition: no instant is idle.
  assert.equal(watch.observe([loaded(10), loaded(4, 2)]), false, "nothing to compare with yet");
  assert.equal(watch.observe([loaded(12), loaded(7, 3)]), true);
  assert.equal(watch.observe([loaded(13), idle(7)]), true);
});

Deno.test("a watermark stuck below the log end that every replica holds does not converge", () => {
  const watch = new ConvergenceWatch();
  const stuck: PartitionSnapshot = {
    leaderEpoch: 3,
    highWatermark: 375,
    endOffset: 377,
    replicaEndOffsets: [377, 377, 377],
  };
  for (let i = 0; i < 5; i++) assert.equal(watch.observe([idle(10), stuck]), false, `observation ${i}`);
});

Deno.test("a follower that stopped fetching does not converge, although the leader's watermark keeps up with the others", () => {
  const watch = new ConvergenceWatch();
  for (let end = 20; end < 30; end += 2) {
    const lagging = { leaderEpoch: 3, highWatermark: end - 1, endOffset: end, replicaEndOffsets: [end, end, 15] };
    assert.equal(watch.observe([lagging]), false, `log end ${end}`);
  }
});

Deno.test("a new leader epoch starts the comparison over, and an unsettled partition never converges", () => {
  const watch = new ConvergenceWatch();
  assert.equal(watch.observe([loaded(10, 1, 3)]), false);
  assert.equal(watch.observe([loaded(12, 1, 4)]), false, "the end seen before belongs to the old epoch");
  assert.equal(watch.observe([loaded(14, 1, 4)]), true);
  assert.equal(watch.observe([undefined]), false, "a replica down or out of the ISR");
  assert.equal(watch.observe([loaded(16, 1, 4)]), false, "the previous observation was unsettled");
});

Deno.test("a replica past its leader's log end (a suffix truncation will cut) does not converge", () => {
  const ahead = { leaderEpoch: 3, highWatermark: 10, endOffset: 10, replicaEndOffsets: [10, 10, 12] };
  const watch = new ConvergenceWatch();
  assert.equal(watch.observe([ahead]), false);
  assert.equal(watch.observe([ahead]), false);
});
