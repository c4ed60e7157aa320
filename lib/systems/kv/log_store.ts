/**
 * An append-only log of records on the simulated disk, with group commit: records appended while an
 * fsync is in flight join the next one, so at most one fsync is outstanding and a burst of writes
 * costs one. Each record is a frame `[length u32][crc32 u32][payload]`, the payload JSON unless the
 * log is opened with a codec of its own (the store's key records use a binary one, `codec.ts`).
 *
 * Recovery reads frames until the first one that is torn or fails its checksum and cuts the file
 * there: what follows was never acknowledged (a torn tail) or cannot be trusted (a flipped bit), and
 * the store's replicas, read repair and anti-entropy bring the lost versions back. A failed write or
 * fsync makes the log fail-stop: it acknowledges nothing more in this incarnation, as databases
 * learned to do after fsync errors, since the page cache may have dropped the data.
 *
 * @example
 * ```ts
 * import { decodeFrames, encodeFrame } from "./log_store.ts";
 * decodeFrames(encodeFrame({ key: "k", value: 1 })).records; // [{ key: "k", value: 1 }]
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import { crc32 } from "../../base/mod.ts";
import type { DiskCompletion, NodeDiskApi } from "../../sim/mod.ts";

/** Bytes of a frame's header: length and checksum. */
export const frameHeaderBytes = 8;
/** Largest payload of one record. */
export const recordBytesMax = 1024 * 1024;
/** Most records waiting for one fsync: a bound on what a stalled disk may hold back. */
export const pendingRecordsMax = 100_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How a log turns its records into payloads and back. */
export interface RecordCodec<R> {
  encode(record: R): Uint8Array;
  decode(payload: Uint8Array): R;
}

/** Records as JSON text: the default codec. */
export const jsonCodec: RecordCodec<unknown> = {
  encode: (record) => encoder.encode(JSON.stringify(record)),
  decode: (payload) => JSON.parse(decoder.decode(payload)),
};

/** One record framed for the log (as JSON, unless a codec is given). */
export function encodeFrame<R>(record: R, codec: RecordCodec<R> = jsonCodec as RecordCodec<R>): Uint8Array {
  return framePayload(codec.encode(record));
}

/** `payload` behind a frame header. */
export function framePayload(payload: Uint8Array): Uint8Array {
  if (!(payload.length <= recordBytesMax)) {
    assert(false, `a log record of ${payload.length} bytes, above ${recordBytesMax}`);
  }
  const frame = new Uint8Array(frameHeaderBytes + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32(payload), true);
  frame.set(payload, frameHeaderBytes);
  return frame;
}

/** The records of a log's bytes, up to the first bad frame, and where the good part ends. */
export function decodeFrames<R = unknown>(
  bytes: Uint8Array,
  codec: RecordCodec<R> = jsonCodec as RecordCodec<R>,
): { records: R[]; goodBytes: number; problem?: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: R[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < frameHeaderBytes) return { records, goodBytes: offset, problem: "torn header" };
    const length = view.getUint32(offset, true);
    const end = offset + frameHeaderBytes + length;
    if (length > recordBytesMax || end > bytes.length) return { records, goodBytes: offset, problem: "torn record" };
    const payload = bytes.subarray(offset + frameHeaderBytes, end);
    if (crc32(payload) !== view.getUint32(offset + 4, true)) {
      return { records, goodBytes: offset, problem: `checksum mismatch at byte ${offset}` };
    }
    records.push(codec.decode(payload));
    offset = end;
  }
  return { records, goodBytes: offset };
}

/** A log file with group commit. */
export class LogStore<R> {
  readonly file: string;
  readonly #disk: NodeDiskApi;
  readonly #codec: RecordCodec<R>;
  /** Bytes appended in this incarnation, frames included: what the log cost the disk. */
  bytesAppended = 0;
  /** Callbacks of records appended since the last fsync started. */
  #waiting: (() => void)[] = [];
  /** Callbacks of the fsync in flight. */
  #syncing: (() => void)[] | undefined;
  #failed: string | undefined;
  /** Disk operations issued and not yet completed: the file may be deleted only at 0. */
  #inflight = 0;

  /** Opens `file`: its good records, and what recovery cut off (undefined: nothing). */
  static open<R>(
    disk: NodeDiskApi,
    file: string,
    codec: RecordCodec<R> = jsonCodec as RecordCodec<R>,
  ): { log: LogStore<R>; records: R[]; cut?: string } {
    const decoded = decodeFrames(disk.read(file), codec);
    if (decoded.problem !== undefined) disk.truncate(file, decoded.goodBytes);
    return { log: new LogStore<R>(disk, file, codec), records: decoded.records, cut: decoded.problem };
  }

  private constructor(disk: NodeDiskApi, file: string, codec: RecordCodec<R>) {
    this.#disk = disk;
    this.file = file;
    this.#codec = codec;
  }

  /** Whether a disk operation is in flight or records wait for an fsync. */
  get busy(): boolean {
    return this.#inflight > 0 || this.#syncing !== undefined || this.#waiting.length > 0;
  }

  /** Why the log stopped (a failed write or fsync), or undefined while it works. */
  get failed(): string | undefined {
    return this.#failed;
  }

  /** Appends `record`; `onDurable` runs once it is on stable storage (never, if the log fails first). */
  append(record: R, onDurable: () => void): void {
    this.appendFrame(encodeFrame(record, this.#codec), onDurable);
  }

  /** Appends a record already framed (as {@linkcode encodeFrame} frames it with this log's codec). */
  appendFrame(frame: Uint8Array, onDurable: () => void): void {
    if (!(this.#failed === undefined)) assert(false, `${this.file}: append after the log failed (${this.#failed})`);
    this.bytesAppended += frame.length;
    this.#disk.append(this.file, frame);
    this.#inflight++;
    this.#waiting.push(onDurable);
    if (!(this.#waiting.length <= pendingRecordsMax)) {
      assert(false, `${this.file}: more than ${pendingRecordsMax} records wait`);
    }
    if (this.#syncing === undefined) this.#sync();
  }

  /** Routes a disk completion; false when it was not this log's. */
  onDisk(completion: DiskCompletion): boolean {
    if (completion.file !== this.file) return false;
    this.#inflight--;
    if (!completion.ok) {
      this.#fail(completion);
      return true;
    }
    if (completion.op !== "fsync") return true;
    const done = this.#syncing;
    if (!(done !== undefined)) assert(false, `${this.file}: an fsync completed with none in flight`);
    this.#syncing = undefined;
    if (this.#waiting.length > 0) this.#sync();
    for (const callback of done) callback();
    return true;
  }

  #sync(): void {
    this.#syncing = this.#waiting;
    this.#waiting = [];
    this.#disk.fsync(this.file);
    this.#inflight++;
  }

  #fail(completion: DiskCompletion): void {
    this.#failed ??= `${completion.op} of ${completion.file} failed: ${completion.error}`;
    this.#waiting = [];
    this.#syncing = undefined;
  }
}
