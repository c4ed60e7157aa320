// The ring spreads keys evenly, walks the same way for every caller, and moves only the keys of a
// node that leaves.
import assert from "node:assert/strict";
import { HashRing } from "./ring.ts";

const keys = Array.from({ length: 10_000 }, (_, i) => `k${i}`);

Deno.test("ring: with 64 tokens per node, five nodes each own a fifth of the keys within a third", () => {
  const ring = new HashRing({ nodes: [0, 1, 2, 3, 4], virtualNodes: 64 });
  const owned = new Map<number, number>();
  for (const key of keys) {
    owned.set(ring.preferenceList(key, 1)[0], (owned.get(ring.preferenceList(key, 1)[0]) ?? 0) + 1);
  }
  for (const [node, count] of owned) assert.ok(count > 2000 * 2 / 3 && count < 2000 * 4 / 3, `node ${node}: ${count}`);
});

Deno.test("ring: a preference list holds distinct nodes, and the longer walk starts with it", () => {
  const ring = new HashRing({ nodes: [0, 1, 2, 3, 4], virtualNodes: 8 });
  for (const key of keys.slice(0, 500)) {
    const homes = ring.preferenceList(key, 3);
    assert.equal(new Set(homes).size, 3);
    assert.deepEqual(ring.walk(key, 5).slice(0, 3), homes);
    assert.deepEqual(new HashRing({ nodes: [4, 3, 2, 1, 0], virtualNodes: 8 }).preferenceList(key, 3), homes);
  }
});

Deno.test("ring: removing a node moves only the keys it held", () => {
  const before = new HashRing({ nodes: [0, 1, 2, 3, 4], virtualNodes: 32 });
  const after = new HashRing({ nodes: [0, 1, 2, 3], virtualNodes: 32 });
  for (const key of keys) {
    const owner = before.preferenceList(key, 1)[0];
    if (owner !== 4) assert.equal(after.preferenceList(key, 1)[0], owner, key);
  }
});

Deno.test("ring: a replication factor above the nodes, or a bad token count, is refused naming what is allowed", () => {
  const ring = new HashRing({ nodes: [0, 1, 2], virtualNodes: 4 });
  assert.throws(() => ring.preferenceList("k", 4), /replication factor must be 1 to 3 \(the ring's nodes\), got 4/);
  assert.throws(
    () => new HashRing({ nodes: [0], virtualNodes: 0 }),
    /virtualNodes must be a whole number from 1 to 1024/,
  );
  assert.throws(() => new HashRing({ nodes: [0, 0], virtualNodes: 1 }), /distinct/);
});
