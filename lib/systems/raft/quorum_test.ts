// Proves the quorum arithmetic: a majority is more than half, and the quorum index is the largest
// index a majority of voters hold, whether it is found by counting (small clusters) or by sorting.
import assert from "node:assert/strict";
import { Rng } from "../../sim/rng.ts";
import { majority, quorumIndex } from "./quorum.ts";

Deno.test("a majority is more than half of the voters", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(majority), [1, 2, 2, 3, 3, 4, 4]);
});

Deno.test("quorumIndex is the largest index a majority of voters hold", () => {
  assert.equal(quorumIndex([5]), 5);
  assert.equal(quorumIndex([9, 4, 7, 2, 7]), 7);
  assert.equal(quorumIndex([3, 3, 3]), 3);
  assert.equal(quorumIndex([10, 0, 0, 0]), 0, "one of four is no majority");
  assert.equal(quorumIndex([10, 8, 0, 0]), 0, "two of four is no majority");
  assert.equal(quorumIndex([10, 8, 6, 0]), 6);
});

Deno.test("quorumIndex by counting agrees with the sorted majority-th largest, at every cluster size", () => {
  const rng = Rng.fromSeed(7).fork("quorum");
  for (let trial = 0; trial < 2000; trial++) {
    const voters = 1 + Math.floor(rng.next() * 40);
    const matches = Array.from({ length: voters }, () => Math.floor(rng.next() * 12));
    const sorted = [...matches].sort((a, b) => b - a);
    assert.equal(quorumIndex(matches), sorted[majority(voters) - 1], `matches ${matches}`);
  }
});
