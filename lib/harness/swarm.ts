/**
 * Swarm testing, in the manner of "Swarm Testing" (Groce et al., ISSTA 2012) and TigerBeetle's
 * VOPR: instead of one fault mix tuned to find everything, every seed draws its own configuration.
 * Each fault package of a system's swarm space is switched on or off by a coin per seed (so most
 * runs leave some faults out, and the narrow patterns a bug needs are not drowned by the others),
 * the arrival rate is drawn on a log scale, and every knob (a read mode, a snapshot cadence, the
 * workload's shape) takes one of its listed values. What was drawn is plain JSON, printed and kept
 * with the run, and comes from a stream of its own, so the same seed draws the same configuration
 * whatever the run does with its other streams.
 *
 * @example
 * ```ts
 * import { drawSwarm } from "./swarm.ts";
 * const draw = drawSwarm({
 *   packages: { crashes: { choices: [] }, partitions: { choices: [] } },
 *   meanIntervalUs: [50_000, 800_000],
 *   knobs: { readMode: ["readIndex", "lease"] },
 * }, 7);
 * draw.packages.length > 0; // true: at least one package is always on
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import { Rng } from "../base/mod.ts";
import type { FaultPackage } from "./fault_packages.ts";

/** A knob's value: anything a parameter can hold. */
export type KnobValue = string | number | boolean;

/** What a swarm can draw from. */
export interface SwarmSpace {
  /** Fault packages by name; each is on with probability `packageProbability`. */
  packages: Record<string, FaultPackage>;
  /** Probability that a package is on in a seed's draw. Default 1/2, as swarm testing has it. */
  packageProbability?: number;
  /** The range of the mean time between random faults, drawn log-uniformly. */
  meanIntervalUs: readonly [number, number];
  /** Knobs by name, each with the values it may take (drawn uniformly). */
  knobs: Record<string, readonly KnobValue[]>;
}

/** One seed's configuration. */
export interface SwarmDraw {
  /** The packages switched on, in the space's order; never empty. */
  packages: string[];
  meanIntervalUs: number;
  knobs: Record<string, KnobValue>;
}

/** The configuration seed `seed` draws from `space`. */
export function drawSwarm(space: SwarmSpace, seed: number): SwarmDraw {
  const names = Object.keys(space.packages);
  if (names.length === 0) throw new InputError("a swarm space needs at least one fault package");
  const [low, high] = space.meanIntervalUs;
  if (!(low > 0 && high >= low)) {
    throw new InputError(`a swarm's meanIntervalUs must be a range 0 < low <= high, got [${low}, ${high}]`);
  }
  const p = space.packageProbability ?? 0.5;
  const rng = Rng.fromSeed(seed).fork("swarm");
  let packages = names.filter(() => rng.bernoulli(p));
  // A draw with every package off would test nothing: one is then picked, as a swarm keeps at least one feature.
  if (packages.length === 0) packages = [rng.pick(names)];
  const meanIntervalUs = Math.round(Math.exp(rng.uniform(Math.log(low), Math.log(high))));
  const knobs: Record<string, KnobValue> = {};
  for (const [name, values] of Object.entries(space.knobs)) {
    if (values.length === 0) throw new InputError(`swarm knob ${name} lists no values`);
    knobs[name] = rng.pick(values);
  }
  return { packages, meanIntervalUs, knobs };
}

/** A draw as one line, printed with its seed. */
export function describeDraw(draw: SwarmDraw): string {
  const knobs = Object.entries(draw.knobs).map(([k, v]) => `${k}=${v}`).join(" ");
  return `packages=${draw.packages.join("+")} meanInterval=${(draw.meanIntervalUs / 1000).toFixed(0)}ms ${knobs}`;
}
