/**
 * Copies of small byte arrays carved out of shared slabs. A typed array of its own costs a backing
 * store allocated outside the JavaScript heap (about a microsecond each, more than the copy); a
 * view into a slab costs a small object, and the slab is freed once no copy in it is reachable. For
 * copies that are kept a short while (writes in flight, log records until flushed), not for data
 * kept for a run's whole length: one live copy keeps its whole slab alive.
 *
 * @example
 * ```ts
 * import { ByteSlab } from "./byte_slab.ts";
 * const slab = new ByteSlab();
 * const source = Uint8Array.of(1, 2, 3);
 * const copy = slab.copy(source);
 * source[0] = 9;
 * copy[0]; // 1: the copy is its own
 * ```
 * @module
 */
import { assert } from "../assert.ts";

/** Bytes of one slab. */
export const slabBytes = 64 * 1024;
/** Largest array copied into a slab; larger ones get a backing store of their own. */
export const slabCopyBytesMax = 4 * 1024;

/** A source of copies; each instance fills its own slabs. */
export class ByteSlab {
  /** Empty until the first copy: a simulation that writes nothing allocates no slab. */
  #slab = new Uint8Array(0);
  #used = 0;

  /** A copy of `bytes` that shares no bytes with it or with any other copy. */
  copy(bytes: Uint8Array): Uint8Array {
    const length = bytes.length;
    if (length > slabCopyBytesMax) return bytes.slice();
    if (this.#used + length > this.#slab.length) {
      this.#slab = new Uint8Array(slabBytes);
      this.#used = 0;
    }
    const copy = this.#slab.subarray(this.#used, this.#used + length);
    copy.set(bytes);
    this.#used += length;
    assert(this.#used <= this.#slab.length, "a slab copy ran past its slab");
    return copy;
  }
}
