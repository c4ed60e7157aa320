/**
 * The WAL writer: appends record batches (group commit), issues fsyncs, and compacts the WAL behind
 * a snapshot by writing a temp file, fsyncing it, and renaming it over the WAL.
 *
 * Raft §5 requires a server to persist its current term, its vote and its log entries before it
 * answers the RPC that changed them. The node appends records here in batches (one disk append
 * per batch), asks for an fsync with a tag, and sends the answers that depend on those records
 * only when that fsync's completion comes back to its `onDisk` handler.
 *
 * @example
 * ```ts ignore
 * const wal = new Wal(api.disk);
 * wal.append([{ kind: "hard", term: 2, vote: 1, commit: 0 }]);
 * wal.sync("durable");
 * ```
 * @module
 */
import { assert, checkNumber } from "../../../assert.ts";
import type { DiskCompletion, NodeDiskApi } from "../../../sim/mod.ts";
import { crc32 } from "../../../base/mod.ts";
import {
  batchProblem,
  encodeRecords,
  encodeToScratch,
  recordBytesMaxOf,
  walBatchBytesMaxDefault,
  walDeferredOperationsMax,
  type WalEntry,
  walFileDefault,
  walFrameHeaderBytes,
  type WalHardState,
  type WalOptions,
  type WalRecord,
  WalRecordTooLargeError,
  type WalSnapshotMarker,
} from "./format.ts";
import { LogReplay, replayFrames, replayWal, type WalRecovery } from "./replay.ts";

// ---------------------------------------------------------------- the writer

/** Options of {@linkcode Wal.startCompaction}. */
export interface WalCompactionOptions {
  /** The first entry index to keep; must be at most `snapshot.index + 1` (1 without a snapshot). */
  keepFromIndex: number;
  /** The hard state to write first. Default: the last one in the WAL. */
  hardState?: WalHardState;
  /** The snapshot marker to write. Default: the latest one in the WAL. */
  snapshot?: WalSnapshotMarker;
  /** Tag of the temp file's fsync; when it completes, call {@linkcode Wal.finishCompaction}. */
  tag: unknown;
  /**
   * The entries the WAL holds from `keepFromIndex` on, when the caller has them in memory (a Raft
   * log mirrors its WAL): the WAL is then not replayed, which saves reading it whole at every
   * snapshot. Requires `hardState` and `snapshot`. They must be exactly what a replay would give.
   */
  entries?: readonly WalEntry[];
}

/** What a compaction will write, for metrics. */
export interface WalCompactionPlan {
  /** Length of the WAL before, including appends still in flight. */
  bytesBefore: number;
  /** Length of the rewritten WAL. */
  bytesAfter: number;
  entriesKept: number;
}

type DeferredOperation = { op: "append"; bytes: Uint8Array; tag: unknown } | { op: "sync"; tag: unknown };

interface Compaction {
  tag: unknown;
  bytesAfter: number;
  crcAfter: number;
  deferred: DeferredOperation[];
  /** Bytes of the appends in `deferred`. */
  deferredBytes: number;
}

/**
 * The WAL writer of one node incarnation. Call {@linkcode recover} before the first `append`
 * (constructing the writer first is fine: it reads the file's length at its first append).
 *
 * Ordering contract: a record is durable once the completion of a `sync` issued after its
 * `append` arrives. The kernel completes a node's disk operations in the order it issued them,
 * so that fsync covers every append issued before it. A failed append (`ok: false`, a full disk)
 * on the WAL file is not covered by any later fsync, and the records after it sit behind a hole
 * in the log: the node must not acknowledge anything from then on (stop, or refuse all work), and
 * the next recovery will report the gap as a {@linkcode WalCorruptionError}.
 *
 * @example
 * ```ts ignore
 * const wal = new Wal(api.disk);
 * wal.append([{ kind: "hard", term: 2, vote: 1, commit: 0 }, { kind: "entry", term: 2, index: 1, command: "x" }]);
 * wal.sync({ durableThrough: 1 }); // onDisk gets { op: "fsync", file: "wal", tag: { durableThrough: 1 } }
 * ```
 */
