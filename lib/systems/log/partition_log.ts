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
import type { DiskCompletion, NodeDiskApi } from "../../sim/mod.ts";
import { EpochCache } from "./epoch_cache.ts";
import { ProducerState } from "./producer_state.ts";
import { decodeRecord, encodeRecord } from "./records.ts";
import { type FsyncPolicy, type LogRecord, partitionRecordsMax } from "./types.ts";

/** How a partition log is laid out and flushed. */
export interface PartitionLogOptions {
  partition: number;
  fsyncPolicy: FsyncPolicy;
  /** A segment rolls before it would pass this size. */
  segmentBytesMax: number;
  /** A segment rolls once it is older than this (virtual time of its first append). */
  segmentAgeUsMax: number;
  /** One index entry per this many bytes of records. */
  indexIntervalBytes: number;
}

/** What recovery found. */
export interface RecoveryReport {
  segments: number;
  records: number;
  /** Bytes cut from a torn or corrupt tail, and whole segments dropped after it. */
  bytesTruncated: number;
  segmentsDropped: number;
  /** Offset indexes rebuilt because they were missing, torn or disagreed with their segment. */
  indexesRebuilt: number;
}

interface Segment {
  baseOffset: number;
  file: string;
  indexFile: string;
  sizeBytes: number;
  createdUs: number;
  /** Bytes appended since the last index entry. */
  bytesSinceIndexEntry: number;
  dirty: boolean;
}

const indexEntryBytes = 8;

/** The disk operation a completion answers. */
interface LogDiskTag {
  log: number;
  generation: number;
  endOffset: number;
  op: "append" | "fsync";
}

/** A partition's segmented log, its epoch cache and its producers' sequence numbers. */
export class PartitionLog {
  readonly epochs = new EpochCache();
  producers = new ProducerState();
  readonly #disk: NodeDiskApi;
  readonly #options: PartitionLogOptions;
  #records: LogRecord[] = [];
  /** Byte position of each record in its segment, parallel to `#records`. */
  #positions: number[] = [];
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

