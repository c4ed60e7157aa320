// Proves the convergence checker accepts equal replica states however they are built, names the
// divergent replicas with the differing keys and each replica's value (or the groups of replicas
// per distinct value), orders its output deterministically, and rejects states it cannot compare.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { checkConvergence } from "./convergence.ts";

Deno.test("replicas holding equal maps converge, whatever the key order, Map or object, or Set order", () => {
  const result = checkConvergence({
    n1: { x: 1, y: [1, 2], tags: new Set(["a", "b"]) },
    n2: new Map<string, unknown>([["tags", new Set(["b", "a"])], ["y", [1, 2]], ["x", 1]]),
    n3: { y: [1, 2], x: 1, tags: new Set(["a", "b"]), gone: undefined },
  });
  assert.equal(result.valid, true);
  assert.deepEqual(result.details.groups, [{ replicas: ["n1", "n2", "n3"] }]);
  assert.deepEqual(result.details.divergent, []);
  assert.equal(result.message, "3 replicas hold equal state");
});

Deno.test("a replica whose map differs on some keys is named, with each key's value on every replica", () => {
  const result = checkConvergence({
    n3: { x: 1, y: 9, z: { deep: true } },
    n1: { x: 1, y: 2, w: 0 },
    n2: { x: 1, y: 2, w: 0 },
  });
  assert.equal(result.valid, false);
  assert.equal(result.details.shape, "map");
  assert.deepEqual(result.details.groups, [{ replicas: ["n1", "n2"] }, { replicas: ["n3"] }]);
  assert.deepEqual(result.details.divergent, ["n3"]);
  assert.deepEqual(result.details.differences, [
    { key: "w", values: [{ replica: "n1", value: 0 }, { replica: "n2", value: 0 }], absent: ["n3"] },
    {
      key: "y",
      values: [{ replica: "n1", value: 2 }, { replica: "n2", value: 2 }, { replica: "n3", value: 9 }],
      absent: [],
    },
    { key: "z", values: [{ replica: "n3", value: { deep: true } }], absent: ["n1", "n2"] },
  ]);
  assert.equal(result.message, '3 key(s) differ ("w", "y", "z"): n3 diverges from n1, n2');
});

Deno.test("states that are not maps are reported as groups of replicas per distinct value", () => {
  const result = checkConvergence({ b: [1, 2, 3], a: [1, 2], c: [1, 2, 3], d: [1, 2], e: "x" });
  assert.equal(result.valid, false);
  assert.equal(result.details.shape, "value");
  assert.deepEqual(result.details.groups, [
    { replicas: ["a", "d"], value: [1, 2] },
    { replicas: ["b", "c"], value: [1, 2, 3] },
    { replicas: ["e"], value: "x" },
  ]);
  assert.deepEqual(result.details.differences, []);
  // Two groups of two tie for largest: no state has a plurality, so every replica diverges.
  assert.deepEqual(result.details.divergent, ["a", "b", "c", "d", "e"]);
  assert.match(
    result.message,
    /3 distinct states: no state is held by more replicas than every other \(a, d \| b, c \| e\)/,
  );
});

Deno.test("a map on some replicas and another value on others is compared as whole values", () => {
  const result = checkConvergence({ n1: { x: 1 }, n2: null });
  assert.equal(result.details.shape, "value");
  assert.deepEqual(result.details.groups, [{ replicas: ["n1"], value: { x: 1 } }, { replicas: ["n2"], value: null }]);
});

Deno.test("the output is the same whatever order the replicas and keys are given in", () => {
  const forward = checkConvergence({ a: { p: 1, q: 2 }, b: { p: 1, q: 3 }, c: { q: 2, p: 1 } });
  const backward = checkConvergence({ c: { p: 1, q: 2 }, b: { q: 3, p: 1 }, a: { q: 2, p: 1 } });
  assert.deepEqual(forward, backward);
  assert.equal(JSON.stringify(forward), JSON.stringify(backward));
});

Deno.test("values are compared by type and content: 1 is not '1', bytes compare as bytes, NaN equals NaN", () => {
  assert.equal(checkConvergence({ a: { x: 1 }, b: { x: "1" } }).valid, false);
  assert.equal(checkConvergence({ a: new Uint8Array([1, 2]), b: new Uint8Array([1, 2]) }).valid, true);
  assert.equal(checkConvergence({ a: new Uint8Array([1, 2]), b: new Uint8Array([2, 1]) }).valid, false);
  assert.equal(checkConvergence({ a: { x: NaN }, b: { x: NaN } }).valid, true);
  assert.equal(checkConvergence({ a: { x: NaN }, b: { x: "NaN" } }).valid, false);
  assert.equal(checkConvergence({ only: { x: 1 } }).valid, true);
});

Deno.test("only differencesMax differing keys are kept, and all are counted", () => {
  const many = (offset: number) => Object.fromEntries([...Array(10).keys()].map((i) => [`k${i}`, i + offset]));
  const result = checkConvergence({ a: many(0), b: many(1) }, { differencesMax: 3 });
  assert.equal(result.details.differenceCount, 10);
  assert.deepEqual(result.details.differences.map((d) => d.key), ["k0", "k1", "k2"]);
});

Deno.test("a key named __proto__ is compared as data", () => {
  const a = JSON.parse('{"__proto__": 1}');
  const b = JSON.parse('{"__proto__": 2}');
  const result = checkConvergence({ a, b });
  assert.equal(result.valid, false);
  assert.deepEqual(result.details.differences.map((d) => d.key), ["__proto__"]);
});

Deno.test("bad input is rejected naming the replica, the path and what is allowed", () => {
  assert.throws(() => checkConvergence({}), InputError, "names no replica");
  assert.throws(() => checkConvergence({ n1: undefined }), InputError, "replica n1 has no state");
  assert.throws(
    () => checkConvergence({ n1: { x: [1, new Date(0)] } }),
    InputError,
    'replica n1: state["x"][1] is an instance of Date; allowed: null, booleans, numbers',
  );
  assert.throws(() => checkConvergence({ n1: { f: () => 1 } }), InputError, 'state["f"] is a function');
  assert.throws(() => checkConvergence({ n1: [undefined] }), InputError, "state[0] is undefined");
  assert.throws(() => checkConvergence({ n1: new Map([[1, 2]]) }), InputError, "a Map with a key that is not a string");
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => checkConvergence({ n1: cyclic }), InputError, "nests deeper than depthMax 64");
  assert.throws(() => checkConvergence({ n1: 1 }, { differencesMax: -1 }), InputError);
});
