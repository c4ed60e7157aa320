/**
 * The on-disk form of a record: a frame of a fixed header and the value's UTF-8 bytes, with a
 * CRC over everything after it, so recovery can tell a whole record from a torn one.
 *
 * Frame: `length u32 | crc u32 | offset f64 | leaderEpoch u32 | producerId u32 | producerEpoch u32 |
 * sequence i32 | attributes u32 | keyLength u32 | deleteHorizonUs f64 | timestampUs f64 | key bytes |
 * value bytes`, where
 * `length` counts the bytes after itself and `attributes` has bit 0 for a key, bit 1 for a
 * tombstone, bit 2 for a delete horizon, bit 3 for a transactional record, bit 4 for a control
 * record (a transaction marker) and bit 5 for an abort marker (else a commit).
 *
 * @example
 * ```ts
 * import { decodeRecord, encodeRecord } from "./records.ts";
 * const bytes = encodeRecord({
 *   offset: 0,
 *   timestampUs: 5,
 *   leaderEpoch: 1,
 *   producerId: 7,
 *   producerEpoch: 0,
 *   sequence: 0,
 *   value: "a",
 * });
 * decodeRecord(bytes, 0)?.record.value; // "a"
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import { crc32 } from "../../base/mod.ts";
import type { LogRecord } from "./types.ts";

const headerBytes = 4 + 4 + 8 + 4 + 4 + 4 + 4 + 4 + 4 + 8 + 8;
const hasKey = 1, isTombstone = 2, hasDeleteHorizon = 4, isTransactional = 8, isControl = 16, isAbort = 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A record as a frame of bytes. */
export function encodeRecord(record: LogRecord): Uint8Array {
  return encodeRecords([record]).bytes;
}

/**
 * Records as consecutive frames in one buffer (what one append writes), with each frame's size.
 * Byte for byte what {@linkcode encodeRecord} gives each, without a buffer per record: a batch is
 * the unit of the log's hot path.
 */
export function encodeRecords(records: readonly LogRecord[]): { bytes: Uint8Array; sizes: number[] } {
  const sizes: number[] = [];
  // An ASCII string's UTF-8 bytes are its char codes: measured and copied without an encoder.
  const values: (string | Uint8Array)[] = [];
  const keys: (string | Uint8Array)[] = [];
  let total = 0;
  for (const record of records) {
    // Checked before the messages are built: this loop runs for every record the log writes.
    if (!(Number.isInteger(record.offset) && record.offset >= 0)) {
      assert(false, `record offset ${record.offset} is not a position`);
    }
    if (!Number.isFinite(record.timestampUs)) assert(false, `record timestamp ${record.timestampUs} is not an instant`);
    assert(
      !record.tombstone || (record.key !== undefined && record.value === ""),
      "a tombstone has a key and no value",
    );
    const value = asciiOrBytes(record.value);
    const key = asciiOrBytes(record.key ?? "");
    values.push(value);
    keys.push(key);
    const size = headerBytes + key.length + value.length;
    sizes.push(size);
    total += size;
  }
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i], key = keys[i], value = values[i];
    const attributes = (record.key !== undefined ? hasKey : 0) | (record.tombstone ? isTombstone : 0) |
      (record.deleteHorizonUs !== undefined ? hasDeleteHorizon : 0) | (record.transactional ? isTransactional : 0) |
      (record.control === undefined ? 0 : isControl | (record.control === "abort" ? isAbort : 0));
    view.setUint32(at, sizes[i] - 4);
    view.setFloat64(at + 8, record.offset);
    view.setUint32(at + 16, record.leaderEpoch);
    view.setUint32(at + 20, record.producerId);
    view.setUint32(at + 24, record.producerEpoch);
    view.setInt32(at + 28, record.sequence);
    view.setUint32(at + 32, attributes);
    view.setUint32(at + 36, key.length);
    view.setFloat64(at + 40, record.deleteHorizonUs ?? 0);
    view.setFloat64(at + 48, record.timestampUs);
    writeBytes(bytes, at + headerBytes, key);
    writeBytes(bytes, at + headerBytes + key.length, value);
    view.setUint32(at + 4, crc32(bytes, at + 8, at + sizes[i]));
    at += sizes[i];
  }
  return { bytes, sizes };
}

/** The string itself when it is ASCII (its length is its byte count), else its UTF-8 bytes. */
function asciiOrBytes(text: string): string | Uint8Array {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return encoder.encode(text);
  return text;
}

function writeBytes(into: Uint8Array, at: number, from: string | Uint8Array): void {
  if (typeof from !== "string") return into.set(from, at);
  for (let i = 0; i < from.length; i++) into[at + i] = from.charCodeAt(i);
}

/** A record's size on the wire and on disk, as its frame has it (values and keys counted as ASCII). */
export function recordSizeBytes(record: Pick<LogRecord, "value" | "key">): number {
  return headerBytes + (record.key?.length ?? 0) + record.value.length;
}

/**
 * The record framed at `position` of `bytes` and the position after it, or undefined when the
 * frame is short or its CRC does not match (a torn or corrupted tail).
 */
export function decodeRecord(bytes: Uint8Array, position: number): { record: LogRecord; next: number } | undefined {
  if (position + headerBytes > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(position);
  const next = position + 4 + length;
  if (length < headerBytes - 4 || next > bytes.length) return undefined;
  if (crc32(bytes, position + 8, next) !== view.getUint32(position + 4)) return undefined;
  const attributes = view.getUint32(position + 32);
  const keyEnd = position + headerBytes + view.getUint32(position + 36);
  if (keyEnd > next) return undefined;
  const record: LogRecord = {
    offset: view.getFloat64(position + 8),
    timestampUs: view.getFloat64(position + 48),
    leaderEpoch: view.getUint32(position + 16),
    producerId: view.getUint32(position + 20),
    producerEpoch: view.getUint32(position + 24),
    sequence: view.getInt32(position + 28),
    value: decoder.decode(bytes.subarray(keyEnd, next)),
  };
  // Absent fields stay absent, so a record read back equals the record written.
  if (attributes & hasKey) record.key = decoder.decode(bytes.subarray(position + headerBytes, keyEnd));
  if (attributes & isTombstone) record.tombstone = true;
  if (attributes & hasDeleteHorizon) record.deleteHorizonUs = view.getFloat64(position + 40);
  if (attributes & isTransactional) record.transactional = true;
  if (attributes & isControl) record.control = attributes & isAbort ? "abort" : "commit";
  return { record, next };
}
