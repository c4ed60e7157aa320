// Proves each distribution kind samples with roughly the right centre and shape, and that bad specs are
// rejected by name.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { distribution, type DistributionSpec } from "./distributions.ts";
import { Rng } from "./rng.ts";

const drawCount = 20_000;

function sample(spec: DistributionSpec, seed = 1): number[] {
  const sampler = distribution(spec);
  const rng = Rng.fromSeed(seed).fork("distributions-test");
  return Array.from({ length: drawCount }, () => sampler.sample(rng));
}

function mean(values: number[]): number {
  return values.reduce((sum, x) => sum + x, 0) / values.length;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Asserts `actual` is within `relative` of `expected`. */
function near(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= Math.abs(expected) * relative,
    `${what}: ${actual} is not within ${relative * 100}% of ${expected}`,
  );
}

Deno.test("constant always returns its value", () => {
  assert.ok(sample({ kind: "constant", value: 7 }).every((x) => x === 7));
});

Deno.test("uniform stays in [min, max) with its mean in the middle", () => {
  const values = sample({ kind: "uniform", min: 100, max: 300 });
  assert.ok(values.every((x) => x >= 100 && x < 300));
  near(mean(values), 200, 0.02, "uniform mean");
});

Deno.test("exponential has the configured mean and a median of mean times ln 2", () => {
  const values = sample({ kind: "exponential", mean: 1000 });
  assert.ok(values.every((x) => x >= 0 && Number.isFinite(x)));
  near(mean(values), 1000, 0.05, "exponential mean");
  near(median(values), 1000 * Math.LN2, 0.05, "exponential median");
});

Deno.test("normal has the configured mean and standard deviation, and min clamps it", () => {
  const values = sample({ kind: "normal", mean: 50, sd: 10 });
  near(mean(values), 50, 0.02, "normal mean");
  const sd = Math.sqrt(mean(values.map((x) => (x - 50) ** 2)));
  near(sd, 10, 0.05, "normal sd");
  const clamped = sample({ kind: "normal", mean: 0, sd: 10, min: 0 });
  assert.ok(clamped.every((x) => x >= 0));
  assert.ok(clamped.filter((x) => x === 0).length > drawCount * 0.4, "about half the draws clamp to min");
});

Deno.test("lognormal has the configured median and is skewed right", () => {
  const values = sample({ kind: "lognormal", median: 500, sigma: 0.5 });
  assert.ok(values.every((x) => x > 0));
  near(median(values), 500, 0.05, "lognormal median");
  near(mean(values), 500 * Math.exp(0.5 ** 2 / 2), 0.05, "lognormal mean");
});

Deno.test("pareto never goes below its scale and has mean scale x alpha / (alpha - 1)", () => {
  const values = sample({ kind: "pareto", scale: 100, alpha: 3 });
  assert.ok(values.every((x) => x >= 100));
  near(mean(values), 150, 0.05, "pareto mean");
  near(median(values), 100 * Math.pow(2, 1 / 3), 0.05, "pareto median");
});

Deno.test("zipf draws ranks in [1, n] with rank 1 the most frequent, in proportion 1 / rank^s", () => {
  const values = sample({ kind: "zipf", n: 100, s: 1 });
  const counts = new Array(101).fill(0);
  for (const rank of values) {
    assert.ok(Number.isInteger(rank) && rank >= 1 && rank <= 100, `rank ${rank}`);
    counts[rank]++;
  }
  const mostFrequent = counts.indexOf(Math.max(...counts));
  assert.equal(mostFrequent, 1);
  near(counts[1] / counts[2], 2, 0.15, "rank 1 / rank 2 frequency");
  assert.ok(counts[1] > counts[10] * 5);
  assert.ok(sample({ kind: "zipf", n: 1, s: 2 }).every((x) => x === 1));
});

Deno.test("bernoulli returns 0 or 1 with 1 about p of the time", () => {
  const values = sample({ kind: "bernoulli", p: 0.25 });
  assert.ok(values.every((x) => x === 0 || x === 1));
  near(mean(values), 0.25, 0.05, "bernoulli mean");
});

Deno.test("empirical interpolates between sorted observations and never leaves their range", () => {
  const values = sample({ kind: "empirical", values: [30, 10, 20] });
  assert.ok(values.every((x) => x >= 10 && x <= 30));
  near(median(values), 20, 0.05, "empirical median");
  near(mean(values), 20, 0.02, "empirical mean");
  assert.ok(values.some((x) => x !== 10 && x !== 20 && x !== 30), "values between observations appear");
});

