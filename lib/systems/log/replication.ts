/**
 * The leader's replication rules as pure functions: the high watermark, which followers leave and
 * rejoin the in-sync replica set, and where a follower truncates. The broker calls them; the unit
 * tests read them as Kafka's rules.
 *
 * @example
 * ```ts
 * import { highWatermark } from "./replication.ts";
 * // Kafka: the high watermark is the smallest log end offset of the in-sync replicas.
 * highWatermark({ isr: [0, 1, 2], endOffsets: new Map([[0, 9], [1, 7], [2, 8]]), current: 5 }); // 7
 * ```
 * @module
 */
import { assert } from "../../assert.ts";

/**
 * The high watermark: the smallest log end offset among the in-sync replicas (a replica whose end
 * offset the leader does not know yet counts as the current watermark), never below `current`.
 * Everything below it is on every in-sync replica, so any of them may lead without losing it.
 */
export function highWatermark(
  input: { isr: readonly number[]; endOffsets: ReadonlyMap<number, number>; current: number },
): number {
  assert(input.isr.length > 0, "the high watermark of an empty ISR");
  let smallest = Infinity;
  for (const replica of input.isr) smallest = Math.min(smallest, input.endOffsets.get(replica) ?? input.current);
  return Math.max(input.current, smallest);
}

/** What the leader knows of one follower. */
export interface FollowerProgress {
  /** The offset it asked for last: it holds everything below. */
  endOffset: number;
  /** The last time it had everything the leader had (in the leader's monotonic clock). */
  caughtUpUs: number;
}

/**
 * Followers of the ISR that have not been caught up for longer than `lagTimeMaxUs` (Kafka's
 * `replica.lag.time.max.ms`): lag is judged by time, not by count, so a burst does not evict a
 * healthy follower and a stuck one leaves however little it lags.
 */
export function isrToShrink(input: {
  leader: number;
  isr: readonly number[];
  followers: ReadonlyMap<number, FollowerProgress>;
  nowUs: number;
  lagTimeMaxUs: number;
}): number[] {
  return input.isr.filter((replica) => {
    if (replica === input.leader) return false;
    const progress = input.followers.get(replica);
    return progress === undefined || input.nowUs - progress.caughtUpUs > input.lagTimeMaxUs;
  });
}

/**
 * Followers outside the ISR that may rejoin it: each holds everything up to the high watermark
 * and something of the leader's own epoch (its end offset reaches the epoch's start), so electing
 * it later cannot lose a committed record. A follower that has not been caught up within
 * `lagTimeMaxUs` does not rejoin: its last fetch may be old (Kafka judges expansion at a fetch),
 * and a watermark held back by the very produces that wait for it would let a silent follower
 * back in, to be shrunk again a tick later while the other one comes in: the ISR would flap.
 */
export function isrToExpand(input: {
  replicas: readonly number[];
  isr: readonly number[];
  followers: ReadonlyMap<number, FollowerProgress>;
  highWatermark: number;
  epochStartOffset: number;
  nowUs: number;
  lagTimeMaxUs: number;
}): number[] {
  return input.replicas.filter((replica) => {
    if (input.isr.includes(replica)) return false;
    const progress = input.followers.get(replica);
    return progress !== undefined && progress.endOffset >= input.highWatermark &&
      progress.endOffset >= input.epochStartOffset && input.nowUs - progress.caughtUpUs <= input.lagTimeMaxUs;
  });
}

/**
 * Where a follower truncates after asking the leader where the follower's latest epoch ended
 * (KIP-101, with KIP-279's refinement): at the leader's end offset for the largest epoch it knows
 * at most the asked one, or where that same epoch ends in the follower's own log if sooner (the
 * leader may answer an earlier epoch whose records the follower overwrote later), and never past
 * the follower's log end.
 */
export function truncationOffset(input: {
  logEndOffset: number;
  leaderEndOffset: number;
  /** Where the epoch the leader answered with ends in the follower's log. */
  followerEndOffsetForEpoch: number;
}): number {
  assert(input.leaderEndOffset >= 0, `leader end offset ${input.leaderEndOffset} is negative`);
  return Math.min(input.logEndOffset, input.leaderEndOffset, input.followerEndOffsetForEpoch);
}

/**
 * One step of a follower's truncation after the leader answered where epoch `leaderEpoch` (the
 * largest it has at most the one asked about) ends. When the follower has that epoch, it cuts at
 * {@linkcode truncationOffset} and is done. When it lacks it, its records after its own largest
 * epoch below `leaderEpoch` belong to epochs the leader never had: it cuts them and asks again
 * about that smaller epoch (Kafka's fetcher does the same), since cutting at the leader's answer
 * would keep its own records of an older epoch where the leader's log has `leaderEpoch`'s.
 */
export function truncationStep(input: {
  logEndOffset: number;
  leaderEpoch: number;
  leaderEndOffset: number;
  /** The follower's largest epoch at most `leaderEpoch`, and where it ends in the follower's log. */
  follower: { epoch: number; endOffset: number };
}): { offset: number; askAgain: boolean } {
  if (input.follower.epoch === input.leaderEpoch) {
    return {
      offset: truncationOffset({
        logEndOffset: input.logEndOffset,
        leaderEndOffset: input.leaderEndOffset,
        followerEndOffsetForEpoch: input.follower.endOffset,
      }),
      askAgain: false,
    };
  }
  assert(input.follower.epoch < input.leaderEpoch, `the follower's epoch ${input.follower.epoch} is past the answer`);
  const offset = Math.min(input.logEndOffset, input.follower.endOffset);
  return { offset, askAgain: offset > 0 };
}