export class Wal {
  /** The WAL file. */
  readonly file: string;
  /** The temp file a compaction writes before renaming it over `file`. */
  readonly tmpFile: string;
  readonly recordBytesMax: number;
  readonly batchBytesMax: number;
  readonly #disk: NodeDiskApi;
  /**
   * Length `file` has once every append issued to it has landed. Read from the disk at the first
   * append or compaction, not at construction, so that a WAL built before {@linkcode recover} cut a
   * torn tail still counts from the cut.
   */
  #lengthKnown: number | undefined = undefined;
  /**
   * The bytes of the appends issued to `file` that may not have landed yet, oldest first, kept for
   * a compaction that replays the WAL: `#unlanded[0, #unlandedBytes)` is what the file will hold
   * from offset `#lengthKnown - #unlandedBytes` on. One buffer, reused, so appends allocate nothing.
   */
  #unlanded = new Uint8Array(4096);
  #unlandedBytes = 0;
  /** The end offset of each of those appends, oldest first. */
  #unlandedEnds: number[] = [];
  #bytesAppendedTotal = 0;
  #compactions = 0;
  #compaction: Compaction | undefined = undefined;

  constructor(disk: NodeDiskApi, file: string = walFileDefault, options: WalOptions = {}) {
    assert(file.length > 0, "the WAL needs a file name");
    this.#disk = disk;
    this.file = file;
    this.tmpFile = `${file}.tmp`;
    this.recordBytesMax = recordBytesMaxOf(options);
    this.batchBytesMax = checkNumber("wal batchBytesMax", options.batchBytesMax ?? walBatchBytesMaxDefault, {
      min: this.recordBytesMax + walFrameHeaderBytes,
      integer: true,
    });
  }

