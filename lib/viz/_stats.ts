/**
 * The small statistics the charts need (private to lib/viz): Student's t quantile for a 95%
 * two-sided interval and the mean with its confidence interval.
 *
 * @module
 */
import * as ss from "simple-statistics";
import { assert } from "../assert.ts";

/**
 * t(0.975, df) for df = 1 … 30, from the exact distribution (scipy.stats.t.ppf, rounded to 6
 * places). Small seed counts are the common case in sweeps, where the normal approximation is
 * far off (df = 2 gives 4.30, not 1.96), so these are tabulated rather than approximated.
 */
const tQuantiles975 = [
  12.706205,
  4.302653,
  3.182446,
  2.776445,
  2.570582,
  2.446912,
  2.364624,
  2.306004,
  2.262157,
  2.228139,
  2.200985,
  2.178813,
  2.160369,
  2.144787,
  2.13145,
  2.119905,
  2.109816,
  2.100922,
  2.093024,
  2.085963,
  2.079614,
  2.073873,
  2.068658,
  2.063899,
  2.059539,
  2.055529,
  2.051831,
  2.048407,
  2.04523,
  2.042272,
];

/**
 * The normal quantile z(0.975) that t(0.975, df) tends to, to double precision. (simple-statistics'
 * `probit` approximates it as 1.9572, too coarse for the expansion below.)
 */
const zQuantile975 = 1.959963984540054;

/**
 * Student's t quantile t(0.975, df): the multiplier of s/√n for a 95% two-sided interval.
 * Beyond df = 30 it uses the Cornish-Fisher expansion of t in powers of 1/df (Abramowitz and
 * Stegun 26.7.5), which agrees with the exact value to better than 1e-5 there.
 */
export function tQuantile975(degreesOfFreedom: number): number {
  assert(
    Number.isInteger(degreesOfFreedom) && degreesOfFreedom >= 1,
    `degrees of freedom must be a positive integer, got ${degreesOfFreedom}`,
  );
  if (degreesOfFreedom <= tQuantiles975.length) return tQuantiles975[degreesOfFreedom - 1];
  const z = zQuantile975;
  const v = degreesOfFreedom;
  const t = z + (z ** 3 + z) / (4 * v) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v ** 2) +
    (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * v ** 3);
  assert(t > z && t < tQuantiles975[tQuantiles975.length - 1], `t(0.975, ${v}) = ${t} is out of range`);
  return t;
}

/** A mean with its 95% confidence interval. */
export interface MeanConfidence {
  mean: number;
  /** mean − t(0.975, n−1)·s/√n; equal to the mean when n = 1 (no spread can be estimated). */
  lower: number;
  /** mean + t(0.975, n−1)·s/√n; equal to the mean when n = 1. */
  upper: number;
  /** How many values. */
  count: number;
}

/**
 * The mean of `values` and its 95% confidence interval, mean ± t·s/√n with s the sample standard
 * deviation. It assumes the values are independent draws (one per seed) from a roughly normal
 * distribution of the figure; with few seeds and skewed figures, read it as a guide.
 */
export function meanConfidence95(values: readonly number[]): MeanConfidence {
  assert(values.length > 0, "a mean needs at least one value");
  assert(values.every(Number.isFinite), "values must be finite");
  const mean = ss.mean(values as number[]);
  if (values.length === 1) return { mean, lower: mean, upper: mean, count: 1 };
  const halfWidth = tQuantile975(values.length - 1) * ss.sampleStandardDeviation(values as number[]) /
    Math.sqrt(values.length);
  const result = { mean, lower: mean - halfWidth, upper: mean + halfWidth, count: values.length };
  assert(result.lower <= mean && mean <= result.upper, "the interval contains the mean");
  return result;
}
