// Proves seeded streams are reproducible, independent of each other, and draw within their ranges.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { Rng } from "./rng.ts";

function draws(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.next());
}

Deno.test("the same seed and stream name give the same numbers", () => {
  const a = Rng.fromSeed(42).fork("network");
  const b = Rng.fromSeed(42).fork("network");
  assert.equal(a.key, b.key);
  assert.deepEqual(draws(a, 100), draws(b, 100));
});

Deno.test("different seeds and different stream names give different numbers", () => {
  const base = draws(Rng.fromSeed(42).fork("network"), 10);
  assert.notDeepEqual(draws(Rng.fromSeed(43).fork("network"), 10), base);
  assert.notDeepEqual(draws(Rng.fromSeed(42).fork("disk"), 10), base);
  assert.notDeepEqual(draws(Rng.fromSeed(42).fork("network").fork("x"), 10), base);
});

Deno.test("drawing more from one stream does not change what a sibling stream produces", () => {
  const rootA = Rng.fromSeed(9);
  const quietA = rootA.fork("a");
  const b1 = rootA.fork("b");
  draws(quietA, 1);
  const fromB1 = draws(b1, 50);

  const rootB = Rng.fromSeed(9);
  const busyA = rootB.fork("a");
  draws(busyA, 10_000);
  const b2 = rootB.fork("b");
  draws(busyA, 10_000); // interleaving draws from A does not shift B either
  const fromB2: number[] = [];
  for (let i = 0; i < 50; i++) {
    fromB2.push(b2.next());
    busyA.next();
  }
  assert.deepEqual(fromB2, fromB1);
});

Deno.test("next() lies in [0, 1) and int() covers [min, max] inclusive and nothing else", () => {
  const rng = Rng.fromSeed(1).fork("ranges");
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const x = rng.next();
    assert.ok(x >= 0 && x < 1, `next() gave ${x}`);
    const k = rng.int(-2, 3);
    assert.ok(Number.isInteger(k) && k >= -2 && k <= 3, `int(-2, 3) gave ${k}`);
    seen.add(k);
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [-2, -1, 0, 1, 2, 3]);
  assert.equal(rng.int(5, 5), 5);
});

Deno.test("int() rejects an empty or fractional range", () => {
  const rng = Rng.fromSeed(1);
  assert.throws(() => rng.int(3, 2), /bad int range/);
  assert.throws(() => rng.int(0.5, 2), /bad int range/);
});

Deno.test("uniform() stays in [min, max) and its mean is near the middle", () => {
  const rng = Rng.fromSeed(2).fork("uniform");
  let sum = 0;
  const count = 20_000;
  for (let i = 0; i < count; i++) {
    const x = rng.uniform(10, 20);
    assert.ok(x >= 10 && x < 20, `uniform(10, 20) gave ${x}`);
    sum += x;
  }
  assert.ok(Math.abs(sum / count - 15) < 0.2, `mean ${sum / count}`);
});

Deno.test("bernoulli(p) is true about p of the time and draws nothing at p = 0 or 1", () => {
  const rng = Rng.fromSeed(3).fork("coin");
  let trues = 0;
  for (let i = 0; i < 20_000; i++) if (rng.bernoulli(0.3)) trues++;
  assert.ok(Math.abs(trues / 20_000 - 0.3) < 0.02, `fraction ${trues / 20_000}`);

  const a = Rng.fromSeed(4).fork("coin");
  const b = Rng.fromSeed(4).fork("coin");
  for (let i = 0; i < 100; i++) {
    assert.equal(a.bernoulli(0), false);
    assert.equal(a.bernoulli(1), true);
  }
  assert.equal(a.next(), b.next(), "bernoulli(0) and bernoulli(1) consumed draws");
});

Deno.test("pick() and shuffle() use every element and shuffle() keeps the multiset", () => {
  const rng = Rng.fromSeed(5).fork("pick");
  const items = ["a", "b", "c", "d"];
  const picked = new Set<string>();
  for (let i = 0; i < 200; i++) picked.add(rng.pick(items));
  assert.deepEqual([...picked].sort(), items);
  const shuffled = rng.shuffle([...Array(20).keys()]);
  assert.deepEqual([...shuffled].sort((a, b) => a - b), [...Array(20).keys()]);
  assert.notDeepEqual(shuffled, [...Array(20).keys()]);
  assert.throws(() => rng.pick([]), /empty array/);
});

Deno.test("a seed must be a non-negative safe integer and a fork needs a name", () => {
  assert.throws(() => Rng.fromSeed(-1), InputError);
  assert.throws(() => Rng.fromSeed(1.5), (e: Error) => e instanceof InputError && /seed/.test(e.message));
  assert.throws(() => Rng.fromSeed(1).fork(""), /needs a name/);
});
