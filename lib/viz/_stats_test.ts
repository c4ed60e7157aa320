// Proves the confidence-interval arithmetic: the t quantiles, and an interval around the mean that
// narrows as seeds are added.
import assert from "node:assert/strict";
import { meanConfidence95, tQuantile975 } from "./_stats.ts";

Deno.test("tQuantile975() gives the exact table values and falls smoothly towards 1.96 beyond it", () => {
  assert.equal(tQuantile975(1), 12.706205);
  assert.equal(tQuantile975(2), 4.302653);
  assert.equal(tQuantile975(30), 2.042272);
  // scipy.stats.t.ppf(0.975, df) for df = 31, 60, 1000.
  assert.ok(Math.abs(tQuantile975(31) - 2.039513) < 1e-5);
  assert.ok(Math.abs(tQuantile975(60) - 2.000298) < 1e-5);
  assert.ok(Math.abs(tQuantile975(1000) - 1.962339) < 1e-5);
  for (let df = 2; df < 200; df++) assert.ok(tQuantile975(df) < tQuantile975(df - 1), `t rises at df ${df}`);
});

Deno.test("meanConfidence95() is mean ± t·s/√n and contains the mean", () => {
  const interval = meanConfidence95([10, 14]);
  const halfWidth = 12.706205 * Math.sqrt(8) / Math.sqrt(2);
  assert.equal(interval.mean, 12);
  assert.equal(interval.count, 2);
  assert.ok(Math.abs(interval.lower - (12 - halfWidth)) < 1e-9);
  assert.ok(Math.abs(interval.upper - (12 + halfWidth)) < 1e-9);
});

Deno.test("meanConfidence95() narrows as seeds with the same spread are added", () => {
  const widths = [2, 3, 5, 10, 40].map((seeds) => {
    const values = Array.from({ length: seeds }, (_, i) => 100 + (i % 2 === 0 ? 5 : -5));
    const interval = meanConfidence95(values);
    assert.ok(interval.lower <= interval.mean && interval.mean <= interval.upper);
    return interval.upper - interval.lower;
  });
  for (let i = 1; i < widths.length; i++) assert.ok(widths[i] < widths[i - 1], `widths ${widths}`);
});

Deno.test("meanConfidence95() of one value is that value with no width", () => {
  assert.deepEqual(meanConfidence95([7]), { mean: 7, lower: 7, upper: 7, count: 1 });
  assert.throws(() => meanConfidence95([]), /at least one value/);
});
