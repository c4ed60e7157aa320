// The leader's replication rules: the high watermark is the smallest log end of the ISR, lag is
// judged by time, a follower rejoins only once it holds the watermark and the leader's epoch, and
// a follower truncates where the leader says its epoch ended.
import assert from "node:assert/strict";
import { highWatermark, isrToExpand, isrToShrink, truncationOffset, truncationStep } from "./replication.ts";

Deno.test("the high watermark is the smallest log end offset in the ISR, ignoring replicas outside it", () => {
  const endOffsets = new Map([[0, 10], [1, 7], [2, 2]]);
  assert.equal(highWatermark({ isr: [0, 1], endOffsets, current: 0 }), 7);
});

Deno.test("the high watermark never goes back, and a follower not heard from yet holds it where it is", () => {
  assert.equal(highWatermark({ isr: [0, 1], endOffsets: new Map([[0, 10], [1, 3]]), current: 5 }), 5);
  assert.equal(highWatermark({ isr: [0, 1], endOffsets: new Map([[0, 10]]), current: 4 }), 4);
});

Deno.test("a follower leaves the ISR after lagging longer than lagTimeMaxUs, however few records behind", () => {
  const followers = new Map([[1, { endOffset: 9, caughtUpUs: 0 }], [2, { endOffset: 2, caughtUpUs: 950 }]]);
  const shrink = isrToShrink({ leader: 0, isr: [0, 1, 2], followers, nowUs: 1_000, lagTimeMaxUs: 100 });
  assert.deepEqual(shrink, [1]);
});

Deno.test("a follower rejoins the ISR only once it reaches the high watermark and the leader's epoch start", () => {
  const followers = new Map([[1, { endOffset: 8, caughtUpUs: 0 }], [2, { endOffset: 12, caughtUpUs: 0 }]]);
  const expand = (epochStartOffset: number) =>
    isrToExpand({
      replicas: [0, 1, 2],
      isr: [0],
      followers,
      highWatermark: 8,
      epochStartOffset,
      nowUs: 50,
      lagTimeMaxUs: 100,
    });
  assert.deepEqual(expand(8), [1, 2]);
  assert.deepEqual(expand(10), [2]);
});

Deno.test("a follower silent for longer than lagTimeMaxUs does not rejoin, though its last fetch reached the watermark (no ISR flapping)", () => {
  // Follower 1 was shrunk out a moment ago; follower 2 last fetched long ago, at the watermark
  // the waiting produces hold where it is.
  const followers = new Map([[1, { endOffset: 98, caughtUpUs: 399 }], [2, { endOffset: 98, caughtUpUs: 398 }]]);
  const expand = isrToExpand({
    replicas: [0, 1, 2],
    isr: [0],
    followers,
    highWatermark: 98,
    epochStartOffset: 0,
    nowUs: 500,
    lagTimeMaxUs: 100,
  });
  assert.deepEqual(expand, []);
});

Deno.test("a follower truncates to where the leader's copy of its latest epoch ended (KIP-101)", () => {
  // The follower has 12 records; the leader's epoch ended at 9, and the follower's at 12.
  assert.equal(truncationOffset({ logEndOffset: 12, leaderEndOffset: 9, followerEndOffsetForEpoch: 12 }), 9);
  // The leader has more than the follower: nothing to cut.
  assert.equal(truncationOffset({ logEndOffset: 6, leaderEndOffset: 9, followerEndOffsetForEpoch: 6 }), 6);
});

Deno.test("when the leader answers an earlier epoch, the follower also cuts where that epoch ended in its own log (KIP-279)", () => {
  // Follower: epoch 1 in [0, 5), epoch 3 in [5, 8). Leader: epoch 1 in [0, 6), epoch 2 after.
  // Asked about epoch 3, the leader answers epoch 2 ending at 10; the follower's epoch 1 ends at 5.
  assert.equal(truncationOffset({ logEndOffset: 8, leaderEndOffset: 10, followerEndOffsetForEpoch: 5 }), 5);
});

Deno.test("a follower that lacks the epoch the leader answers with cuts its later epochs and asks again (KIP-279)", () => {
  // Follower: epoch 1 in [0, 30), then epoch 3 (which it led) in [30, 31). Leader: epoch 1 in
  // [0, 28), epoch 2 in [28, 29), epoch 4 after. Asked about epoch 3, the leader answers epoch 2,
  // ending at 29. Cutting at 29 would keep the follower's epoch-1 record at 28, where the leader
  // has epoch 2's: the follower drops its epoch 3 and asks about epoch 1 instead.
  const first = truncationStep({
    logEndOffset: 31,
    leaderEpoch: 2,
    leaderEndOffset: 29,
    follower: { epoch: 1, endOffset: 30 },
  });
  assert.deepEqual(first, { offset: 30, askAgain: true });
  // About epoch 1 the leader answers 28: the follower has epoch 1 and cuts there.
  assert.deepEqual(
    truncationStep({ logEndOffset: 30, leaderEpoch: 1, leaderEndOffset: 28, follower: { epoch: 1, endOffset: 30 } }),
    { offset: 28, askAgain: false },
  );
});
