/**
 * When a log cluster counts as converged after the heal, for a cluster that clients keep writing to.
 *
 * A partition is settled when its leader serves in the controller's epoch and every replica is up
 * and in the ISR. It is caught up when, on top of that, nothing is in flight (the watermark at the
 * leader's log end, every replica at it), or when everything the leader held at the previous
 * observation, in the same epoch, is below the watermark and on every replica. The second rule is
 * what a loaded log shows: with transactional producers, markers, the transaction coordinator's
 * state records and the group's commits, some partition almost always has a record between its
 * append and its watermark, so requiring all of them idle at one instant made convergence a
 * lottery (seed 4 of `log-eos` with cooperative rebalancing drew no idle instant in 3 s, while no
 * watermark ever trailed for more than a few records). A watermark that stops, or a follower that
 * stops fetching, still fails both rules.
 *
 * @example
 * ```ts
 * import { ConvergenceWatch } from "./convergence.ts";
 * const watch = new ConvergenceWatch();
 * watch.observe([{ leaderEpoch: 1, highWatermark: 4, endOffset: 5, replicaEndOffsets: [5, 4] }]); // false
 * watch.observe([{ leaderEpoch: 1, highWatermark: 5, endOffset: 6, replicaEndOffsets: [6, 5] }]); // true
 * ```
 * @module
 */

/** One partition as observed; undefined when it is not settled (no serving leader, a replica down or out of the ISR). */
export interface PartitionSnapshot {
  leaderEpoch: number;
  highWatermark: number;
  /** The leader's log end. */
  endOffset: number;
  /** The log end of every replica, the leader's included. */
  replicaEndOffsets: readonly number[];
}

/** Remembers the previous observation, against which the next one judges progress. */
export class ConvergenceWatch {
  #previous: readonly (PartitionSnapshot | undefined)[] = [];

  /** Whether every partition is settled and caught up; `partitions` becomes the previous observation. */
  observe(partitions: readonly (PartitionSnapshot | undefined)[]): boolean {
    const previous = this.#previous;
    this.#previous = partitions;
    return partitions.every((now, partition) => now !== undefined && caughtUp(now, previous[partition]));
  }
}

function caughtUp(now: PartitionSnapshot, before: PartitionSnapshot | undefined): boolean {
  const replicasEnd = Math.min(...now.replicaEndOffsets);
  // A replica past the leader's end holds a suffix the leader lacks, which truncation will cut.
  if (Math.max(...now.replicaEndOffsets) > now.endOffset) return false;
  if (now.highWatermark === now.endOffset && replicasEnd === now.endOffset) return true;
  if (before === undefined || before.leaderEpoch !== now.leaderEpoch) return false;
  return now.highWatermark >= before.endOffset && replicasEnd >= before.endOffset;
}
