// Proves the anti-entropy hash tree: updates in place agree with a tree built afresh, identical
// replicas agree at the root, and two replicas differing in one key find it by descending one path:
// about fanout × depth hashes, and that key's leaf alone to exchange.
import assert from "node:assert/strict";
import { childrenOf, merkleDescent, merkleFanout, merkleLeafLevel, MerkleTree } from "./merkle.ts";
import { digestOf, versionsHash } from "./node.ts";
import { hash32 } from "./ring.ts";
import type { Sibling } from "./versions.ts";

const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
const treeOf = (entries: [string, number][]) => {
  const tree = new MerkleTree();
  for (const [key, hash] of entries) tree.set(key, hash);
  return tree;
};
const allNodes = (tree: MerkleTree) => {
  const levels: number[][] = [];
  let nodes = [0];
  for (let level = 0; level <= merkleLeafLevel; level++) {
    levels.push(tree.hashes(level, nodes));
    nodes = childrenOf(nodes);
  }
  return levels;
};

Deno.test("merkle: a tree updated in place (writes, overwrites, deletes) equals one built from the final state", () => {
  const tree = new MerkleTree();
  for (const [i, key] of keys.entries()) tree.set(key, i * 7919);
  for (const [i, key] of keys.entries()) if (i % 3 === 0) tree.set(key, i * 104729);
  for (const [i, key] of keys.entries()) if (i % 5 === 0) tree.set(key, undefined);
  const final = keys.flatMap((key, i): [string, number][] =>
    i % 5 === 0 ? [] : [[key, i % 3 === 0 ? i * 104729 : i * 7919]]
  );
  assert.deepEqual(allNodes(tree), allNodes(treeOf(final)));
  const removed = treeOf([["x", 5]]);
  removed.set("x", undefined);
  assert.deepEqual(allNodes(removed), allNodes(new MerkleTree()), "a removed key leaves no trace");
});

Deno.test("merkle: identical replicas compare their roots alone", () => {
  const entries = keys.map((key, i): [string, number] => [key, i + 1]);
  assert.deepEqual(merkleDescent(treeOf(entries), treeOf(entries)), { leaves: [], hashesSent: 1 });
});

Deno.test("merkle: replicas differing in one key exchange O(depth) hashes and that key's leaf only", () => {
  const entries = keys.map((key, i): [string, number] => [key, i + 1]);
  // A key alone in its leaf, so the leaf's keys are that key.
  const leafCounts = new Map<number, number>();
  for (const key of keys) leafCounts.set(MerkleTree.leafOf(key), (leafCounts.get(MerkleTree.leafOf(key)) ?? 0) + 1);
  const lonely = keys.find((key) => leafCounts.get(MerkleTree.leafOf(key)) === 1)!;
  for (const [changed, hash] of [[lonely, 999_999], [keys[0], 424_242]] as const) {
    const a = treeOf(entries);
    const b = treeOf(entries);
    b.set(changed, hash);
    const { leaves, hashesSent } = merkleDescent(a, b);
    assert.deepEqual(leaves, [MerkleTree.leafOf(changed)]);
    assert.equal(hashesSent, 1 + merkleFanout * merkleLeafLevel, "the root, then one node's children per level");
    assert.ok(b.keysOf(leaves).includes(changed));
    assert.ok(b.keysOf(leaves).length <= leafCounts.get(MerkleTree.leafOf(changed))!);
  }
  const a = treeOf(entries);
  const b = treeOf(entries);
  b.set(lonely, 123_456_789);
  assert.deepEqual(b.keysOf(merkleDescent(a, b).leaves), [lonely], "that key alone is exchanged");
  // A key only one side holds is found too.
  const c = treeOf([...entries, ["extra", 77]]);
  assert.deepEqual(merkleDescent(treeOf(entries), c).leaves, [MerkleTree.leafOf("extra")]);
});

Deno.test("merkle: a key's version hash fed piece by piece is the hash of its digest's text", () => {
  const sibling = (node: number, counter: number, value: string | null): Sibling => ({
    dot: { node, counter },
    context: {},
    value,
    timestamp: { wallUs: 1, logical: 0 },
  });
  const cases: [string, Sibling[]][] = [
    ["k1", []],
    ["k2", [sibling(0, 1, "v")]],
    ["clé", [sibling(3, 2 ** 40 + 7, null), sibling(12, 999_999_999_999_999, "héllo ✓")]],
    // Large counters are whole numbers whose decimal spelling must not round.
    ["k3", [sibling(4, 8_999_999_999_999_999, "a"), sibling(1, Number.MAX_SAFE_INTEGER, ""), sibling(0, 0, "0")]],
    ["k4", [sibling(2, 1.5, "x"), sibling(2, 2 ** 60, "y")]],
  ];
  for (const [key, siblings] of cases) {
    assert.equal(versionsHash(key, siblings), hash32(`${key}|${digestOf(siblings)}`), `${key}: ${digestOf(siblings)}`);
  }
});
