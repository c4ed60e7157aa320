// The group leader's assignors: range splits partitions into contiguous runs, sticky keeps what
// members own within balance, and cooperative withholds a moving partition for one generation.
import assert from "node:assert/strict";
import { cooperativeAssign, rangeAssign, stickyAssign } from "./assignor.ts";

Deno.test("range gives members sorted by id contiguous runs, the first ones one more", () => {
  assert.deepEqual([...rangeAssign(["b", "a", "c"], 7)], [["a", [0, 1, 2]], ["b", [3, 4]], ["c", [5, 6]]]);
  assert.deepEqual([...rangeAssign(["a", "b", "c"], 2)], [["a", [0]], ["b", [1]], ["c", []]]);
});

Deno.test("sticky keeps each member's partitions within its quota and hands the rest to the emptiest", () => {
  // c joins a group where a owns 0, 1 and b owns 2, 3: one partition moves, to c.
  const result = stickyAssign([
    { memberId: "a", owned: [0, 1] },
    { memberId: "b", owned: [2, 3] },
    { memberId: "c", owned: [] },
  ], 4);
  assert.deepEqual(result.get("a"), [0, 1]);
  assert.deepEqual(result.get("b"), [2]);
  assert.deepEqual(result.get("c"), [3]);
});

Deno.test("sticky assigns every partition exactly once, even when two members claim one", () => {
  const result = stickyAssign([{ memberId: "a", owned: [0, 1] }, { memberId: "b", owned: [1] }], 3);
  const all = [...result.values()].flat().sort();
  assert.deepEqual(all, [0, 1, 2]);
  assert.deepEqual(result.get("a"), [0, 1]);
});

Deno.test("cooperative withholds a partition that moves until its owner has revoked it", () => {
  const members = [{ memberId: "a", owned: [0, 1, 2] }, { memberId: "b", owned: [] }];
  const first = cooperativeAssign(members, 3);
  // a keeps two; the third moves to b, but not yet: b gets nothing this generation.
  assert.deepEqual(first.get("a"), [0, 1]);
  assert.deepEqual(first.get("b"), []);
  // a revoked 2 and rejoined: now b gets it, and a's two never left it.
  const second = cooperativeAssign([{ memberId: "a", owned: [0, 1] }, { memberId: "b", owned: [] }], 3);
  assert.deepEqual(second.get("a"), [0, 1]);
  assert.deepEqual(second.get("b"), [2]);
});
