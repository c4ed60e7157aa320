/**
 * CPU costs of a Raft server's recovery and snapshots: what replaying its WAL and loading its
 * snapshot take, so a restart costs virtual time in proportion to what the disk holds and the
 * snapshot cadence shows in recovery time; and what serialising or installing a snapshot takes, so
 * frequent snapshots cost CPU. The server reports these with `api.work`; it handles nothing else
 * until that work is done.
 *
 * The figures are of the order a Go or Rust server measures on one core: reading and checking a
 * WAL from the page cache at about 100 MB/s (CRC-32 and framing), decoding an entry and applying
 * it to an in-memory key-value store in a couple of microseconds, and parsing a snapshot at about
 * 100 MB/s. They are deliberately simple (linear, no fixed part) so the trade-off they produce is
 * easy to read; change them here, in one place, to study a slower or faster replay.
 *
 * @example
 * ```ts
 * import { replayWorkUs } from "./costs.ts";
 * replayWorkUs({ walBytes: 1_000_000, entries: 10_000, snapshotBytes: 0 }); // 10000 + 20000 = 30000 us
 * ```
 * @module
 */
import { assert } from "../../assert.ts";

/** CPU to read and check one byte of WAL (framing, CRC-32): 10 ns, about 100 MB/s. */
export const walReplayUsPerByte = 0.01;

/** CPU to decode one replayed entry, put it in the log and apply it to the state machine. */
export const entryReplayUsPerEntry = 2;

/** CPU to read and parse one byte of the snapshot into the state machine: about 100 MB/s. */
export const snapshotLoadUsPerByte = 0.01;

/** CPU to serialise one byte of the state machine into a snapshot: about 100 MB/s. */
export const snapshotWriteUsPerByte = 0.01;

/** The CPU time, in whole microseconds, of serialising (or loading) a snapshot of `bytes`. */
export function snapshotWorkUs(bytes: number, usPerByte = snapshotWriteUsPerByte): number {
  assert(bytes >= 0, `snapshot bytes must be at least 0, got ${bytes}`);
  return Math.round(bytes * usPerByte);
}

/** What a recovery read from disk. */
export interface ReplayAmounts {
  /** Bytes of the WAL replayed (its valid length). */
  walBytes: number;
  /** Log entries the replay produced. */
  entries: number;
  /** Bytes of the snapshot file loaded (0: none). */
  snapshotBytes: number;
}

/**
 * The CPU time, in whole microseconds, that replaying `amounts` takes.
 *
 * @param amounts what the recovery read
 * @returns microseconds of CPU, at least 0
 *
 * @example
 * ```ts
 * import { replayWorkUs } from "./costs.ts";
 * replayWorkUs({ walBytes: 0, entries: 0, snapshotBytes: 50_000 }); // 500
 * ```
 */
export function replayWorkUs(amounts: ReplayAmounts): number {
  const { walBytes, entries, snapshotBytes } = amounts;
  assert(
    walBytes >= 0 && entries >= 0 && snapshotBytes >= 0,
    `replay amounts must be at least 0: ${JSON.stringify(amounts)}`,
  );
  const workUs = walBytes * walReplayUsPerByte + entries * entryReplayUsPerEntry +
    snapshotBytes * snapshotLoadUsPerByte;
  assert(Number.isFinite(workUs), `replay work of ${JSON.stringify(amounts)} is not finite`);
  return Math.round(workUs);
}
