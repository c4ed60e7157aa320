/**
 * The grid of fixed windows the windowed series, SLOs and recovery share. Private.
 *
 * @module
 */
import { checkNumber, InputError } from "../assert.ts";
import type { Op } from "../history/mod.ts";

/** A bound on windows per series: a finer grid is a mistake in the units, not a wish. */
export const windowsMax = 1_000_000;

/** Consecutive windows of `windowUs` from `startUs`; the last one also holds events at `endUs`. */
export interface WindowGrid {
  startUs: number;
  endUs: number;
  windowUs: number;
  count: number;
}

/** Where the windows lie: given bounds, or the history's first and last event times. */
export interface WindowBounds {
  windowUs: number;
  startUs?: number;
  endUs?: number;
}

/** Builds the grid, checking the window length and the bounds. */
export function windowGrid(events: readonly Op[], bounds: WindowBounds): WindowGrid {
  const windowUs = checkNumber("windowUs", bounds.windowUs, { min: 1 });
  const startUs = bounds.startUs === undefined ? (events[0]?.time ?? 0) : checkNumber("startUs", bounds.startUs);
  const endUs = bounds.endUs === undefined ? (events.at(-1)?.time ?? startUs) : checkNumber("endUs", bounds.endUs);
  if (endUs < startUs) throw new InputError(`endUs (${endUs}) must be at least startUs (${startUs})`);
  const count = Math.max(1, Math.ceil((endUs - startUs) / windowUs));
  if (count > windowsMax) {
    throw new InputError(`${count} windows of ${windowUs} us exceed windowsMax ${windowsMax}; use longer windows`);
  }
  return { startUs, endUs, windowUs, count };
}

/** The window holding `timeUs`, or -1 outside `[startUs, endUs]`. */
export function windowIndex(grid: WindowGrid, timeUs: number): number {
  if (timeUs < grid.startUs || timeUs > grid.endUs) return -1;
  return Math.min(grid.count - 1, Math.floor((timeUs - grid.startUs) / grid.windowUs));
}

/** Puts each item in the window its time falls in; items outside the grid are dropped. */
export function bucketByWindow<T>(grid: WindowGrid, items: readonly T[], timeUs: (item: T) => number): T[][] {
  const buckets: T[][] = Array.from({ length: grid.count }, () => []);
  for (const item of items) {
    const index = windowIndex(grid, timeUs(item));
    if (index >= 0) buckets[index].push(item);
  }
  return buckets;
}
