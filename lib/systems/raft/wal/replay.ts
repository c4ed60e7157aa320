/**
 * Recovery of the WAL: replays frames into a log (overwrites as §5.3, snapshot markers as §7), cuts
 * a torn last write, and refuses damage anywhere else.
 *
 * A crash can tear the last write (a prefix of it lands), so a damaged final record is cut off and
 * reported; damage anywhere else is refused with a {@linkcode WalCorruptionError}, because skipping
 * a record in the middle would silently drop entries that may be committed (a node that refuses to
 * start is safe; one that forgets is not).
 *
 * @example
 * ```ts
 * import { encodeRecords } from "./format.ts";
 * import { replayWal } from "./replay.ts";
 * const bytes = encodeRecords([{ kind: "entry", term: 1, index: 1, command: "a" }]);
 * replayWal(bytes).entries.length; // 1
 * ```
 * @module
 */
import { assert } from "../../../assert.ts";
import type { NodeDiskApi } from "../../../sim/mod.ts";
import {
  decodePayload,
  findWholeFrame,
  inspectFrame,
  recordBytesMaxOf,
  WalCorruptionError,
  type WalEntry,
  walFileDefault,
  walFrameHeaderBytes,
  type WalHardState,
  type WalLimits,
  type WalRecord,
  type WalSnapshotMarker,
} from "./format.ts";

// ---------------------------------------------------------------- replay

/**
 * The log as the records replay it. Entries are contiguous: `entries[k].index` is
 * `entries[0].index + k`.
 */
export class LogReplay {
  hardState: WalHardState | undefined = undefined;
  snapshot: WalSnapshotMarker | undefined = undefined;
  entries: WalEntry[] = [];

  constructor(readonly file: string) {}

  apply(record: WalRecord, offset: number): void {
    if (record.kind === "hard") this.hardState = record;
    else if (record.kind === "entry") this.applyEntry(record, offset);
    else this.applySnapshot(record, offset);
  }

  /**
   * Raft §5.3: an entry at an index the log already holds replaces it and everything after it
   * (the node writes an entry only when it is new or conflicts). An entry may not leave a gap, nor
   * land below the first retained entry (that history was compacted away).
   */
  applyEntry(entry: WalEntry, offset: number): void {
    const entries = this.entries;
    if (entries.length === 0) {
      const baseIndex = this.snapshot?.index ?? 0;
      if (entry.index > baseIndex + 1) {
        const after = baseIndex === 0 ? "an empty log without a snapshot" : `the snapshot at index ${baseIndex}`;
        this.#fail(offset, `entry ${entry.index} leaves a gap after ${after}`);
      }
      entries.push(entry);
      return;
    }
    const firstIndex = entries[0].index;
    const lastIndex = firstIndex + entries.length - 1;
    if (entry.index > lastIndex + 1) this.#fail(offset, `entry ${entry.index} leaves a gap after entry ${lastIndex}`);
    if (entry.index < firstIndex) {
      this.#fail(offset, `entry ${entry.index} lies below the first retained entry ${firstIndex}`);
    }
    entries.length = entry.index - firstIndex;
    entries.push(entry);
  }

  /**
   * Raft §7: if the log holds the snapshot's last entry (same index and term), the entries stay;
   * otherwise the snapshot supersedes the whole log. Markers never move backwards.
   */
  applySnapshot(marker: WalSnapshotMarker, offset: number): void {
    const previous = this.snapshot;
    if (previous !== undefined && marker.index < previous.index) {
      this.#fail(offset, `snapshot marker ${marker.index} is older than the previous marker ${previous.index}`);
    }
    if (previous !== undefined && marker.index === previous.index && marker.term !== previous.term) {
      this.#fail(offset, `snapshot marker ${marker.index} changes its term from ${previous.term} to ${marker.term}`);
    }
    this.snapshot = marker;
    if (this.entries.length === 0) return;
    const firstIndex = this.entries[0].index;
    const lastIndex = firstIndex + this.entries.length - 1;
    if (marker.index < firstIndex - 1) {
      this.#fail(offset, `snapshot marker ${marker.index} is older than the retained log starting at ${firstIndex}`);
    }
    if (marker.index === firstIndex - 1) return; // the log continues the snapshot
    const kept = marker.index <= lastIndex && this.entries[marker.index - firstIndex].term === marker.term;
    if (!kept) this.entries = [];
  }

  #fail(offset: number, reason: string): never {
    throw new WalCorruptionError(this.file, offset, reason);
  }
}

