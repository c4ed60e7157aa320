/**
 * One partition's log on the simulated disk: a list of segments, each a file of record frames
 * (`records.ts`) named by its base offset with a sparse offset index beside it. The active
 * segment rolls when it would pass `segmentBytesMax` or is older than `segmentAgeUsMax`. Appends
 * become durable per the fsync policy; the log tracks which offsets a crash would keep.
 *
 * Recovery reads every segment, keeps the longest prefix of whole, consecutive records, truncates
 * a torn tail and drops the segments after it, and checks each offset index against its segment,
 * rebuilding the ones that are missing, torn or wrong (Kafka's log recovery and index sanity check).
 *
 * Records are mirrored in memory for reads; the files are the truth a crash leaves behind.
 *
 * @example
 * ```ts
 * import { PartitionLog } from "./partition_log.ts";
 * // With a NodeDiskApi `disk` from the kernel:
 * // const { log } = PartitionLog.recover(disk, { partition: 0, fsyncPolicy: "always", ... }, 0);
 * // log.append({ leaderEpoch: 1, producerId: 7, producerEpoch: 0, sequence: 0, value: "a" }, nowUs);
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import { concatBytes } from "../../base/mod.ts";
import type { DiskCompletion, NodeDiskApi } from "../../sim/mod.ts";
import { EpochCache } from "./epoch_cache.ts";
import { ProducerState } from "./producer_state.ts";
import { decodeRecord, encodeRecord, encodeRecords } from "./records.ts";
import { TransactionIndex } from "./transactions.ts";
import { type FsyncPolicy, type LogRecord, partitionRecordsMax } from "./types.ts";

/** How a partition log is laid out and flushed. */
export interface PartitionLogOptions {
  partition: number;
  fsyncPolicy: FsyncPolicy;
  /** A segment rolls before it would pass this size. */
  segmentBytesMax: number;
  /** A segment rolls once it is older than this (virtual time of its first append). */
  segmentAgeUsMax: number;
  /** One index entry (offset and time) per this many bytes of records. */
  indexIntervalBytes: number;
  /**
   * Whether a segment's indexes are flushed when it rolls (Kafka flushes them with the segment);
   * default true. Without it only the page cache holds them and a power loss leaves them to be
   * rebuilt.
   */
  indexFsyncAtRoll?: boolean;
  /**
   * Retention (Kafka's `retention.ms` and `retention.bytes`, here in µs): a closed segment whose
   * largest record timestamp is older than `retentionUs`, or the oldest while the log is above
   * `retentionBytes` without it, is deleted. Infinity (the default) keeps everything.
   */
  retentionUs?: number;
  retentionBytes?: number;
  /** How long the cleaner keeps a tombstone after first keeping it (`delete.retention.ms`). */
  deleteRetentionUs?: number;
  /** The cleaner drops tombstones at once (the planted bug `tombstoneDroppedEarly`). */
  dropTombstonesAtOnce?: boolean;
}

/** A record to append: the log gives it its offset (unless a follower copies the leader's) and, unless given, its timestamp. */
export type AppendedRecord = Omit<LogRecord, "offset" | "timestampUs"> & { offset?: number; timestampUs?: number };

/** A segment retention deleted: its bytes and when it became eligible for deletion. */
export interface DeletedSegment {
  baseOffset: number;
  sizeBytes: number;
  eligibleUs: number;
}

/** A clean that finished: the segment rewritten and what it dropped. */
export interface CleanReport {
  baseOffset: number;
  bytesRead: number;
  bytesWritten: number;
  /** When the clean started (the log's clock) and how long its write and flush took. */
  startedUs: number;
  durationUs: number;
  recordsDropped: number;
  tombstonesDropped: number;
}

/** What recovery found. */
export interface RecoveryReport {
  partition: number;
  segments: number;
  records: number;
  /** Bytes cut from a torn or corrupt tail, and whole segments dropped after it. */
  bytesTruncated: number;
  segmentsDropped: number;
  /** Offset indexes rebuilt because they were missing, torn or disagreed with their segment. */
  indexesRebuilt: number;
  /** Time indexes rebuilt for the same reasons. */
  timeIndexesRebuilt: number;
  /**
   * What a recovery reads, as Kafka's log recovery does: every segment holding an offset at or
   * after the recovery point is read whole and checked record by record (`segmentsScanned`); a
   * segment below it only has its indexes checked (`indexBytesRead`), and is read whole only when
   * one of them must be rebuilt. `bytesScanned` counts the segment bytes read.
   */
  recoveryPoint: number;
  segmentsScanned: number;
  bytesScanned: number;
  indexBytesRead: number;
  /** The log end offset recovery left. */
  endOffset: number;
}

interface Segment {
  baseOffset: number;
  file: string;
  indexFile: string;
  timeIndexFile: string;
  sizeBytes: number;
  createdUs: number;
  /** The largest record timestamp (-Infinity while empty): retention by time counts from it. */
  largestTimestampUs: number;
  offsetOfLargestTimestamp: number;
  /** The timestamp of the time index's last entry (-Infinity: none). */
  lastTimeIndexTimestampUs: number;
  /** When the segment stopped being the active one (Infinity while it is). */
  closedUs: number;
  /** When retention by size first found it deletable. */
  sizeEligibleUs: number | undefined;
  /** Bytes appended since the last index entry. */
  bytesSinceIndexEntry: number;
  dirty: boolean;
}

const indexEntryBytes = 8;
/** A time index entry: the largest timestamp so far (f64) and the offset holding it, relative (u32). */
const timeIndexEntryBytes = 12;

/** The disk operation a completion answers. */
interface LogDiskTag {
  log: number;
  generation: number;
  endOffset: number;
  op: "append" | "fsync" | "clean";
}

