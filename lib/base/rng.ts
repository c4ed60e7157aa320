/**
 * Seeded random streams, forked by name.
 *
 * Every draw in a run comes from a stream derived from the run seed and a name ("network",
 * "node/3", "workload"). A component's numbers depend only on the seed and its own name, so adding
 * a component, or drawing more from one stream, never shifts what the other streams produce.
 * The generator is seedrandom's Alea: fast, plain floating-point arithmetic, no BigInt.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * const network = Rng.fromSeed(42).fork("network");
 * const delayUs = network.int(100, 200);
 * ```
 * @module
 */
import seedrandom from "seedrandom";
import { assert, checkNumber } from "../assert.ts";

/** A deterministic stream of random numbers. */
export class Rng {
  /** The stream's full name; the same key always yields the same numbers. */
  readonly key: string;
  /** Draws a float in [0, 1) with 32 bits of randomness. Kept as a field for a call without indirection. */
  readonly next: () => number;

  private constructor(key: string) {
    this.key = key;
    this.next = seedrandom.alea(key);
  }

  /**
   * The root stream of a run.
   *
   * @param seed a non-negative safe integer (the run seed)
   */
  static fromSeed(seed: number): Rng {
    checkNumber("seed", seed, { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true });
    return new Rng(`faultline:${seed}`);
  }

  /** An independent stream named `name` below this one. Same parent and name, same stream. */
  fork(name: string): Rng {
    assert(name.length > 0, "a forked stream needs a name");
    return new Rng(`${this.key}/${name}`);
  }

  /** An integer drawn uniformly from [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (!(Number.isInteger(min) && Number.isInteger(max) && min <= max)) {
      assert(false, `bad int range [${min}, ${max}]`);
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A float drawn uniformly from [min, max). */
  uniform(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  /** True with probability `p`. Draws nothing when `p` is 0 or 1, so disabled features cost no draws. */
  bernoulli(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, "pick() from an empty array");
    return items[Math.floor(this.next() * items.length)];
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const swap = items[i];
      items[i] = items[j];
      items[j] = swap;
    }
    return items;
  }
}
