/**
 * The leader epoch cache (KIP-101): for each leader epoch a log holds, the offset of its first
 * record. A follower that asks the leader where its own latest epoch ended can truncate exactly
 * the suffix the leader does not share, where truncating to the high watermark would drop
 * acknowledged records or keep diverged ones.
 *
 * Pure: no disk. The log rebuilds it from its records (each record carries its epoch), so it needs
 * no file of its own.
 *
 * @example
 * ```ts
 * import { EpochCache } from "./epoch_cache.ts";
 * const cache = new EpochCache();
 * cache.assign(1, 0);
 * cache.assign(3, 5);
 * cache.endOffsetFor(1, 9); // { epoch: 1, endOffset: 5 }: epoch 1 ended where epoch 3 began
 * cache.endOffsetFor(2, 9); // { epoch: 1, endOffset: 5 }: epoch 2 is unknown here; the largest below it
 * ```
 * @module
 */
import { assert } from "../../assert.ts";

/** Epoch start offsets, ascending in both. */
export class EpochCache {
  #entries: { epoch: number; startOffset: number }[] = [];

  /** Records that `epoch` starts at `startOffset`; a repeat of the latest epoch changes nothing. */
  assign(epoch: number, startOffset: number): void {
    const latest = this.#entries.at(-1);
    if (latest !== undefined && latest.epoch === epoch) return;
    assert(
      latest === undefined || (epoch > latest.epoch && startOffset >= latest.startOffset),
      `epoch ${epoch} at ${startOffset} after epoch ${latest?.epoch} at ${latest?.startOffset}: epochs and offsets ascend`,
    );
    this.#entries.push({ epoch, startOffset });
  }

  /** The latest epoch, or -1 for an empty log. */
  latestEpoch(): number {
    return this.#entries.at(-1)?.epoch ?? -1;
  }

  /**
   * Where `epoch` ended in a log whose end offset is `logEndOffset` (KIP-101's
   * OffsetsForLeaderEpoch): the largest known epoch at most `epoch`, and the start of the epoch
   * after it (or the log end when it is the latest). An epoch below every known one ends at the
   * first known epoch's start: the follower must drop everything of it.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    let index = -1;
    for (let i = 0; i < this.#entries.length && this.#entries[i].epoch <= epoch; i++) index = i;
    if (index === -1) return { epoch: -1, endOffset: this.#entries[0]?.startOffset ?? logEndOffset };
    const next = this.#entries[index + 1];
    return { epoch: this.#entries[index].epoch, endOffset: next === undefined ? logEndOffset : next.startOffset };
  }

  /** Forgets epochs that start at or after `offset` (the log was truncated there). */
  truncateFrom(offset: number): void {
    while (this.#entries.length > 0 && this.#entries.at(-1)!.startOffset >= offset) this.#entries.pop();
  }

  /** The entries, oldest first (a copy). */
  entries(): { epoch: number; startOffset: number }[] {
    return this.#entries.map((e) => ({ ...e }));
  }
}
