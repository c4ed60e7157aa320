// The leader epoch cache answers KIP-101's OffsetsForLeaderEpoch: where an epoch ended in this
// log, and what a truncation forgets.
import assert from "node:assert/strict";
import { EpochCache } from "./epoch_cache.ts";

function cache(...entries: [number, number][]): EpochCache {
  const c = new EpochCache();
  for (const [epoch, start] of entries) c.assign(epoch, start);
  return c;
}

Deno.test("an epoch ends where the next known epoch starts, and the latest at the log end (KIP-101)", () => {
  const c = cache([1, 0], [2, 4], [4, 9]);
  assert.deepEqual(c.endOffsetFor(1, 12), { epoch: 1, endOffset: 4 });
  assert.deepEqual(c.endOffsetFor(2, 12), { epoch: 2, endOffset: 9 });
  assert.deepEqual(c.endOffsetFor(4, 12), { epoch: 4, endOffset: 12 });
});

Deno.test("an epoch the leader never saw is answered with the largest epoch below it (KIP-279)", () => {
  assert.deepEqual(cache([1, 0], [4, 9]).endOffsetFor(3, 12), { epoch: 1, endOffset: 9 });
});

Deno.test("an epoch below every known one ends at the first known epoch's start", () => {
  assert.deepEqual(cache([3, 5]).endOffsetFor(2, 8), { epoch: -1, endOffset: 5 });
});

Deno.test("truncating the log forgets the epochs that started at or after the cut", () => {
  const c = cache([1, 0], [2, 4], [3, 6]);
  c.truncateFrom(4);
  assert.deepEqual(c.entries(), [{ epoch: 1, startOffset: 0 }]);
  assert.equal(c.latestEpoch(), 1);
});

Deno.test("epochs must ascend: an older epoch after a newer one is refused loudly", () => {
  assert.throws(() => cache([2, 0], [1, 3]), /epochs and offsets ascend/);
});
