/**
 * Quorum arithmetic: majorities and the highest index a majority holds.
 *
 * @module
 */

/** The size of a majority of `voters`. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * Up to this many voters, {@linkcode quorumIndex} counts instead of sorting: n^2 comparisons with
 * no allocation beat copying and sorting for the cluster sizes Raft runs (3 to 7 voters), and a
 * leader asks on every acknowledgement.
 */
const countingVotersMax = 16;

/**
 * The largest index that at least a majority of `matchIndexes` (one per voter) have reached: the
 * majority-th largest value.
 *
 * @example
 * ```ts
 * import { quorumIndex } from "./quorum.ts";
 * quorumIndex([9, 4, 7, 2, 7]); // 7: three of five voters hold index 7
 * ```
 */
export function quorumIndex(matchIndexes: readonly number[]): number {
  const voters = matchIndexes.length;
  if (voters === 0 || voters > countingVotersMax) {
    const sorted = [...matchIndexes].sort((a, b) => b - a);
    return sorted[majority(voters) - 1];
  }
  // The majority-th largest value is the largest value that a majority hold or exceed.
  const needed = majority(voters);
  let best = -Infinity;
  for (let i = 0; i < voters; i++) {
    const candidate = matchIndexes[i];
    if (candidate <= best) continue;
    let reached = 0;
    for (let j = 0; j < voters; j++) if (matchIndexes[j] >= candidate) reached++;
    if (reached >= needed) best = candidate;
  }
  return best;
}
