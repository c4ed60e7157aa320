// Proves each sequential model accepts exactly the legal steps, treats an unknown output as any
// result, and never mutates the state it is given.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { counter, kv, modelNamed, queue, set } from "./models.ts";

Deno.test("counter: adds accumulate and a read must see the sum", () => {
  const s = counter.step(counter.init(null), "add", 3, 3)!;
  assert.equal(counter.step(s, "read", null, 3), 3);
  assert.equal(counter.step(s, "read", null, 2), undefined);
  assert.equal(counter.step(s, "read", null, undefined), 3);
});

Deno.test("set: a read must return exactly the elements added, in any order", () => {
  let s = set.init(null);
  s = set.step(s, "add", 2, 2)!;
  s = set.step(s, "add", 1, 1)!;
  assert.ok(set.step(s, "read", null, [1, 2]) !== undefined);
  assert.ok(set.step(s, "read", null, [2, 1]) !== undefined);
  assert.equal(set.step(s, "read", null, [1]), undefined);
  assert.deepEqual(s, [1, 2]);
});

Deno.test("queue: dequeues come out in enqueue order, and an empty queue dequeues null", () => {
  const empty = queue.init(null);
  assert.equal(queue.step(empty, "dequeue", null, null), empty);
  const one = queue.step(empty, "enqueue", "a", "a")!;
  const two = queue.step(one, "enqueue", "b", "b")!;
  assert.equal(queue.step(two, "dequeue", null, "b"), undefined);
  assert.deepEqual(queue.step(two, "dequeue", null, "a"), ["b"]);
  assert.deepEqual(two, ["a", "b"], "the given state is not mutated");
});

Deno.test("kv: appends extend the value and its hash the same way a put of the whole value does", () => {
  const appended = kv.step(kv.step(kv.init(""), "append", "ab", "ab")!, "append", "c", "c")!;
  const put = kv.step(kv.init(""), "put", "abc", "abc")!;
  assert.ok(kv.equal(appended, put));
  assert.equal(kv.hash(appended), kv.hash(put));
  assert.equal(kv.step(appended, "get", null, "ab"), undefined);
});

Deno.test("an unknown model name is refused listing the models", () => {
  assert.throws(
    () => modelNamed("graph"),
    (e: Error) =>
      e instanceof InputError && /allowed: register, cas-register, kv, kv-cas, counter, set, queue/.test(e.message),
  );
  assert.throws(() => modelNamed("toString"), /unknown model/);
});
