/**
 * A node's clocks: a wall clock that can be offset, drift and jump, and a monotonic clock that
 * only drifts.
 *
 * Local wall time is `true time + offset + drift`, piecewise linear in true time. Every change
 * (a new drift rate, a jump) re-anchors the line at the current instant, so readings before the
 * change are never rewritten. The monotonic clock shares the drift rate but ignores offsets and
 * jumps, as CLOCK_MONOTONIC does; timers run on it, so a node with a fast clock fires its timers
 * early in true time, which is what breaks leases in real systems.
 *
 * @example
 * ```ts
 * import { Clock } from "./clock.ts";
 * const clock = new Clock();
 * clock.setDriftPpm(0, 100); // 100 microseconds fast per second
 * clock.wallUs(1_000_000); // 1_000_100
 * ```
 * @module
 */
import { checkNumber } from "../assert.ts";

/** The largest drift accepted, in parts per million; beyond it a timer could run backwards. */
export const clockDriftPpmMax = 500_000;

/** One node's clocks. All arguments named `nowUs` are the kernel's true time. */
export class Clock {
  #anchorTrueUs = 0;
  #anchorWallUs = 0;
  #anchorMonotonicUs = 0;
  #rate = 1;

  /** The node's wall-clock reading at true time `nowUs`, rounded to whole microseconds. */
  wallUs(nowUs: number): number {
    return Math.round(this.#anchorWallUs + (nowUs - this.#anchorTrueUs) * this.#rate);
  }

  /** The node's monotonic reading at true time `nowUs`: drifts, never jumps. */
  monotonicUs(nowUs: number): number {
    return Math.round(this.#anchorMonotonicUs + (nowUs - this.#anchorTrueUs) * this.#rate);
  }

  /** The wall-clock offset from true time at `nowUs`. */
  offsetUs(nowUs: number): number {
    return this.wallUs(nowUs) - nowUs;
  }

  /** Whether the wall clock differs from true time (an offset or a drift). */
  get skewed(): boolean {
    return this.#rate !== 1 || this.#anchorWallUs !== this.#anchorTrueUs;
  }

  /** Whether the clock runs at a rate other than true time's. */
  get drifting(): boolean {
    return this.#rate !== 1;
  }

  /** The current drift in parts per million (positive: the clock runs fast). */
  get driftPpm(): number {
    return (this.#rate - 1) * 1e6;
  }

  /** True microseconds that pass while this clock advances `localUs` (rounded up, so never early). */
  trueDelayUs(localUs: number): number {
    return this.#rate === 1 ? localUs : Math.ceil(localUs / this.#rate);
  }

  /** Moves the wall clock by `deltaUs` at `nowUs` (positive: forward). The monotonic clock is unaffected. */
  jump(nowUs: number, deltaUs: number): void {
    checkNumber("clock jump deltaUs", deltaUs, { integer: true });
    this.#reanchor(nowUs);
    this.#anchorWallUs += deltaUs;
  }

  /** Sets the wall clock's offset from true time to `offsetUs` at `nowUs`. */
  setOffset(nowUs: number, offsetUs: number): void {
    checkNumber("clock offsetUs", offsetUs, { integer: true });
    this.#reanchor(nowUs);
    this.#anchorWallUs = nowUs + offsetUs;
  }

  /** Sets the drift rate from `nowUs` on. */
  setDriftPpm(nowUs: number, driftPpm: number): void {
    checkNumber("clock driftPpm", driftPpm, { min: -clockDriftPpmMax, max: clockDriftPpmMax });
    this.#reanchor(nowUs);
    this.#rate = 1 + driftPpm / 1e6;
  }

  /** Back to a perfect clock (offset and drift zero) from `nowUs` on; the monotonic clock keeps its reading. */
  reset(nowUs: number): void {
    this.#reanchor(nowUs);
    this.#anchorWallUs = nowUs;
    this.#rate = 1;
  }

  #reanchor(nowUs: number): void {
    this.#anchorWallUs = this.#anchorWallUs + (nowUs - this.#anchorTrueUs) * this.#rate;
    this.#anchorMonotonicUs = this.#anchorMonotonicUs + (nowUs - this.#anchorTrueUs) * this.#rate;
    this.#anchorTrueUs = nowUs;
  }
}