Deno.test("a mixture draws each part in proportion to its weight: a constant body and a uniform tail", () => {
  const values = sample({
    kind: "mixture",
    components: [
      { weight: 0.9, distribution: { kind: "constant", value: 1 } },
      { weight: 0.1, distribution: { kind: "uniform", min: 100, max: 200 } },
    ],
  });
  const body = values.filter((x) => x === 1).length;
  const tail = values.filter((x) => x >= 100 && x < 200).length;
  assert.equal(body + tail, drawCount, "every draw comes from one of the parts");
  near(body / drawCount, 0.9, 0.02, "share of the body");
  near(mean(values), 0.9 * 1 + 0.1 * 150, 0.05, "mixture mean");
});

Deno.test("a mixture of Pareto and exponential (PBS's LNKD-SSD fit) has the weighted mean of its parts", () => {
  const values = sample({
    kind: "mixture",
    components: [
      { weight: 0.9122, distribution: { kind: "pareto", scale: 0.235, alpha: 10 } },
      { weight: 0.0878, distribution: { kind: "exponential", mean: 1 / 1.66 } },
    ],
  });
  const expected = 0.9122 * (0.235 * 10 / 9) + 0.0878 / 1.66;
  near(mean(values), expected, 0.03, "mixture mean");
  assert.ok(
    values.filter((x) => x < 0.235).length > drawCount * 0.02,
    "the exponential part reaches below the Pareto scale",
  );
});

Deno.test("the same spec and stream give the same draws", () => {
  assert.deepEqual(
    sample({ kind: "lognormal", median: 10, sigma: 1 }, 5),
    sample({ kind: "lognormal", median: 10, sigma: 1 }, 5),
  );
});

Deno.test("a bad parameter gives an InputError naming the field", () => {
  const cases: [unknown, RegExp][] = [
    [{ kind: "constant", value: NaN }, /constant\.value/],
    [{ kind: "uniform", min: 5, max: 1 }, /uniform\.max/],
    [{ kind: "exponential", mean: -1 }, /exponential\.mean/],
    [{ kind: "normal", mean: 0, sd: -1 }, /normal\.sd/],
    [{ kind: "lognormal", median: 0, sigma: 1 }, /lognormal\.median/],
    [{ kind: "lognormal", median: 1, sigma: "wide" }, /lognormal\.sigma/],
    [{ kind: "pareto", scale: 1, alpha: 0 }, /pareto\.alpha/],
    [{ kind: "zipf", n: 2.5, s: 1 }, /zipf\.n/],
    [{ kind: "zipf", n: 10, s: -1 }, /zipf\.s/],
    [{ kind: "bernoulli", p: 1.5 }, /bernoulli\.p/],
    [{ kind: "empirical", values: [] }, /at least one value/],
    [{ kind: "empirical", values: [1, Infinity], name: "rtt" }, /rtt\.values\[1\]/],
    [{ kind: "mixture", components: [] }, /mixture\.components must list 1 to 64/],
    [{ kind: "mixture", components: "a" }, /mixture\.components must list/],
    [
      { kind: "mixture", components: [{ weight: 91.22, distribution: { kind: "constant", value: 1 } }] },
      /mixture\.components\[0\]\.weight/,
    ],
    [
      { kind: "mixture", components: [{ weight: 0, distribution: { kind: "constant", value: 1 } }] },
      /components\[0\]\.weight/,
    ],
    [{
      kind: "mixture",
      components: [
        { weight: 0.5, distribution: { kind: "constant", value: 1 } },
        { weight: 0.4, distribution: { kind: "constant", value: 2 } },
      ],
    }, /weights must sum to 1 \(fractions, not percentages\), got 0\.9/],
    [{
      kind: "mixture",
      components: [{ weight: 1, distribution: { kind: "pareto", scale: 1, alpha: -2 } }],
    }, /mixture\.components\[0\]\.distribution: pareto\.alpha/],
    [
      { kind: "mixture", components: [{ weight: 1, distribution: { kind: "gamma" } }] },
      /components\[0\]\.distribution: unknown distribution kind "gamma"/,
    ],
  ];
  for (const [spec, field] of cases) {
    assert.throws(
      () => distribution(spec as DistributionSpec),
      (e: Error) => e instanceof InputError && field.test(e.message),
      `${JSON.stringify(spec)} should fail naming ${field}`,
    );
  }
});

Deno.test("an unknown kind is rejected with the list of allowed kinds", () => {
  for (const kind of ["gamma", "constructor", "toString", "__proto__"]) {
    assert.throws(
      () => distribution({ kind } as unknown as DistributionSpec),
      (e: Error) =>
        e instanceof InputError && e.message.includes(`unknown distribution kind "${kind}"`) &&
        e.message.includes(
          "constant, uniform, exponential, normal, lognormal, pareto, zipf, bernoulli, empirical, mixture",
        ),
      `kind ${kind}`,
    );
  }
  assert.throws(() => distribution(null as unknown as DistributionSpec), InputError);
});
