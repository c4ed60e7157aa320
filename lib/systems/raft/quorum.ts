/**
 * Quorum arithmetic: majorities and the highest index a majority holds.
 *
 * @module
 */

/** The size of a majority of `voters`. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** The largest index that at least a majority of `matchIndexes` (one per voter) have reached. */
export function quorumIndex(matchIndexes: readonly number[]): number {
  const sorted = [...matchIndexes].sort((a, b) => b - a);
  return sorted[majority(sorted.length) - 1];
}
