/**
 * Hybrid logical clocks (Kulkarni et al., 2014): a timestamp is the largest physical time seen
 * (the node's wall clock, or any timestamp received) plus a counter that orders events within one
 * microsecond. A timestamp taken after receiving another is greater than it, whatever the clocks
 * say, so last-writer-wins by HLC never lets a write lose to one it causally follows; and the
 * physical part stays within the clock skew of real time.
 *
 * @example
 * ```ts
 * import { Hlc, compareTimestamps } from "./hlc.ts";
 * const slow = new Hlc();
 * const seen = { wallUs: 5_000, logical: 0 };
 * slow.receive(seen); // our wall clock says 1000, but 5000 was seen
 * compareTimestamps(slow.now(1_000), seen) > 0; // true
 * ```
 * @module
 */
import { assert } from "../../assert.ts";

/** An HLC timestamp. Totally ordered by `wallUs`, then `logical` (then the writer's node, by the caller). */
export interface Timestamp {
  wallUs: number;
  logical: number;
}

/** The timestamp below every other. */
export const timestampZero: Timestamp = Object.freeze({ wallUs: 0, logical: 0 });

/** Most events within one microsecond of physical time before the counter is refused. */
export const hlcLogicalMax = 1_000_000;

/** Negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.wallUs - b.wallUs || a.logical - b.logical;
}

/** The later of two timestamps. */
export function maxTimestamp(a: Timestamp, b: Timestamp): Timestamp {
  return compareTimestamps(a, b) >= 0 ? a : b;
}

/** One node's hybrid logical clock. It lives in memory: a restarted node starts from its wall clock. */
export class Hlc {
  #last: Timestamp = timestampZero;

  /** The last timestamp issued or received. */
  get last(): Timestamp {
    return this.#last;
  }

  /** A new timestamp for a local event, `wallUs` being the node's wall clock now. */
  now(wallUs: number): Timestamp {
    const last = this.#last;
    const next = wallUs > last.wallUs ? { wallUs, logical: 0 } : { wallUs: last.wallUs, logical: last.logical + 1 };
    if (!(next.logical <= hlcLogicalMax)) {
      assert(false, `more than ${hlcLogicalMax} events in one microsecond of the HLC`);
    }
    this.#last = next;
    return next;
  }

  /** Takes in a timestamp seen in a message, so every later timestamp from {@linkcode now} follows it. */
  receive(seen: Timestamp): void {
    if (compareTimestamps(seen, this.#last) > 0) this.#last = { wallUs: seen.wallUs, logical: seen.logical };
  }
}

/**
 * A timestamp as one number ordered as {@linkcode compareTimestamps} orders timestamps: the
 * version a client reports in the history (`wallUs` · 2²⁰ + `logical`; `logical` stays below
 * {@linkcode hlcLogicalMax} < 2²⁰, and the product is exact for runs up to about 2.4 hours).
 */
export function timestampVersion(t: Timestamp): number {
  const version = t.wallUs * 2 ** 20 + t.logical;
  if (!(Number.isSafeInteger(version) && t.logical < 2 ** 20)) {
    assert(false, `timestamp ${t.wallUs}.${t.logical} is past a version`);
  }
  return version;
}