  /** The WAL's length in bytes once every append issued so far has landed (for WAL-size metrics). */
  get bytes(): number {
    const length = this.#lengthKnown ?? this.#disk.size(this.file);
    return length + (this.#compaction?.deferredBytes ?? 0);
  }

  /** Bytes of records this instance appended, over its lifetime (compaction rewrites excluded). */
  get bytesAppendedTotal(): number {
    return this.#bytesAppendedTotal;
  }

  /** Compactions this instance completed (renamed). */
  get compactions(): number {
    return this.#compactions;
  }

  /** Whether a compaction is between {@linkcode startCompaction} and {@linkcode finishCompaction}. */
  get compacting(): boolean {
    return this.#compaction !== undefined;
  }

  /**
   * Encodes `records` and issues ONE disk append for the whole batch (group commit). Returns the
   * batch's size in bytes (0, and nothing issued, for an empty batch). The write's completion
   * comes to `onDisk` with `tag`; the records are durable only after a later `sync`. While a
   * compaction runs the append is held back and issued, in order, when it finishes.
   *
   * @throws WalRecordTooLargeError when a record exceeds `recordBytesMax` or the batch exceeds
   *   `batchBytesMax`; nothing is written then
   */
  append(records: readonly WalRecord[], tag?: unknown): number {
    if (records.length === 0) return 0;
    const encoded = encodeToScratch(records, this.recordBytesMax);
    if (encoded.length > this.batchBytesMax) {
      throw new WalRecordTooLargeError(`a batch of ${records.length} records`, encoded.length, this.batchBytesMax);
    }
    // Pair check with replay, which splits the file by the same length fields.
    // Pair check with replay: the batch reads back as the records written.
    const problem = batchProblem(encoded, records);
    if (problem !== undefined) assert(false, `WAL ${this.file}: ${problem}`);
    this.#bytesAppendedTotal += encoded.length;
    // The next encoding overwrites the scratch buffer: an append held back needs a copy of its own.
    if (this.#compaction !== undefined) this.#defer({ op: "append", bytes: encoded.slice(), tag });
    else this.#issueAppend(encoded, tag);
    return encoded.length;
  }

  /**
   * Issues an fsync of the WAL; its completion comes to `onDisk` as
   * `{ op: "fsync", file: this.file, tag }`, and then every record appended before this call is
   * durable. While a compaction runs the fsync is held back and issued when it finishes.
   */
  sync(tag?: unknown): void {
    if (this.#compaction !== undefined) this.#defer({ op: "sync", tag });
    else this.#disk.fsync(this.file, tag);
  }

  /** Whether `completion` is for one of the WAL's files (its appends, syncs or a compaction). */
  owns(completion: DiskCompletion): boolean {
    return completion.file === this.file || completion.file === this.tmpFile;
  }

  /**
   * Starts rewriting the WAL without the entries below `keepFromIndex`: writes the hard state,
   * the snapshot marker and the kept entries to the temp file in one append, then fsyncs it with
   * `tag`. Appends still in flight are included. Until {@linkcode finishCompaction}, appends and
   * syncs are held back (and issued afterwards, in order), so nothing lands in a file about to be
   * replaced.
   *
   * Why two steps: the rename must wait for the temp file's fsync. A crash before the rename
   * leaves the old WAL intact (the temp file is ignored and replaced by the next compaction); a
   * crash after it finds the new WAL whole and durable. Renaming before the fsync completed
   * would let a crash leave a WAL whose contents were lost with the page cache.
   *
   * @throws WalCorruptionError when the live WAL no longer replays (a damaged medium)
   */
  startCompaction(options: WalCompactionOptions): WalCompactionPlan {
    assert(this.#compaction === undefined, `a compaction of ${this.file} is already running`);
    let snapshot = options.snapshot;
    let hardState = options.hardState;
    let keptRecords: WalEntry[];
    let bytesBefore = this.bytes;
    if (options.entries !== undefined) {
      assert(
        snapshot !== undefined && hardState !== undefined,
        "compaction from given entries needs hardState and snapshot",
      );
      checkNumber("keepFromIndex", options.keepFromIndex, { min: 1, max: snapshot.index + 1, integer: true });
      keptRecords = options.entries.filter((entry) => entry.index >= options.keepFromIndex);
      keptRecords.forEach((entry, i) =>
        assert(entry.index === options.keepFromIndex + i, `compaction entries are not contiguous at ${entry.index}`)
      );
    } else {
      const replay = replayWal(this.#contents(), { file: this.file, recordBytesMax: this.recordBytesMax });
      assert(replay.tornTailBytes === 0, `the live WAL ${this.file} has a torn tail: ${replay.tornTailReason}`);
      snapshot ??= replay.snapshot;
      hardState ??= replay.hardState;
      keptRecords = keptRecordsOf(replay, snapshot, options.keepFromIndex, this.file);
      bytesBefore = replay.validBytes;
    }
    const records: WalRecord[] = [];
    if (hardState !== undefined) records.push(hardState);
    if (snapshot !== undefined) records.push(snapshot);
    for (const entry of keptRecords) records.push(entry);
    const bytes = encodeRecords(records, { recordBytesMax: this.recordBytesMax });
    checkRewrite(bytes, keptRecords, snapshot, { file: this.tmpFile, recordBytesMax: this.recordBytesMax });
    // A temp file left by a crash mid-compaction is stale: start it afresh.
    if (this.#disk.exists(this.tmpFile)) this.#disk.delete(this.tmpFile);
    this.#disk.append(this.tmpFile, bytes);
    this.#disk.fsync(this.tmpFile, options.tag);
    this.#compaction = {
      tag: options.tag,
      bytesAfter: bytes.length,
      crcAfter: crc32(bytes),
      deferred: [],
      deferredBytes: 0,
    };
    return { bytesBefore, bytesAfter: bytes.length, entriesKept: keptRecords.length };
  }

  /**
   * Finishes the compaction once the temp file's fsync has completed (pass that completion):
   * checks the temp file holds exactly what was written, renames it over the WAL, then issues the
   * appends and syncs held back meanwhile. Returns true when the WAL was replaced; false when the
   * temp file's write failed (a full disk) or its contents differ, in which case the temp file is
   * deleted and the old WAL stays in use, whole.
   */
  finishCompaction(completion: DiskCompletion): boolean {
    const compaction = this.#compaction;
    assert(compaction !== undefined, "finishCompaction without a compaction in progress");
    assert(
      completion.op === "fsync" && completion.file === this.tmpFile && completion.tag === compaction.tag,
      `finishCompaction needs the fsync of ${this.tmpFile} tagged for it, got ${completion.op} of ${completion.file}`,
    );
    this.#compaction = undefined;
    const written = this.#disk.read(this.tmpFile);
    const replaced = completion.ok && written.length === compaction.bytesAfter &&
      crc32(written) === compaction.crcAfter;
    if (replaced) {
      // Operations complete in issue order, so every append issued before the temp file's fsync
      // has landed; only a failed append (which the node must treat as fatal) breaks this.
      assert(this.#disk.size(this.file) === this.#length(), `${this.file} is missing appends at compaction`);
      this.#disk.rename(this.tmpFile, this.file);
      this.#lengthKnown = compaction.bytesAfter;
      this.#unlandedBytes = 0;
      this.#unlandedEnds = [];
      this.#compactions++;
    } else if (this.#disk.exists(this.tmpFile)) {
      this.#disk.delete(this.tmpFile);
    }
    for (const operation of compaction.deferred) {
      if (operation.op === "append") this.#issueAppend(operation.bytes, operation.tag);
      else this.#disk.fsync(this.file, operation.tag);
    }
    return replaced;
  }

  /**
   * Issues one append. `bytes` may be the scratch buffer: the kernel copies a write's bytes when
   * it is issued (as write(2) does), and the WAL keeps its own copy until the append has landed.
   */
  #issueAppend(bytes: Uint8Array, tag: unknown): void {
    // Forget appends that have landed: the page cache holds them now.
    const landedBytes = this.#disk.size(this.file);
    const ends = this.#unlandedEnds;
    let landedCount = 0;
    while (landedCount < ends.length && ends[landedCount] <= landedBytes) landedCount++;
    if (landedCount > 0) {
      const droppedBytes = ends[landedCount - 1] - (this.#length() - this.#unlandedBytes);
      this.#unlanded.copyWithin(0, droppedBytes, this.#unlandedBytes);
      this.#unlandedBytes -= droppedBytes;
      ends.splice(0, landedCount);
    }
    this.#disk.append(this.file, bytes, tag);
    this.#lengthKnown = this.#length() + bytes.length;
    if (this.#unlandedBytes + bytes.length > this.#unlanded.length) {
      const grown = new Uint8Array(Math.max(this.#unlanded.length * 2, this.#unlandedBytes + bytes.length));
      grown.set(this.#unlanded.subarray(0, this.#unlandedBytes));
      this.#unlanded = grown;
    }
    this.#unlanded.set(bytes, this.#unlandedBytes);
    this.#unlandedBytes += bytes.length;
    ends.push(this.#lengthKnown);
  }

  #length(): number {
    if (this.#lengthKnown === undefined) this.#lengthKnown = this.#disk.size(this.file);
    return this.#lengthKnown;
  }

  #defer(operation: DeferredOperation): void {
    const compaction = this.#compaction!;
    assert(
      compaction.deferred.length < walDeferredOperationsMax,
      `more than ${walDeferredOperationsMax} WAL operations held back during one compaction`,
    );
    compaction.deferred.push(operation);
    if (operation.op === "append") compaction.deferredBytes += operation.bytes.length;
  }

  /** The WAL as it will be once every append issued has landed: the page cache plus appends in flight. */
  #contents(): Uint8Array {
    const landed = this.#disk.read(this.file);
    const length = this.#length();
    assert(landed.length <= length, `${this.file} is longer (${landed.length} bytes) than was appended (${length})`);
    if (landed.length === length) return landed;
    const contents = new Uint8Array(length);
    contents.set(landed);
    const unlandedStart = length - this.#unlandedBytes;
    let startOffset = unlandedStart;
    for (const endOffset of this.#unlandedEnds) {
      if (endOffset > landed.length) {
        // A write lands whole at its completion, so none can be half in the page cache.
        assert(startOffset >= landed.length, `an append to ${this.file} landed in part`);
        contents.set(this.#unlanded.subarray(startOffset - unlandedStart, endOffset - unlandedStart), startOffset);
      }
      startOffset = endOffset;
    }
    return contents;
  }
}

/** The entries a compaction keeps: the log after the snapshot marker, from `keepFromIndex`. */
function keptRecordsOf(
  replay: WalRecovery,
  snapshot: WalSnapshotMarker | undefined,
  keepFromIndex: number,
  file: string,
): WalEntry[] {
  const snapshotIndex = snapshot?.index ?? 0;
  checkNumber("keepFromIndex", keepFromIndex, { min: 1, max: snapshotIndex + 1, integer: true });
  const log = new LogReplay(file);
  log.snapshot = replay.snapshot;
  log.entries = replay.entries;
  if (snapshot !== undefined && snapshot !== replay.snapshot) {
    const previousIndex = replay.snapshot?.index ?? 0;
    assert(snapshot.index >= previousIndex, `compaction snapshot ${snapshot.index} is older than ${previousIndex}`);
    log.applySnapshot(snapshot, -1);
  }
  return log.entries.filter((entry) => entry.index >= keepFromIndex);
}

/**
 * Pair check: the rewritten WAL replays to the kept entries and the snapshot marker. The commands
 * are not parsed again: they are the bytes every append of them wrote, and parsing them took a
 * few percent of a whole Raft run; recovery parses them.
 */
function checkRewrite(
  bytes: Uint8Array,
  kept: WalEntry[],
  snapshot: WalSnapshotMarker | undefined,
  options: { file: string; recordBytesMax: number },
): void {
  const file = options.file;
  const rewritten = replayFrames(bytes, options, false);
  assert(rewritten.tornTailBytes === 0 && rewritten.entries.length === kept.length, `${file} does not replay`);
  assert(
    kept.length === 0 || rewritten.entries[0].index === kept[0].index,
    `${file} replays from entry ${rewritten.entries[0]?.index}, expected ${kept[0]?.index}`,
  );
  assert(rewritten.snapshot?.index === snapshot?.index, `${file} lost its snapshot marker`);
}
