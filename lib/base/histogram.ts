/**
 * A latency histogram with log-linear buckets, as HdrHistogram has: values below 128 are counted
 * exactly, and every power-of-two range above is cut into 128 equal buckets, so any percentile is
 * reported within 0.4% of the true value, memory is fixed (about 6,000 buckets), and histograms
 * of separate runs merge by adding counts.
 *
 * @example
 * ```ts
 * import { Histogram } from "./histogram.ts";
 * const latency = new Histogram();
 * for (const us of [120, 340, 95_000]) latency.record(us);
 * latency.quantile(0.99); // about 95_000
 * ```
 * @module
 */
import { assert, checkNumber } from "../assert.ts";

const subBucketBits = 7;
const subBucketCount = 1 << subBucketBits; // 128
/** Values up to 2^53 (safe integers) are representable. */
const exponentMax = 53;
const bucketCount = subBucketCount + (exponentMax - subBucketBits + 1) * subBucketCount;

/** The figures people quote from a latency distribution. */
export interface HistogramSummary {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** A mergeable histogram of non-negative values (integers; fractions are rounded down). */
export class Histogram {
  readonly #counts = new Float64Array(bucketCount);
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  /** Adds `count` observations of `value`. */
  record(value: number, count = 1): void {
    if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER)) {
      assert(false, `histogram value ${value} is outside [0, 2^53]`);
    }
    const v = Math.floor(value);
    this.#counts[bucketIndex(v)] += count;
    this.#count += count;
    this.#sum += v * count;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  /** Adds every observation of `other` to this histogram. */
  merge(other: Histogram): void {
    for (let i = 0; i < bucketCount; i++) this.#counts[i] += other.#counts[i];
    this.#count += other.#count;
    this.#sum += other.#sum;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
  }

  /** Forgets every observation, so one histogram can serve many windows without reallocating. */
  clear(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sum = 0;
    this.#min = Infinity;
    this.#max = -Infinity;
  }

  /** Number of observations. */
  get count(): number {
    return this.#count;
  }

  /** The exact mean (NaN when empty). */
  get mean(): number {
    return this.#count === 0 ? NaN : this.#sum / this.#count;
  }

  /** The smallest observation (NaN when empty). */
  get min(): number {
    return this.#count === 0 ? NaN : this.#min;
  }

  /** The largest observation, exactly (NaN when empty). */
  get max(): number {
    return this.#count === 0 ? NaN : this.#max;
  }

  /**
   * The value at quantile `q` (0 to 1) by nearest rank: the smallest value with at least `q` of
   * the observations at or below it, to within the bucket's resolution. NaN when empty.
   */
  quantile(q: number): number {
    checkNumber("quantile", q, { min: 0, max: 1 });
    if (this.#count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < bucketCount; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, bucketMiddle(i)));
    }
    return this.#max;
  }

  /** Count, mean, min, p50, p90, p99, p99.9 and max. */
  summary(): HistogramSummary {
    return {
      count: this.#count,
      mean: this.mean,
      min: this.min,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
      max: this.max,
    };
  }
}

function bucketIndex(v: number): number {
  if (v < subBucketCount) return v;
  const exponent = v < 2 ** 31 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v));
  const shift = exponent - subBucketBits;
  const sub = Math.floor(v / 2 ** shift); // in [128, 256)
  return subBucketCount + shift * subBucketCount + (sub - subBucketCount);
}

function bucketMiddle(index: number): number {
  if (index < subBucketCount) return index;
  const shift = Math.floor((index - subBucketCount) / subBucketCount);
  const sub = subBucketCount + ((index - subBucketCount) % subBucketCount);
  const width = 2 ** shift;
  return sub * width + (width - 1) / 2;
}