  /** The log as the disk holds it, after cutting torn tails and rebuilding bad indexes. */
  static recover(
    disk: NodeDiskApi,
    options: PartitionLogOptions,
    nowUs: number,
  ): { log: PartitionLog; report: RecoveryReport } {
    const log = new PartitionLog(disk, options);
    const report: RecoveryReport = {
      segments: 0,
      records: 0,
      bytesTruncated: 0,
      segmentsDropped: 0,
      indexesRebuilt: 0,
    };
    const prefix = `p${options.partition}-`;
    const bases = disk.list().filter((f) => f.startsWith(prefix) && f.endsWith(".log"))
      .map((f) => Number(f.slice(prefix.length, -4))).sort((a, b) => a - b);
    let broken = false;
    for (const base of bases) {
      const segment = log.#segmentFor(base, nowUs);
      if (broken || base !== log.endOffset()) {
        report.segmentsDropped++;
        report.bytesTruncated += disk.size(segment.file);
        disk.delete(segment.file);
        if (disk.exists(segment.indexFile)) disk.delete(segment.indexFile);
        broken = true;
        continue;
      }
      broken = log.#recoverSegment(segment, report);
    }
    if (log.#segments.length === 0) log.#roll(nowUs);
    log.#writtenEndOffset = log.#durableEndOffset = log.#flushRequestedEndOffset = log.endOffset();
    report.segments = log.#segments.length;
    report.records = log.#records.length;
    return { log, report };
  }

  /** The offset the next record gets (the log end offset, LEO). */
  endOffset(): number {
    return this.#records.length;
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

  /** The record at `offset` (which must be in the log). */
  at(offset: number): LogRecord {
    assert(offset >= 0 && offset < this.#records.length, `offset ${offset} outside the log [0, ${this.endOffset()})`);
    return this.#records[offset];
  }

  /** Records in [from, min(to, from + countMax)). */
  read(from: number, to: number, countMax: number): LogRecord[] {
    assert(from >= 0 && from <= this.endOffset(), `read from ${from} outside the log [0, ${this.endOffset()}]`);
    return this.#records.slice(from, Math.min(to, from + countMax, this.endOffset()));
  }

  /** Appends a record at the log end, rolling the segment first if it is full or old. */
  append(record: Omit<LogRecord, "offset">, nowUs: number): LogRecord {
    const full: LogRecord = { ...record, offset: this.endOffset() };
    assert(
      full.offset < partitionRecordsMax,
      `partition ${this.#options.partition} passed ${partitionRecordsMax} records`,
    );
    const bytes = encodeRecord(full);
    let active = this.#segments.at(-1)!;
    const tooBig = active.sizeBytes > 0 && active.sizeBytes + bytes.length > this.#options.segmentBytesMax;
    const tooOld = active.sizeBytes > 0 && nowUs - active.createdUs > this.#options.segmentAgeUsMax;
    if (tooBig || tooOld) active = this.#roll(nowUs);
    if (active.bytesSinceIndexEntry >= this.#options.indexIntervalBytes || active.sizeBytes === 0) {
      this.#disk.append(active.indexFile, indexEntry(full.offset - active.baseOffset, active.sizeBytes));
      active.bytesSinceIndexEntry = 0;
    }
    this.#disk.append(active.file, bytes, this.#tag("append", full.offset + 1));
    this.#positions.push(active.sizeBytes);
    active.sizeBytes += bytes.length;
    active.bytesSinceIndexEntry += bytes.length;
    active.dirty = true;
    this.#records.push(full);
    this.epochs.assign(full.leaderEpoch, full.offset);
    this.producers.update(full);
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
  onDisk(completion: DiskCompletion): boolean | undefined {
    const tag = completion.tag as LogDiskTag | undefined;
    if (tag === undefined || tag.log !== this.#options.partition || typeof tag.generation !== "number") {
      return undefined;
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
   * remains.
   */
  truncateTo(offset: number): void {
    assert(offset >= 0 && offset <= this.endOffset(), `truncate to ${offset} outside the log [0, ${this.endOffset()}]`);
    if (offset === this.endOffset()) return;
    this.#generation++;
    // A segment that starts exactly at `offset` stays, emptied, as the active one.
    while (this.#segments.length > 1 && this.#segments.at(-1)!.baseOffset > offset) {
      const dropped = this.#segments.pop()!;
      this.#disk.delete(dropped.file);
      if (this.#disk.exists(dropped.indexFile)) this.#disk.delete(dropped.indexFile);
    }
    const active = this.#segments.at(-1)!;
    const position = this.#positions[offset];
    active.sizeBytes = position;
    this.#disk.truncate(active.file, position);
    this.#trimIndex(active, offset);
    this.#records.length = offset;
    this.#positions.length = offset;
    this.#writtenEndOffset = Math.min(this.#writtenEndOffset, offset);
    this.#durableEndOffset = Math.min(this.#durableEndOffset, offset);
    this.#flushRequestedEndOffset = Math.min(this.#flushRequestedEndOffset, offset);
    this.epochs.truncateFrom(offset);
    this.producers = new ProducerState();
    for (const record of this.#records) this.producers.update(record);
  }

  /** The byte position of `offset` in its segment, found through the segment's offset index. */
  lookup(offset: number): { file: string; position: number } {
    assert(offset >= 0 && offset < this.endOffset(), `lookup of ${offset} outside the log [0, ${this.endOffset()})`);
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

  #tag(op: LogDiskTag["op"], endOffset: number): LogDiskTag {
    return { log: this.#options.partition, generation: this.#generation, endOffset, op };
  }

  #segmentFor(baseOffset: number, nowUs: number): Segment {
    const name = `p${this.#options.partition}-${String(baseOffset).padStart(12, "0")}`;
    return {
      baseOffset,
      file: `${name}.log`,
      indexFile: `${name}.index`,
      sizeBytes: 0,
      createdUs: nowUs,
      bytesSinceIndexEntry: 0,
      dirty: false,
    };
  }

  #roll(nowUs: number): Segment {
    const segment = this.#segmentFor(this.endOffset(), nowUs);
    assert(!this.#disk.exists(segment.file), `segment ${segment.file} exists already`);
    this.#disk.append(segment.file, new Uint8Array(0));
    this.#segments.push(segment);
    return segment;
  }

  /** Reads one segment into memory; returns whether it ended in a torn or corrupt record. */
  #recoverSegment(segment: Segment, report: RecoveryReport): boolean {
    const bytes = this.#disk.read(segment.file);
    let at = 0;
    while (at < bytes.length) {
      const decoded = decodeRecord(bytes, at);
      if (decoded === undefined || decoded.record.offset !== this.#records.length) break;
      this.#records.push(decoded.record);
      this.#positions.push(at);
      this.epochs.assign(decoded.record.leaderEpoch, decoded.record.offset);
      this.producers.update(decoded.record);
      at = decoded.next;
    }
    const torn = at < bytes.length;
    if (torn) {
      report.bytesTruncated += bytes.length - at;
      this.#disk.truncate(segment.file, at);
    }
    segment.sizeBytes = at;
    this.#segments.push(segment);
    if (!this.#indexValid(segment)) {
      report.indexesRebuilt++;
      this.#rebuildIndex(segment);
    }
    return torn;
  }

  /** Whether the segment's index is whole, ascending and points at the records it names. */
  #indexValid(segment: Segment): boolean {
    if (!this.#disk.exists(segment.indexFile)) return segment.sizeBytes === 0;
    if (this.#disk.size(segment.indexFile) % indexEntryBytes !== 0) return false;
    let previous = -1;
    for (const entry of readIndex(this.#disk, segment.indexFile)) {
      const offset = segment.baseOffset + entry.relativeOffset;
      if (entry.position <= previous || offset >= this.#records.length) return false;
      if (this.#positions[offset] !== entry.position) return false;
      previous = entry.position;
    }
    return true;
  }

  #rebuildIndex(segment: Segment): void {
    if (this.#disk.exists(segment.indexFile)) this.#disk.delete(segment.indexFile);
    segment.bytesSinceIndexEntry = 0;
    let lastEntry = -Infinity;
    for (let offset = segment.baseOffset; offset < this.#records.length; offset++) {
      const position = this.#positions[offset];
      if (position - lastEntry >= this.#options.indexIntervalBytes || lastEntry === -Infinity) {
        this.#disk.append(segment.indexFile, indexEntry(offset - segment.baseOffset, position));
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
