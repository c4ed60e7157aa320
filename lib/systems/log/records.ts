/**
 * The on-disk form of a record: a frame of a fixed header and the value's UTF-8 bytes, with a
 * CRC over everything after it, so recovery can tell a whole record from a torn one.
 *
 * Frame: `length u32 | crc u32 | offset f64 | leaderEpoch u32 | producerId u32 | producerEpoch u32 |
 * sequence i32 | attributes u32 | keyLength u32 | deleteHorizonUs f64 | timestampUs f64 | key bytes |
 * value bytes`, where
 * `length` counts the bytes after itself and `attributes` has bit 0 for a key, bit 1 for a
 * tombstone and bit 2 for a delete horizon.
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
const hasKey = 1, isTombstone = 2, hasDeleteHorizon = 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A record as a frame of bytes. */
export function encodeRecord(record: LogRecord): Uint8Array {
  assert(Number.isInteger(record.offset) && record.offset >= 0, `record offset ${record.offset} is not a position`);
  assert(Number.isFinite(record.timestampUs), `record timestamp ${record.timestampUs} is not an instant`);
  assert(!record.tombstone || (record.key !== undefined && record.value === ""), "a tombstone has a key and no value");
  const value = encoder.encode(record.value);
  const key = encoder.encode(record.key ?? "");
  const bytes = new Uint8Array(headerBytes + key.length + value.length);
  const view = new DataView(bytes.buffer);
  const attributes = (record.key !== undefined ? hasKey : 0) | (record.tombstone ? isTombstone : 0) |
    (record.deleteHorizonUs !== undefined ? hasDeleteHorizon : 0);
  view.setUint32(32, attributes);
  view.setUint32(36, key.length);
  view.setFloat64(40, record.deleteHorizonUs ?? 0);
  view.setFloat64(48, record.timestampUs);
  bytes.set(key, headerBytes);
  view.setUint32(0, bytes.length - 4);
  view.setFloat64(8, record.offset);
  view.setUint32(16, record.leaderEpoch);
  view.setUint32(20, record.producerId);
  view.setUint32(24, record.producerEpoch);
  view.setInt32(28, record.sequence);
  bytes.set(value, headerBytes + key.length);
  view.setUint32(4, crc32(bytes, 8));
  return bytes;
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
  return { record, next };
}
