/**
 * Probability distributions for latencies, service times, sizes and key popularity.
 *
 * A distribution is described by a plain JSON-serialisable spec (so experiments and fault
 * schedules can store it) and compiled once into a sampler. Samplers are small objects with one
 * `sample(rng)` method; they keep no state between draws, so the stream alone decides the numbers.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * import { distribution } from "./distributions.ts";
 * const latency = distribution({ kind: "lognormal", median: 500, sigma: 0.3 });
 * const us = latency.sample(Rng.fromSeed(1).fork("network"));
 * // A body and a tail: 91.22% Pareto, 8.78% exponential (PBS's LNKD-SSD fit, in ms).
 * const fitted = distribution({ kind: "mixture", components: [
 *   { weight: 0.9122, distribution: { kind: "pareto", scale: 0.235, alpha: 10 } },
 *   { weight: 0.0878, distribution: { kind: "exponential", mean: 1 / 1.66 } },
 * ] });
 * ```
 * @module
 */
import { assert, checkNumber, InputError } from "../assert.ts";
import type { Rng } from "../base/mod.ts";

/** A JSON description of a distribution. Units are the caller's (microseconds for latencies). */
export type DistributionSpec =
  | { kind: "constant"; value: number }
  | { kind: "uniform"; min: number; max: number }
  | { kind: "exponential"; mean: number }
  | { kind: "normal"; mean: number; sd: number; min?: number }
  | { kind: "lognormal"; median: number; sigma: number }
  | { kind: "pareto"; scale: number; alpha: number }
  | { kind: "zipf"; n: number; s: number }
  | { kind: "bernoulli"; p: number }
  | { kind: "empirical"; values: number[]; name?: string }
  | { kind: "mixture"; components: MixtureComponent[] };

/** One part of a mixture: drawn with probability `weight`. */
export interface MixtureComponent {
  /** The probability of drawing from this part; the weights of a mixture sum to 1. */
  weight: number;
  distribution: DistributionSpec;
}

/** How far from 1 the weights of a mixture may sum (they are often printed percentages). */
export const mixtureWeightTolerance = 1e-6;
/** Parts of one mixture, at most. */
export const mixtureComponentsMax = 64;

/** The names of the distribution kinds, for error messages and parameter schemas. */
export const distributionKinds = [
  "constant",
  "uniform",
  "exponential",
  "normal",
  "lognormal",
  "pareto",
  "zipf",
  "bernoulli",
  "empirical",
  "mixture",
] as const;

/** A compiled distribution. */
export interface Distribution {
  /** Draws one value. */
  sample(rng: Rng): number;
  /** The spec it was built from. */
  readonly spec: DistributionSpec;
}

/**
 * Compiles a spec into a sampler, checking every parameter.
 *
 * @throws InputError naming the bad field and what is allowed
 */
export function distribution(spec: DistributionSpec): Distribution {
  if (spec === null || typeof spec !== "object") {
    throw new InputError(`a distribution must be an object like {"kind": "uniform", ...}, got ${String(spec)}`);
  }
  // Own keys only: a kind like "constructor" must not find Object.prototype's members.
  const build = Object.hasOwn(builders, spec.kind) ? builders[spec.kind as keyof typeof builders] : undefined;
  if (build === undefined) {
    throw new InputError(
      `unknown distribution kind ${JSON.stringify(spec.kind)}; allowed: ${distributionKinds.join(", ")}`,
    );
  }
  // deno-lint-ignore no-explicit-any
  return build(spec as any);
}

/** Shorthand for a constant. */
export const constant = (value: number): Distribution => distribution({ kind: "constant", value });
/** Shorthand for a uniform distribution on [min, max). */
export const uniform = (min: number, max: number): Distribution => distribution({ kind: "uniform", min, max });

