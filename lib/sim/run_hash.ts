/**
 * A running 64-bit hash of a run's events, fed a few integers per event.
 *
 * Two runs with the same seed must produce the same hash; a difference means something outside
 * the seed leaked in. Two 32-bit FNV-1a-style lanes with different primes keep collisions rare
 * without BigInt or string building on the hot path.
 *
 * @example
 * ```ts
 * import { RunHash } from "./run_hash.ts";
 * const hash = new RunHash();
 * hash.add4(1, 2, 3, 4);
 * hash.hex(); // 16 hex digits
 * ```
 * @module
 */

/** An incrementally updated hash. */
export class RunHash {
  #a = 0x811c9dc5 | 0;
  #b = 0x2545f491 | 0;

  /** Mixes one 32-bit integer into the hash. Larger numbers are split by the caller. */
  add(x: number): void {
    this.#a = Math.imul(this.#a ^ x, 0x01000193);
    this.#b = Math.imul(this.#b ^ x, 0x5bd1e995) ^ (this.#b >>> 15);
  }

  /** Mixes a time and three small integers: one event. */
  add4(timeUs: number, kind: number, node: number, arg: number): void {
    this.add(timeUs | 0);
    this.add((timeUs / 4294967296) | 0);
    this.add(kind);
    this.add(node);
    this.add(arg | 0);
  }

  /** The hash as 16 hex digits. */
  hex(): string {
    return (this.#a >>> 0).toString(16).padStart(8, "0") + (this.#b >>> 0).toString(16).padStart(8, "0");
  }
}