/** What recovery found in a WAL file. */
export interface WalRecovery {
  /** The last hard state written, or undefined when none was. */
  hardState: WalHardState | undefined;
  /**
   * The log, in index order and contiguous, after replaying overwrites (§5.3) and snapshot
   * markers (§7). It may start at or below `snapshot.index` (compaction keeps a tail of covered
   * entries for slow followers); entries after the snapshot continue from `snapshot.index + 1`.
   */
  entries: WalEntry[];
  /** The latest snapshot marker, or undefined when none was written. */
  snapshot: WalSnapshotMarker | undefined;
  /** Whole records replayed. */
  recordCount: number;
  /** Length of the whole records at the start of the file: the file's length after recovery. */
  validBytes: number;
  /** Bytes after the last whole record: a torn last write, cut off by {@linkcode recover}. */
  tornTailBytes: number;
  /** What was wrong with the torn tail, when there was one. */
  tornTailReason: string | undefined;
}

/** Options of {@linkcode replayWal}. */
export interface WalReplayOptions extends WalLimits {
  /** The file name used in error messages. Default "wal". */
  file?: string;
}

/**
 * Replays the frames in `bytes` without touching any disk: the pure half of {@linkcode recover},
 * also usable by checkers reading a node's files from outside.
 *
 * @throws WalCorruptionError when damage is not confined to the last record, a length is outside
 *   [17, recordBytesMax], a CRC-valid record does not decode, or the records do not form a log
 * @example
 * ```ts
 * import { encodeRecords, replayWal } from "./mod.ts";
 * const bytes = encodeRecords([{ kind: "entry", term: 1, index: 1, command: "a" }]);
 * replayWal(bytes).entries.length; // 1
 * ```
 */
export function replayWal(bytes: Uint8Array, options: WalReplayOptions = {}): WalRecovery {
  return replayFrames(bytes, options, true);
}

/**
 * {@linkcode replayWal}, optionally without parsing the entries' commands (each is then `null`):
 * framing, checksums, kinds and the log's shape are still checked.
 */
export function replayFrames(bytes: Uint8Array, options: WalReplayOptions, decodeCommands: boolean): WalRecovery {
  const file = options.file ?? walFileDefault;
  const recordBytesMax = recordBytesMaxOf(options);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const replay = new LogReplay(file);
  let offset = 0;
  let recordCount = 0;
  let tornTailReason: string | undefined = undefined;
  while (offset < bytes.length) {
    const check = inspectFrame(bytes, view, offset, recordBytesMax);
    if (check.status === "corrupt") throw new WalCorruptionError(file, offset, check.reason);
    if (check.status === "damaged") {
      const following = findWholeFrame(bytes, view, offset + 1, recordBytesMax);
      if (following >= 0) {
        throw new WalCorruptionError(
          file,
          offset,
          `${check.reason}, yet a whole record follows at offset ${following}`,
        );
      }
      tornTailReason = check.reason;
      break;
    }
    const payloadStart = offset + walFrameHeaderBytes;
    const record = decodePayload(bytes, view, payloadStart, check.payloadBytes, decodeCommands);
    if (typeof record === "string") throw new WalCorruptionError(file, offset, `CRC-valid record: ${record}`);
    replay.apply(record, offset);
    recordCount++;
    offset = payloadStart + check.payloadBytes;
  }
  assert(offset <= bytes.length, `replay of ${file} ran past its end`);
  return {
    hardState: replay.hardState,
    entries: replay.entries,
    snapshot: replay.snapshot,
    recordCount,
    validBytes: offset,
    tornTailBytes: bytes.length - offset,
    tornTailReason,
  };
}

/**
 * Recovers a node's WAL at start: replays `file` and, when its last write was torn, truncates the
 * file to its whole records so that later appends stay aligned. Call it before constructing the
 * {@linkcode Wal}. Reads only; the one change is that truncation (immediate and durable).
 *
 * @throws WalCorruptionError when the damage is anything but a torn last record (see
 *   {@linkcode replayWal}): the node must refuse to start
 * @example
 * ```ts ignore
 * const recovery = recover(api.disk);
 * const wal = new Wal(api.disk);
 * ```
 */
export function recover(disk: NodeDiskApi, file: string = walFileDefault, limits: WalLimits = {}): WalRecovery {
  const recovery = replayWal(disk.read(file), { ...limits, file });
  if (recovery.tornTailBytes > 0) disk.truncate(file, recovery.validBytes);
  assert(disk.size(file) === recovery.validBytes, `${file} is ${disk.size(file)} bytes after recovery`);
  return recovery;
}