const builders = {
  constant(spec: { value: number }): Distribution {
    const value = checkNumber("constant.value", spec.value);
    return { spec: { kind: "constant", value }, sample: () => value };
  },
  uniform(spec: { min: number; max: number }): Distribution {
    const min = checkNumber("uniform.min", spec.min);
    const max = checkNumber("uniform.max", spec.max, { min });
    const width = max - min;
    return { spec: { kind: "uniform", min, max }, sample: (rng) => min + rng.next() * width };
  },
  exponential(spec: { mean: number }): Distribution {
    const mean = checkNumber("exponential.mean", spec.mean, { min: 0 });
    // 1 - next() lies in (0, 1], so the logarithm is finite.
    return { spec: { kind: "exponential", mean }, sample: (rng) => -mean * Math.log(1 - rng.next()) };
  },
  normal(spec: { mean: number; sd: number; min?: number }): Distribution {
    const mean = checkNumber("normal.mean", spec.mean);
    const sd = checkNumber("normal.sd", spec.sd, { min: 0 });
    const floor = spec.min === undefined ? -Infinity : checkNumber("normal.min", spec.min);
    return {
      spec: { ...spec, kind: "normal" },
      sample: (rng) => Math.max(floor, mean + sd * standardNormal(rng)),
    };
  },
  lognormal(spec: { median: number; sigma: number }): Distribution {
    const median = checkNumber("lognormal.median", spec.median, { min: Number.MIN_VALUE });
    const sigma = checkNumber("lognormal.sigma", spec.sigma, { min: 0 });
    const mu = Math.log(median);
    return {
      spec: { kind: "lognormal", median, sigma },
      sample: (rng) => Math.exp(mu + sigma * standardNormal(rng)),
    };
  },
  pareto(spec: { scale: number; alpha: number }): Distribution {
    const scale = checkNumber("pareto.scale", spec.scale, { min: Number.MIN_VALUE });
    const alpha = checkNumber("pareto.alpha", spec.alpha, { min: Number.MIN_VALUE });
    const inverse = -1 / alpha;
    return {
      spec: { kind: "pareto", scale, alpha },
      sample: (rng) => scale * Math.pow(1 - rng.next(), inverse),
    };
  },
  zipf(spec: { n: number; s: number }): Distribution {
    const n = checkNumber("zipf.n", spec.n, { min: 1, max: 10_000_000, integer: true });
    const s = checkNumber("zipf.s", spec.s, { min: 0 });
    const cdf = zipfCdf(n, s);
    // Ranks are 1-based: rank 1 is the most popular item.
    return { spec: { kind: "zipf", n, s }, sample: (rng) => 1 + lowerBound(cdf, rng.next()) };
  },
  bernoulli(spec: { p: number }): Distribution {
    const p = checkNumber("bernoulli.p", spec.p, { min: 0, max: 1 });
    return { spec: { kind: "bernoulli", p }, sample: (rng) => (rng.next() < p ? 1 : 0) };
  },
  empirical(spec: { values: number[]; name?: string }): Distribution {
    const label = spec.name ?? "empirical";
    if (!Array.isArray(spec.values) || spec.values.length === 0) {
      throw new InputError(`${label}: an empirical distribution needs at least one value`);
    }
    spec.values.forEach((v, i) => checkNumber(`${label}.values[${i}]`, v));
    const sorted = Float64Array.from(spec.values).sort();
    const last = sorted.length - 1;
    // Inverse-CDF sampling with linear interpolation between order statistics, so a small data
    // set still yields a continuous distribution rather than only the observed values.
    return {
      spec: { kind: "empirical", values: spec.values, name: spec.name },
      sample(rng) {
        const position = rng.next() * last;
        const below = Math.floor(position);
        if (below >= last) return sorted[last];
        return sorted[below] + (sorted[below + 1] - sorted[below]) * (position - below);
      },
    };
  },
  mixture(spec: { components: MixtureComponent[] }): Distribution {
    const components = spec.components;
    if (!Array.isArray(components) || components.length === 0 || components.length > mixtureComponentsMax) {
      throw new InputError(
        `mixture.components must list 1 to ${mixtureComponentsMax} parts like {"weight": 0.9, ` +
          `"distribution": {...}}, got ${Array.isArray(components) ? components.length : String(components)}`,
      );
    }
    const samplers: Distribution[] = [];
    const cumulative = new Float64Array(components.length);
    let total = 0;
    components.forEach((component, i) => {
      const label = `mixture.components[${i}]`;
      if (component === null || typeof component !== "object") {
        throw new InputError(`${label} must be an object like {"weight": 0.9, "distribution": {...}}`);
      }
      total += checkNumber(`${label}.weight`, component.weight, { min: Number.MIN_VALUE, max: 1 });
      cumulative[i] = total;
      try {
        samplers.push(distribution(component.distribution));
      } catch (e) {
        if (e instanceof InputError) throw new InputError(`${label}.distribution: ${e.message}`);
        throw e;
      }
    });
    if (Math.abs(total - 1) > mixtureWeightTolerance) {
      throw new InputError(`mixture weights must sum to 1 (fractions, not percentages), got ${total}`);
    }
    const last = components.length - 1;
    cumulative[last] = 1;
    return {
      spec: {
        kind: "mixture",
        components: components.map((c, i) => ({ weight: c.weight, distribution: samplers[i].spec })),
      },
      sample(rng) {
        const u = rng.next();
        let i = 0;
        while (i < last && u >= cumulative[i]) i++;
        return samplers[i].sample(rng);
      },
    };
  },
};

/** A standard normal draw by the Box-Muller transform (two uniform draws, no cached spare). */
function standardNormal(rng: Rng): number {
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let rank = 1; rank <= n; rank++) {
    total += 1 / Math.pow(rank, s);
    cdf[rank - 1] = total;
  }
  for (let i = 0; i < n; i++) cdf[i] /= total;
  cdf[n - 1] = 1;
  return cdf;
}

/** The first index whose value exceeds `x` (the CDF bucket a uniform draw falls in). */
function lowerBound(cdf: Float64Array, x: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  assert(lo < cdf.length, "zipf lookup ran past the end of its table");
  return lo;
}