/** A clean waiting for its new segment file to be durable. */
interface CleanJob {
  segment: Segment;
  /** The segment's size when the clean read it: a changed size means the clean is stale. */
  sizeBytes: number;
  kept: LogRecord[];
  report: CleanReport;
}

/** The suffixes of a clean's files: written as `.cleaned`, renamed to `.swap`, then over `.log`. */
const cleanedSuffix = ".cleaned";
const swapSuffix = ".swap";

/** A partition's segmented log, its epoch cache and its producers' sequence numbers. */
export class PartitionLog {
  readonly epochs = new EpochCache();
  producers = new ProducerState();
  /** Open and aborted transactions (transactions.ts), rebuilt from the records like the producers. */
  transactions = new TransactionIndex();
  readonly #disk: NodeDiskApi;
  readonly #options: PartitionLogOptions;
  /** The records in the log, ascending by offset; compaction leaves gaps between offsets. */
  #records: LogRecord[] = [];
  /** Byte position of each record in its segment, parallel to `#records`. */
  #positions: number[] = [];
  /** The log start offset (retention moves it up) and the log end offset. */
  #startOffset = 0;
  #endOffset = 0;
  #clean: CleanJob | undefined;
  #cleanReports: CleanReport[] = [];
  #segments: Segment[] = [];
  /** Every record below is written to the page cache / durable. */
  #writtenEndOffset = 0;
  #durableEndOffset = 0;
  /** The written end the last flush covers. */
  #flushRequestedEndOffset = 0;
  /** Bumped at each truncation, so a completion for writes before it is not taken for new ones. */
  #generation = 0;

  private constructor(disk: NodeDiskApi, options: PartitionLogOptions) {
    this.#disk = disk;
    this.#options = options;
  }

