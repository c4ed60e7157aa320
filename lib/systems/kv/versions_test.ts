// Dotted version vectors: concurrent writes are kept as siblings, a write replaces what its
// writer read, and replicas that sync in any order converge.
import assert from "node:assert/strict";
import { contextOf, newest, type Sibling, sync, write } from "./versions.ts";

const at = (wallUs: number) => ({ wallUs, logical: 0 });
const values = (siblings: readonly Sibling[]) => siblings.map((s) => s.value).sort();

Deno.test("versions: two blind writes through one coordinator are both kept (plain version vectors would lose one)", () => {
  const first = write([], { node: 0, context: {}, value: "a", timestamp: at(1) });
  const second = write(first, { node: 0, context: {}, value: "b", timestamp: at(2) });
  assert.deepEqual(values(second), ["a", "b"]);
  assert.deepEqual(second.map((s) => s.dot.counter), [1, 2]);
});

Deno.test("versions: a write with the context of a read replaces every sibling the read returned, and only those", () => {
  let s = write([], { node: 0, context: {}, value: "a", timestamp: at(1) });
  s = sync(s, write([], { node: 1, context: {}, value: "b", timestamp: at(1) }));
  const read = contextOf(s);
  const concurrent = sync(s, write([], { node: 2, context: {}, value: "c", timestamp: at(3) }));
  const after = write(concurrent, { node: 0, context: read, value: "merged", timestamp: at(4) });
  assert.deepEqual(values(after), ["c", "merged"]);
});

Deno.test("versions: sync is commutative, associative and idempotent over random replicas' writes", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let trial = 0; trial < 200; trial++) {
    const replicas: Sibling[][] = [[], [], []];
    for (let step = 0; step < 12; step++) {
      const r = Math.floor(random() * 3);
      if (random() < 0.6) {
        const context = random() < 0.5 ? contextOf(replicas[r]) : {};
        replicas[r] = write(replicas[r], { node: r, context, value: `${trial}.${step}`, timestamp: at(step) });
      } else {
        const other = Math.floor(random() * 3);
        replicas[r] = sync(replicas[r], replicas[other]);
      }
    }
    const [a, b, c] = replicas;
    const left = sync(sync(a, b), c);
    assert.deepEqual(sync(c, sync(b, a)), left);
    assert.deepEqual(sync(left, left), left);
    assert.deepEqual(sync(left, a), left);
  }
});

Deno.test("versions: last-writer-wins picks the latest timestamp, ties by writer node, the same on every replica", () => {
  const a = write([], { node: 0, context: {}, value: "a", timestamp: at(5) });
  const b = write([], { node: 1, context: {}, value: "b", timestamp: at(5) });
  const c = write([], { node: 2, context: {}, value: "c", timestamp: at(4) });
  assert.equal(newest(sync(sync(a, b), c))!.value, "b");
  assert.equal(newest(sync(c, sync(b, a)))!.value, "b");
  assert.equal(newest([]), undefined);
});