  /**
   * The log as the disk holds it, after cutting torn tails and rebuilding bad indexes.
   * `checkpoint.recoveryPoint` (Kafka's recovery-point checkpoint, default 0) is an offset below
   * which the log was flushed: the segments wholly below it are trusted and only their indexes are
   * checked. The report counts what Kafka's recovery would read. (The records are read anyway, into
   * the in-memory mirror, so a checkpoint that is wrong costs accuracy of the figures, not safety.)
   */
  static recover(
    disk: NodeDiskApi,
    options: PartitionLogOptions,
    nowUs: number,
    checkpoint: { recoveryPoint?: number } = {},
  ): { log: PartitionLog; report: RecoveryReport } {
    const log = new PartitionLog(disk, options);
    const recoveryPoint = checkpoint.recoveryPoint ?? 0;
    assert(recoveryPoint >= 0, `recovery point ${recoveryPoint} is negative`);
    const report: RecoveryReport = {
      partition: options.partition,
      segments: 0,
      records: 0,
      bytesTruncated: 0,
      segmentsDropped: 0,
      indexesRebuilt: 0,
      timeIndexesRebuilt: 0,
      recoveryPoint,
      segmentsScanned: 0,
      bytesScanned: 0,
      indexBytesRead: 0,
      endOffset: 0,
    };
    const prefix = `p${options.partition}-`;
    log.#finishInterruptedCleans(prefix);
    const bases = disk.list().filter((f) => f.startsWith(prefix) && f.endsWith(".log"))
      .map((f) => Number(f.slice(prefix.length, -4))).sort((a, b) => a - b);
    let broken = false;
    for (const [i, base] of bases.entries()) {
      const segment = log.#segmentFor(base, nowUs);
      // Segments follow one another: compaction may leave a gap before the next base, never an overlap.
      if (broken || (i > 0 && base < log.#endOffset)) {
        report.segmentsDropped++;
        report.bytesTruncated += disk.size(segment.file);
        log.#deleteSegmentFiles(segment);
        broken = true;
        continue;
      }
      if (i === 0) log.#startOffset = base;
      log.#endOffset = base;
      if (log.#segments.length > 0) log.#segments.at(-1)!.closedUs = nowUs;
      const flushed = i + 1 < bases.length && bases[i + 1] <= recoveryPoint;
      broken = log.#recoverSegment(segment, report, flushed);
    }
    if (log.#segments.length === 0) log.#roll(nowUs);
    log.#writtenEndOffset = log.#durableEndOffset = log.#flushRequestedEndOffset = log.endOffset();
    report.segments = log.#segments.length;
    report.records = log.#records.length;
    report.endOffset = log.#endOffset;
    return { log, report };
  }

  /**
   * A crash mid-clean leaves a `.cleaned` file (not yet complete: the old segment is the truth,
   * the file goes) or a `.swap` file (complete and durable: it replaces the old segment).
   */
  #finishInterruptedCleans(prefix: string): void {
    for (const file of this.#disk.list().filter((f) => f.startsWith(prefix))) {
      if (file.endsWith(cleanedSuffix)) this.#disk.delete(file);
      if (!file.endsWith(swapSuffix)) continue;
      const target = file.slice(0, -swapSuffix.length);
      for (const index of [target.replace(/\.log$/, ".index"), target.replace(/\.log$/, ".timeindex")]) {
        if (this.#disk.exists(index)) this.#disk.delete(index);
      }
      if (this.#disk.exists(target)) this.#disk.delete(target);
      this.#disk.rename(file, target);
    }
  }

  /** The offset the next record gets (the log end offset, LEO). */
  endOffset(): number {
    return this.#endOffset;
  }

  /** The first offset the log may hold (the log start offset); retention moves it up. */
  startOffset(): number {
    return this.#startOffset;
  }

  /** Bytes of every segment file. */
  sizeBytes(): number {
    return this.#segments.reduce((sum, s) => sum + s.sizeBytes, 0);
  }

  /** Records below this are durable: a crash now keeps them. */
  durableEndOffset(): number {
    return this.#durableEndOffset;
  }

  /** Records below this are in the page cache. */
  writtenEndOffset(): number {
    return this.#writtenEndOffset;
  }

  /** Segments, oldest first: base offset and size. */
  segments(): { baseOffset: number; sizeBytes: number }[] {
    return this.#segments.map((s) => ({ baseOffset: s.baseOffset, sizeBytes: s.sizeBytes }));
  }

  /** The record at `offset`, or undefined when compaction removed it. */
  at(offset: number): LogRecord | undefined {
    assert(
      offset >= this.#startOffset && offset < this.#endOffset,
      `offset ${offset} outside the log [${this.#startOffset}, ${this.#endOffset})`,
    );
    const record = this.#records[this.#indexOf(offset)];
    return record?.offset === offset ? record : undefined;
  }

  /**
   * Up to `countMax` records with offsets in [from, to), ascending, and past `countMax` to the end
   * of a batch begun (a batch is handed on whole, as Kafka's fetch does); `from` must be in the log.
   */
  read(from: number, to: number, countMax: number): LogRecord[] {
    assert(
      from >= this.#startOffset && from <= this.#endOffset,
      `read from ${from} outside the log [${this.#startOffset}, ${this.#endOffset}]`,
    );
    const first = this.#indexOf(from);
    const out: LogRecord[] = [];
    let batchEndOffset = -1;
    for (let i = first; i < this.#records.length && this.#records[i].offset < to; i++) {
      const record = this.#records[i];
      if (out.length >= countMax && record.offset > batchEndOffset) break;
      if (record.batchRecords !== undefined) batchEndOffset = record.offset + record.batchRecords - 1;
      out.push(record);
    }
    return out;
  }

  /** The index in `#records` of the first record at or after `offset`. */
  #indexOf(offset: number): number {
    let lo = 0, hi = this.#records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#records[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Appends a record at the log end (a leader's), or at its own offset past the end (a follower
   * copying a compacted leader, whose log has gaps), rolling the segment first if it is full or old.
   */
  append(record: AppendedRecord, nowUs: number): LogRecord {
    return this.appendBatch([record], nowUs)[0];
  }

  /**
   * Appends records in one write, as Kafka appends a record batch: the segment rolls first if the
   * batch would not fit (a batch never spans two segments), each record gets its index entries by
   * the usual rule, written in one append per index file. A batch of several records is marked on
   * its first record (`batchRecords`, in memory only) so that reads hand it to followers whole.
   */
  appendBatch(records: readonly AppendedRecord[], nowUs: number): LogRecord[] {
    assert(records.length > 0, "an empty batch");
    const full: LogRecord[] = [];
    let nextOffset = this.#endOffset;
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const offset = record.offset ?? nextOffset;
      // Checked before the messages are built: this loop runs for every record appended.
      if (offset < nextOffset) assert(false, `append at ${offset} below the log end ${nextOffset}`);
      if (offset >= partitionRecordsMax) {
        assert(false, `partition ${this.#options.partition} passed ${partitionRecordsMax} records`);
      }
      full.push(logRecordOf(record, offset, nowUs, i === 0 && records.length > 1 ? records.length : undefined));
      nextOffset = offset + 1;
    }
    const { bytes: batch, sizes } = framesOf(full);
    const batchBytes = batch.length;
    let active = this.#segments.at(-1)!;
    const tooBig = active.sizeBytes > 0 && active.sizeBytes + batchBytes > this.#options.segmentBytesMax;
    const tooOld = active.sizeBytes > 0 && nowUs - active.createdUs > this.#options.segmentAgeUsMax;
    if (tooBig || tooOld) active = this.#roll(nowUs);
    const offsetEntries: Uint8Array[] = [];
    const timeEntries: Uint8Array[] = [];
    for (let i = 0; i < full.length; i++) {
      const record = full[i];
      if (record.timestampUs > active.largestTimestampUs) {
        active.largestTimestampUs = record.timestampUs;
        active.offsetOfLargestTimestamp = record.offset;
      }
      if (active.bytesSinceIndexEntry >= this.#options.indexIntervalBytes || active.sizeBytes === 0) {
        offsetEntries.push(indexEntry(record.offset - active.baseOffset, active.sizeBytes));
        if (active.largestTimestampUs > active.lastTimeIndexTimestampUs) {
          timeEntries.push(
            timeIndexEntry(active.largestTimestampUs, active.offsetOfLargestTimestamp - active.baseOffset),
          );
          active.lastTimeIndexTimestampUs = active.largestTimestampUs;
        }
        active.bytesSinceIndexEntry = 0;
      }
      this.#positions.push(active.sizeBytes);
      active.sizeBytes += sizes[i];
      active.bytesSinceIndexEntry += sizes[i];
      this.#records.push(record);
      this.epochs.assign(record.leaderEpoch, record.offset);
      this.producers.update(record);
      this.transactions.onAppend(record);
    }
    if (offsetEntries.length > 0) this.#disk.append(active.indexFile, joined(offsetEntries));
    if (timeEntries.length > 0) this.#disk.append(active.timeIndexFile, joined(timeEntries));
    const last = full[full.length - 1];
    this.#disk.append(active.file, batch, this.#tag("append", last.offset + 1));
    active.dirty = true;
    this.#endOffset = last.offset + 1;
    this.#noteSizeEligibility(nowUs);
    return full;
  }

  /** Makes every completed write durable (the `interval` policy's timer and tests call it). */
  flush(): void {
    if (this.#writtenEndOffset <= this.#flushRequestedEndOffset) return;
    this.#flushRequestedEndOffset = this.#writtenEndOffset;
    const dirty = this.#segments.filter((s) => s.dirty);
    const active = this.#segments.at(-1)!;
    for (const segment of dirty) {
      segment.dirty = false;
      if (segment !== active) this.#disk.fsync(segment.file);
    }
    // The device serves in order, so the active segment's flush, issued last, completes last.
    this.#disk.fsync(active.file, this.#tag("fsync", this.#writtenEndOffset));
  }

  /**
   * A disk completion of this log's: advances what is written and durable. Returns whether the
   * durable end moved, or undefined when the completion is not this log's.
   */
  onDisk(completion: DiskCompletion, nowUs = 0): boolean | undefined {
    const tag = completion.tag as LogDiskTag | undefined;
    if (tag === undefined || tag.log !== this.#options.partition || typeof tag.generation !== "number") {
      return undefined;
    }
    if (tag.op === "clean") {
      const report = this.#finishClean(completion.ok, nowUs);
      if (report !== undefined) this.#cleanReports.push(report);
      return false;
    }
    if (tag.generation !== this.#generation || !completion.ok) return false;
    if (tag.op === "append") {
      this.#writtenEndOffset = Math.max(this.#writtenEndOffset, tag.endOffset);
      // `always`: every write is flushed as soon as it has landed, before anything depends on it.
      if (this.#options.fsyncPolicy === "always") this.flush();
      return false;
    }
    const before = this.#durableEndOffset;
    this.#durableEndOffset = Math.max(before, Math.min(tag.endOffset, this.endOffset()));
    return this.#durableEndOffset > before;
  }

  /**
   * Drops every record at `offset` and after: files are cut (truncate is immediate and durable),
   * later segments deleted, the epoch cache trimmed and the producers' state rebuilt from what
   * remains. Below the log start there is nothing left to cut, so the cut stops there.
   */
  truncateTo(offset: number): void {
    assert(offset >= 0 && offset <= this.endOffset(), `truncate to ${offset} outside the log [0, ${this.endOffset()}]`);
    offset = Math.max(offset, this.#startOffset);
    if (offset === this.endOffset()) return;
    this.#generation++;
    // A segment that starts exactly at `offset` stays, emptied, as the active one.
    while (this.#segments.length > 1 && this.#segments.at(-1)!.baseOffset > offset) {
      this.#deleteSegmentFiles(this.#segments.pop()!);
    }
    const active = this.#segments.at(-1)!;
    active.closedUs = Infinity;
    // Every record at or after `offset` is in the active segment, whose base is at most `offset`.
    const first = this.#indexOf(offset);
    const position = first < this.#records.length ? this.#positions[first] : active.sizeBytes;
    active.sizeBytes = position;
    this.#disk.truncate(active.file, position);
    this.#trimIndex(active, offset);
    this.#records.length = first;
    this.#positions.length = first;
    this.#rebuildTimeIndex(active);
    this.#endOffset = offset;
    this.#writtenEndOffset = Math.min(this.#writtenEndOffset, offset);
    this.#durableEndOffset = Math.min(this.#durableEndOffset, offset);
    this.#flushRequestedEndOffset = Math.min(this.#flushRequestedEndOffset, offset);
    this.epochs.truncateFrom(offset);
    this.producers = new ProducerState();
    for (const record of this.#records) this.producers.update(record);
    this.transactions = TransactionIndex.of(this.#records);
  }

  /** The byte position of `offset` in its segment, found through the segment's offset index. */
  lookup(offset: number): { file: string; position: number } {
    assert(this.at(offset) !== undefined, `lookup of ${offset}: no such record in the log`);
    let segment = this.#segments[0];
    for (const s of this.#segments) if (s.baseOffset <= offset) segment = s;
    const entries = readIndex(this.#disk, segment.indexFile);
    let position = 0;
    for (const entry of entries) if (segment.baseOffset + entry.relativeOffset <= offset) position = entry.position;
    const bytes = this.#disk.read(segment.file);
    for (let at = position; at < bytes.length;) {
      const decoded = decodeRecord(bytes, at);
      assert(decoded !== undefined, `segment ${segment.file}: no whole record at byte ${at}`);
      if (decoded.record.offset === offset) return { file: segment.file, position: at };
      at = decoded.next;
    }
    throw new Error(`offset ${offset} not found in ${segment.file}`);
  }

  /**
   * Deletes the oldest closed segments that retention no longer keeps, as long as every record in
   * them is below `deletableEndOffset` (the high watermark: an uncommitted record is never
   * deleted). The log start moves to the first segment kept. Returns the segments deleted.
   */
  applyRetention(nowUs: number, deletableEndOffset: number, timestampNowUs = nowUs): DeletedSegment[] {
    const deleted: DeletedSegment[] = [];
    while (this.#segments.length > 1) {
      const oldest = this.#segments[0], next = this.#segments[1];
      if (next.baseOffset > deletableEndOffset || this.#clean?.segment === oldest) break;
      const eligibleUs = this.#retentionEligibleUs(oldest, nowUs, timestampNowUs);
      if (eligibleUs === undefined) break;
      this.#deleteSegmentFiles(oldest);
      const removed = this.#indexOf(next.baseOffset);
      this.#records.splice(0, removed);
      this.#positions.splice(0, removed);
      this.#segments.shift();
      this.#startOffset = next.baseOffset;
      deleted.push({ baseOffset: oldest.baseOffset, sizeBytes: oldest.sizeBytes, eligibleUs });
    }
    assert(this.#records.every((r, i) => i === 0 || r.offset > this.#records[i - 1].offset), "records out of order");
    return deleted;
  }

  /**
   * When retention first allowed deleting this closed segment (on the log's clock), or undefined
   * if it keeps it. By time, as Kafka does, the segment's largest timestamp counts, read on the
   * clock that stamped it (`timestampNowUs`) and carried over to the log's clock.
   */
  #retentionEligibleUs(segment: Segment, nowUs: number, timestampNowUs: number): number | undefined {
    const retentionUs = this.#options.retentionUs ?? Infinity;
    const candidates: number[] = [];
    const expiresAtUs = segment.largestTimestampUs + retentionUs;
    if (expiresAtUs <= timestampNowUs) {
      candidates.push(Math.max(segment.closedUs, nowUs - (timestampNowUs - expiresAtUs)));
    }
    if (this.sizeBytes() - segment.sizeBytes >= (this.#options.retentionBytes ?? Infinity)) {
      candidates.push(segment.sizeEligibleUs ?? nowUs);
    }
    return candidates.length === 0 ? undefined : Math.min(...candidates);
  }

  /** Marks the closed segments retention by size would delete now (the log only grows at appends). */
  #noteSizeEligibility(nowUs: number): void {
    const retentionBytes = this.#options.retentionBytes ?? Infinity;
    if (retentionBytes === Infinity) return;
    let size = this.sizeBytes();
    for (const segment of this.#segments.slice(0, -1)) {
      if (size - segment.sizeBytes < retentionBytes) return;
      segment.sizeEligibleUs ??= nowUs;
      size -= segment.sizeBytes;
    }
  }

  /** The cleans finished since the last call. */
  takeCleanReports(): CleanReport[] {
    const reports = this.#cleanReports;
    this.#cleanReports = [];
    return reports;
  }

  /** Whether a clean is writing its new segment. */
  cleaning(): boolean {
    return this.#clean !== undefined;
  }

  /**
   * Starts cleaning the oldest closed segment, below `cleanableEndOffset`, that has something to
   * drop or a tombstone to stamp: it keeps the last record of each key (as of every record below
   * `cleanableEndOffset`), stamps a tombstone's delete horizon the first time it keeps it, and
   * drops a tombstone past its horizon. The kept records go to a `.cleaned` file, flushed; its
   * completion (`onDisk`) swaps it in. Returns the bytes read, or 0 when nothing needs cleaning.
   */
  startClean(nowUs: number, cleanableEndOffset: number): number {
    if (this.#clean !== undefined) return 0;
    const lastOffsetOfKey = new Map<string, number>();
    for (const record of this.#records) {
      if (record.offset >= cleanableEndOffset) break;
      if (record.key !== undefined) lastOffsetOfKey.set(record.key, record.offset);
    }
    for (const [i, segment] of this.#segments.slice(0, -1).entries()) {
      if (this.#segments[i + 1].baseOffset > cleanableEndOffset) break;
      const job = this.#cleanJob(segment, lastOffsetOfKey, nowUs);
      if (job === undefined) continue;
      const file = segment.file + cleanedSuffix;
      if (this.#disk.exists(file)) this.#disk.delete(file);
      this.#disk.append(file, concatBytes(job.kept.map(encodeRecord)));
      this.#disk.fsync(file, this.#tag("clean", segment.baseOffset));
      this.#clean = job;
      return job.report.bytesRead;
    }
    return 0;
  }

  /** What cleaning `segment` keeps, read from its file, or undefined if it would change nothing. */
  #cleanJob(segment: Segment, lastOffsetOfKey: Map<string, number>, nowUs: number): CleanJob | undefined {
    const bytes = this.#disk.read(segment.file);
    const kept: LogRecord[] = [];
    const report: CleanReport = {
      baseOffset: segment.baseOffset,
      bytesRead: bytes.length,
      bytesWritten: 0,
      startedUs: nowUs,
      durationUs: 0,
      recordsDropped: 0,
      tombstonesDropped: 0,
    };
    let stamped = 0;
    for (let at = 0; at < bytes.length;) {
      const decoded = decodeRecord(bytes, at);
      assert(decoded !== undefined, `segment ${segment.file}: no whole record at byte ${at}`);
      at = decoded.next;
      const record = decoded.record;
      if (record.key === undefined) {
        kept.push(record);
        continue;
      }
      if (lastOffsetOfKey.get(record.key)! > record.offset) {
        report.recordsDropped++;
        continue;
      }
      if (!record.tombstone) {
        kept.push(record);
        continue;
      }
      if (this.#tombstoneExpired(record, nowUs)) {
        report.recordsDropped++;
        report.tombstonesDropped++;
        continue;
      }
      if (record.deleteHorizonUs === undefined) stamped++;
      kept.push({
        ...record,
        deleteHorizonUs: record.deleteHorizonUs ?? nowUs + (this.#options.deleteRetentionUs ?? 0),
      });
    }
    if (report.recordsDropped === 0 && stamped === 0) return undefined;
    report.bytesWritten = kept.reduce((sum, r) => sum + encodeRecord(r).length, 0);
    return { segment, sizeBytes: segment.sizeBytes, kept, report };
  }

  /**
   * Whether the cleaner may drop this tombstone (the last record of its key): the one place the
   * planted bug `tombstoneDroppedEarly` is consulted. The correct cleaner keeps it until its delete
   * horizon, so a reader that saw the key's old value has `deleteRetentionUs` to see it deleted.
   */
  #tombstoneExpired(record: LogRecord, nowUs: number): boolean {
    if (this.#options.dropTombstonesAtOnce) return true;
    return record.deleteHorizonUs !== undefined && nowUs >= record.deleteHorizonUs;
  }

  /**
   * The clean's new file is durable: swap it in. Rename to `.swap` (recovery now completes the
   * swap), delete the old segment, rename over it, then switch the records readers see, all in one
   * event, so a reader sees either the old segment or the new one. A clean whose segment changed
   * meanwhile (retention, truncation) is dropped. Returns the report, or undefined.
   */
  #finishClean(ok: boolean, nowUs: number): CleanReport | undefined {
    const job = this.#clean!;
    job.report.durationUs = nowUs - job.report.startedUs;
    this.#clean = undefined;
    const segment = job.segment;
    const cleaned = segment.file + cleanedSuffix;
    const current = this.#segments.includes(segment) && segment.sizeBytes === job.sizeBytes &&
      segment !== this.#segments.at(-1);
    if (!ok || !current) {
      if (this.#disk.exists(cleaned)) this.#disk.delete(cleaned);
      return undefined;
    }
    const swap = segment.file + swapSuffix;
    this.#disk.rename(cleaned, swap);
    this.#deleteSegmentFiles(segment);
    this.#disk.rename(swap, segment.file);
    const next = this.#segments[this.#segments.indexOf(segment) + 1].baseOffset;
    const from = this.#indexOf(segment.baseOffset), to = this.#indexOf(next);
    const positions: number[] = [];
    let size = 0;
    for (const record of job.kept) {
      positions.push(size);
      size += encodeRecord(record).length;
    }
    this.#records.splice(from, to - from, ...job.kept);
    this.#positions.splice(from, to - from, ...positions);
    segment.sizeBytes = size;
    assert(size === this.#disk.size(segment.file), `cleaned ${segment.file}: ${size} bytes expected on disk`);
    this.#rebuildIndex(segment);
    this.#rebuildTimeIndex(segment);
    return job.report;
  }

  #tag(op: LogDiskTag["op"], endOffset: number): LogDiskTag {
    return { log: this.#options.partition, generation: this.#generation, endOffset, op };
  }

  #segmentFor(baseOffset: number, nowUs: number): Segment {
    const name = `p${this.#options.partition}-${String(baseOffset).padStart(12, "0")}`;
    return {
      baseOffset,
      file: `${name}.log`,
      indexFile: `${name}.index`,
      timeIndexFile: `${name}.timeindex`,
      sizeBytes: 0,
      createdUs: nowUs,
      largestTimestampUs: -Infinity,
      offsetOfLargestTimestamp: baseOffset,
      lastTimeIndexTimestampUs: -Infinity,
      closedUs: Infinity,
      sizeEligibleUs: undefined,
      bytesSinceIndexEntry: 0,
      dirty: false,
    };
  }

  #roll(nowUs: number): Segment {
    const segment = this.#segmentFor(this.endOffset(), nowUs);
    assert(!this.#disk.exists(segment.file), `segment ${segment.file} exists already`);
    this.#disk.append(segment.file, new Uint8Array(0));
    const previous = this.#segments.at(-1);
    if (previous !== undefined) this.#close(previous, nowUs);
    this.#segments.push(segment);
    return segment;
  }

  /**
   * A segment stops being the active one: its time index gets a last entry for its largest
   * timestamp (Kafka's onBecomeInactiveSegment), and its indexes are flushed (unless configured off).
   */
  #close(segment: Segment, nowUs: number): void {
    segment.closedUs = nowUs;
    this.#maybeAppendTimeIndexEntry(segment);
    if (this.#options.indexFsyncAtRoll === false || segment.sizeBytes === 0) return;
    this.#disk.fsync(segment.indexFile);
    this.#disk.fsync(segment.timeIndexFile);
  }

  /** Appends (largest timestamp so far, its offset) to the time index when the largest grew. */
  #maybeAppendTimeIndexEntry(segment: Segment): void {
    if (segment.largestTimestampUs <= segment.lastTimeIndexTimestampUs) return;
    this.#disk.append(
      segment.timeIndexFile,
      timeIndexEntry(segment.largestTimestampUs, segment.offsetOfLargestTimestamp - segment.baseOffset),
    );
    segment.lastTimeIndexTimestampUs = segment.largestTimestampUs;
  }

  #deleteSegmentFiles(segment: Segment): void {
    for (const file of [segment.file, segment.indexFile, segment.timeIndexFile]) {
      if (this.#disk.exists(file)) this.#disk.delete(file);
    }
  }

  /**
   * Reads one segment into memory; returns whether it ended in a torn or corrupt record. A
   * `flushed` segment (wholly below the recovery point) counts as read only if an index of its
   * must be rebuilt; the others count as read whole, as Kafka's recovery reads them.
   */
  #recoverSegment(segment: Segment, report: RecoveryReport, flushed: boolean): boolean {
    const bytes = this.#disk.read(segment.file);
    let at = 0;
    while (at < bytes.length) {
      const decoded = decodeRecord(bytes, at);
      if (decoded === undefined || decoded.record.offset < Math.max(this.#endOffset, segment.baseOffset)) break;
      this.#records.push(decoded.record);
      this.#positions.push(at);
      this.#endOffset = decoded.record.offset + 1;
      this.epochs.assign(decoded.record.leaderEpoch, decoded.record.offset);
      this.producers.update(decoded.record);
      this.transactions.onAppend(decoded.record);
      at = decoded.next;
    }
    const torn = at < bytes.length;
    if (torn) {
      report.bytesTruncated += bytes.length - at;
      this.#disk.truncate(segment.file, at);
    }
    segment.sizeBytes = at;
    this.#segments.push(segment);
    this.#noteLargestTimestamp(segment);
    if (flushed) {
      for (const file of [segment.indexFile, segment.timeIndexFile]) {
        if (this.#disk.exists(file)) report.indexBytesRead += this.#disk.size(file);
      }
    }
    let rebuilt = false;
    if (!this.#indexValid(segment)) {
      report.indexesRebuilt++;
      this.#rebuildIndex(segment);
      rebuilt = true;
    }
    if (!this.#timeIndexValid(segment)) {
      report.timeIndexesRebuilt++;
      this.#rebuildTimeIndex(segment);
      rebuilt = true;
    }
    if (!flushed) report.segmentsScanned++;
    if (!flushed || rebuilt) report.bytesScanned += bytes.length;
    return torn;
  }

  /** Sets the segment's largest timestamp and its offset from the records it holds. */
  #noteLargestTimestamp(segment: Segment): void {
    segment.largestTimestampUs = -Infinity;
    segment.offsetOfLargestTimestamp = segment.baseOffset;
    for (const i of this.#recordIndexesOf(segment)) {
      const record = this.#records[i];
      if (record.timestampUs > segment.largestTimestampUs) {
        segment.largestTimestampUs = record.timestampUs;
        segment.offsetOfLargestTimestamp = record.offset;
      }
    }
  }

  /** The indexes in `#records` of the segment's records. */
  #recordIndexesOf(segment: Segment): number[] {
    const next = this.#segments[this.#segments.indexOf(segment) + 1]?.baseOffset ?? Infinity;
    const out: number[] = [];
    for (let i = this.#indexOf(segment.baseOffset); i < this.#records.length && this.#records[i].offset < next; i++) {
      out.push(i);
    }
    return out;
  }

  /**
   * Whether the segment's time index is whole and true: entries ascending in timestamp and offset,
   * each naming a record of the segment whose timestamp is the largest up to it. A non-empty
   * segment has at least its first record's entry.
   */
  #timeIndexValid(segment: Segment): boolean {
    const exists = this.#disk.exists(segment.timeIndexFile);
    if (!exists || this.#disk.size(segment.timeIndexFile) === 0) return segment.sizeBytes === 0;
    if (this.#disk.size(segment.timeIndexFile) % timeIndexEntryBytes !== 0) return false;
    const entries = readTimeIndex(this.#disk, segment.timeIndexFile);
    const indexes = this.#recordIndexesOf(segment);
    let largest = -Infinity, e = 0;
    for (const i of indexes) {
      const record = this.#records[i];
      largest = Math.max(largest, record.timestampUs);
      if (e < entries.length && segment.baseOffset + entries[e].relativeOffset === record.offset) {
        if (entries[e].timestampUs !== record.timestampUs || record.timestampUs !== largest) return false;
        if (e > 0 && entries[e].timestampUs <= entries[e - 1].timestampUs) return false;
        e++;
      }
    }
    if (e < entries.length) return false;
    segment.lastTimeIndexTimestampUs = entries.at(-1)!.timestampUs;
    return true;
  }

  /**
   * Writes the segment's time index afresh from its records, by the rule appends follow: an entry
   * wherever the offset index has one and the largest timestamp grew, and for a closed segment a
   * last entry for its largest timestamp.
   */
  #rebuildTimeIndex(segment: Segment): void {
    if (this.#disk.exists(segment.timeIndexFile)) this.#disk.delete(segment.timeIndexFile);
    segment.lastTimeIndexTimestampUs = -Infinity;
    segment.largestTimestampUs = -Infinity;
    segment.offsetOfLargestTimestamp = segment.baseOffset;
    let lastEntry = -Infinity;
    for (const i of this.#recordIndexesOf(segment)) {
      const record = this.#records[i], position = this.#positions[i];
      if (record.timestampUs > segment.largestTimestampUs) {
        segment.largestTimestampUs = record.timestampUs;
        segment.offsetOfLargestTimestamp = record.offset;
      }
      if (position - lastEntry >= this.#options.indexIntervalBytes || lastEntry === -Infinity) {
        this.#maybeAppendTimeIndexEntry(segment);
        lastEntry = position;
      }
    }
    if (segment !== this.#segments.at(-1)) this.#maybeAppendTimeIndexEntry(segment);
  }

  /**
   * The first record, in offset order, whose timestamp is at least `timestampUs` (Kafka's
   * ListOffsets by timestamp, `offsetsForTimes`), below `endOffset`; undefined when none. It skips
   * the segments whose largest timestamp is smaller, then starts reading after the last time index
   * entry below the target (no record up to that entry's offset is as late).
   */
  offsetForTime(timestampUs: number, endOffset = this.#endOffset): { offset: number; timestampUs: number } | undefined {
    for (const segment of this.#segments) {
      if (segment.baseOffset >= endOffset) return undefined;
      if (segment.largestTimestampUs < timestampUs) continue;
      let from = segment.baseOffset;
      for (const entry of readTimeIndex(this.#disk, segment.timeIndexFile)) {
        if (entry.timestampUs < timestampUs) from = segment.baseOffset + entry.relativeOffset + 1;
      }
      const found = this.#scanForTime(segment, from, timestampUs);
      if (found !== undefined) return found.offset < endOffset ? found : undefined;
    }
    return undefined;
  }

  /**
   * The first record at or after `from` in the segment with a timestamp at least `timestampUs`,
   * read from the in-memory records as every read is (a file may still lack a write in flight).
   */
  #scanForTime(
    segment: Segment,
    from: number,
    timestampUs: number,
  ): { offset: number; timestampUs: number } | undefined {
    const next = this.#segments[this.#segments.indexOf(segment) + 1]?.baseOffset ?? Infinity;
    for (let i = this.#indexOf(from); i < this.#records.length && this.#records[i].offset < next; i++) {
      const record = this.#records[i];
      if (record.timestampUs >= timestampUs) return { offset: record.offset, timestampUs: record.timestampUs };
    }
    return undefined;
  }

  /** The largest record timestamp of each segment, oldest first (-Infinity for an empty one). */
  largestTimestamps(): number[] {
    return this.#segments.map((s) => s.largestTimestampUs);
  }

  /**
   * Whether the segment's index is whole, ascending and points at the records it names. A
   * non-empty segment's index has at least the entry of its first record (the first append writes
   * it): an empty one is a lost one.
   */
  #indexValid(segment: Segment): boolean {
    const exists = this.#disk.exists(segment.indexFile);
    if (!exists || this.#disk.size(segment.indexFile) === 0) return segment.sizeBytes === 0;
    if (this.#disk.size(segment.indexFile) % indexEntryBytes !== 0) return false;
    let previous = -1;
    for (const entry of readIndex(this.#disk, segment.indexFile)) {
      const offset = segment.baseOffset + entry.relativeOffset;
      if (entry.position <= previous || offset >= this.#endOffset) return false;
      const i = this.#indexOf(offset);
      if (this.#records[i]?.offset !== offset || this.#positions[i] !== entry.position) return false;
      previous = entry.position;
    }
    return true;
  }

  #rebuildIndex(segment: Segment): void {
    if (this.#disk.exists(segment.indexFile)) this.#disk.delete(segment.indexFile);
    segment.bytesSinceIndexEntry = 0;
    let lastEntry = -Infinity;
    const next = this.#segments[this.#segments.indexOf(segment) + 1]?.baseOffset ?? Infinity;
    for (let i = this.#indexOf(segment.baseOffset); i < this.#records.length && this.#records[i].offset < next; i++) {
      const position = this.#positions[i];
      if (position - lastEntry >= this.#options.indexIntervalBytes || lastEntry === -Infinity) {
        this.#disk.append(segment.indexFile, indexEntry(this.#records[i].offset - segment.baseOffset, position));
        lastEntry = position;
      }
    }
    segment.bytesSinceIndexEntry = lastEntry === -Infinity ? 0 : segment.sizeBytes - lastEntry;
  }

  #trimIndex(segment: Segment, offset: number): void {
    if (!this.#disk.exists(segment.indexFile)) return;
    const kept = readIndex(this.#disk, segment.indexFile)
      .filter((entry) => segment.baseOffset + entry.relativeOffset < offset);
    this.#disk.truncate(segment.indexFile, kept.length * indexEntryBytes);
    const last = kept.at(-1);
    segment.bytesSinceIndexEntry = last === undefined ? segment.sizeBytes : segment.sizeBytes - last.position;
  }
}

function indexEntry(relativeOffset: number, position: number): Uint8Array {
  const bytes = new Uint8Array(indexEntryBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, relativeOffset);
  view.setUint32(4, position);
  return bytes;
}

/**
 * The record as the log keeps it. A record that already is one (a follower copying its leader's,
 * in the same batch) is kept as it is, not copied: records are never changed once appended, so
 * the replicas share them.
 */
function logRecordOf(
  record: AppendedRecord,
  offset: number,
  nowUs: number,
  batchRecords: number | undefined,
): LogRecord {
  if (record.offset === offset && record.timestampUs !== undefined && record.batchRecords === batchRecords) {
    return record as LogRecord;
  }
  // Field by field rather than by a spread: this runs for every record a leader appends.
  const full: LogRecord = {
    offset,
    timestampUs: record.timestampUs ?? nowUs,
    leaderEpoch: record.leaderEpoch,
    producerId: record.producerId,
    producerEpoch: record.producerEpoch,
    sequence: record.sequence,
    value: record.value,
  };
  if (record.key !== undefined) full.key = record.key;
  if (record.tombstone) full.tombstone = true;
  if (record.deleteHorizonUs !== undefined) full.deleteHorizonUs = record.deleteHorizonUs;
  if (record.transactional) full.transactional = true;
  if (record.control !== undefined) full.control = record.control;
  if (batchRecords !== undefined) full.batchRecords = batchRecords;
  return full;
}

/**
 * The frames of recent batches of several records, by their first record: a follower appending
 * the very records its leader appended (replicas share them) writes the leader's bytes, as a Kafka
 * follower writes the batch it fetched, instead of encoding them again. A cache only: the bytes
 * are what encoding would give, so a miss changes nothing but the time taken.
 */
const recentBatchFrames = new Map<LogRecord, { records: readonly LogRecord[]; bytes: Uint8Array; sizes: number[] }>();
const recentBatchFramesMax = 1024;

function framesOf(records: readonly LogRecord[]): { bytes: Uint8Array; sizes: number[] } {
  if (records.length === 1) return encodeRecords(records);
  // The very same records, one by one: a batch cut by a truncation and followed by another may
  // start with the same first record and have the same length.
  const cached = recentBatchFrames.get(records[0]);
  if (cached !== undefined && sameRecords(cached.records, records)) return cached;
  const frames = { records, ...encodeRecords(records) };
  if (recentBatchFrames.size >= recentBatchFramesMax) {
    recentBatchFrames.delete(recentBatchFrames.keys().next().value!);
  }
  recentBatchFrames.set(records[0], frames);
  return frames;
}

function sameRecords(a: readonly LogRecord[], b: readonly LogRecord[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One array of several, without a copy when there is only one. */
function joined(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0] : concatBytes(parts);
}

function timeIndexEntry(timestampUs: number, relativeOffset: number): Uint8Array {
  const bytes = new Uint8Array(timeIndexEntryBytes);
  const view = new DataView(bytes.buffer);
  view.setFloat64(0, timestampUs);
  view.setUint32(8, relativeOffset);
  return bytes;
}

function readTimeIndex(disk: NodeDiskApi, file: string): { timestampUs: number; relativeOffset: number }[] {
  if (!disk.exists(file)) return [];
  const bytes = disk.read(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = [];
  for (let at = 0; at + timeIndexEntryBytes <= bytes.length; at += timeIndexEntryBytes) {
    entries.push({ timestampUs: view.getFloat64(at), relativeOffset: view.getUint32(at + 8) });
  }
  return entries;
}

function readIndex(disk: NodeDiskApi, file: string): { relativeOffset: number; position: number }[] {
  if (!disk.exists(file)) return [];
  const bytes = disk.read(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = [];
  for (let at = 0; at + indexEntryBytes <= bytes.length; at += indexEntryBytes) {
    entries.push({ relativeOffset: view.getUint32(at), position: view.getUint32(at + 4) });
  }
  return entries;
}
