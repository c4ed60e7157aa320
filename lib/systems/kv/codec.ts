/**
 * The binary encoding of a key's record (its sequence number, key and sibling set) for the
 * store's write-ahead log and sorted runs. Every write of the store passes through here, so it is
 * a flat little-endian layout written into one reused buffer, not JSON: numbers as float64 (dot
 * counters pass 2^32 after a few incarnations), strings as a u32 length and UTF-8 bytes, a null
 * value and an absent expiry as a flag byte.
 *
 * Layout: `seq f64 | key str | siblings u16 | per sibling: node u32, counter f64, context u16 ×
 * (node u32, counter f64), value u8 flag [str], wallUs f64, logical u32, expiry u8 flag [f64]`.
 *
 * @example
 * ```ts
 * import { decodeRecord, encodeRecord } from "./codec.ts";
 * const siblings = [{ dot: { node: 1, counter: 7 }, context: { 1: 6 }, value: null, timestamp: { wallUs: 5, logical: 0 } }];
 * decodeRecord(encodeRecord({ seq: 3, key: "k", siblings })).siblings[0].value; // null: a tombstone
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import { ByteSlab, crc32 } from "../../base/mod.ts";
import { frameHeaderBytes, recordBytesMax } from "./log_store.ts";
import type { Sibling } from "./versions.ts";

/** One key's whole state as the store writes it: later records of a key replace earlier ones. */
export interface KeyRecord {
  /** The store's sequence number: the larger is the newer, whatever file it sits in. */
  seq: number;
  key: string;
  siblings: Sibling[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Where frames are copied: a store keeps each only until its memtable is flushed. */
const frames = new ByteSlab();

/** The reused encoding buffer: grown when a record needs more, never shrunk. */
let buffer = new Uint8Array(4096);
let view = new DataView(buffer.buffer);

function ensure(bytes: number): void {
  if (bytes <= buffer.length) return;
  const grown = new Uint8Array(Math.max(bytes, buffer.length * 2));
  grown.set(buffer);
  buffer = grown;
  view = new DataView(buffer.buffer);
}

/** Writes `text` at `offset` (length first); returns the offset after it. */
function putString(offset: number, text: string): number {
  ensure(offset + 4 + text.length * 3);
  // Keys and values are mostly ASCII and short: copying their bytes beats a call to the encoder.
  const start = offset + 4;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) {
      const { written } = encoder.encodeInto(text, buffer.subarray(start));
      view.setUint32(offset, written, true);
      return start + written;
    }
    buffer[start + i] = code;
  }
  view.setUint32(offset, text.length, true);
  return start + text.length;
}

/** Bytes of a sibling's fixed fields and context, before its value: one `ensure` for all of them. */
function siblingHeadBytes(contextEntries: number): number {
  return 14 + contextEntries * 12 + 1;
}

/** `record` encoded; the bytes are a fresh copy the caller owns. */
export function encodeRecord(record: KeyRecord): Uint8Array {
  return buffer.slice(0, encodeAt(record, 0));
}

/**
 * `record` encoded behind a log frame's header (length and CRC-32), the same bytes as
 * `framePayload(encodeRecord(record))` with one copy fewer; a fresh copy the caller owns.
 */
export function encodeRecordFrame(record: KeyRecord): Uint8Array {
  const end = encodeAt(record, frameHeaderBytes);
  const length = end - frameHeaderBytes;
  if (!(length <= recordBytesMax)) assert(false, `a log record of ${length} bytes, above ${recordBytesMax}`);
  view.setUint32(0, length, true);
  view.setUint32(4, crc32(buffer.subarray(frameHeaderBytes, end)), true);
  return frames.copy(buffer.subarray(0, end));
}

/** Encodes `record` into the shared buffer from `start`; returns the offset after it. */
function encodeAt(record: KeyRecord, start: number): number {
  if (!(record.siblings.length <= 0xffff)) {
    assert(false, `key ${record.key}: ${record.siblings.length} siblings to encode`);
  }
  ensure(start + 8 + 2);
  view.setFloat64(start, record.seq, true);
  let offset = putString(start + 8, record.key);
  ensure(offset + 2);
  view.setUint16(offset, record.siblings.length, true);
  offset += 2;
  for (const s of record.siblings) {
    const context = s.context;
    // Integer keys come in ascending order, as `Object.entries` gives them.
    const nodes = Object.keys(context);
    ensure(offset + siblingHeadBytes(nodes.length));
    view.setUint32(offset, s.dot.node, true);
    view.setFloat64(offset + 4, s.dot.counter, true);
    view.setUint16(offset + 12, nodes.length, true);
    offset += 14;
    for (let i = 0; i < nodes.length; i++) {
      const node = Number(nodes[i]);
      view.setUint32(offset, node, true);
      view.setFloat64(offset + 4, context[node], true);
      offset += 12;
    }
    buffer[offset++] = s.value === null ? 0 : 1;
    if (s.value !== null) offset = putString(offset, s.value);
    ensure(offset + 12 + 1 + 8);
    view.setFloat64(offset, s.timestamp.wallUs, true);
    view.setUint32(offset + 8, s.timestamp.logical, true);
    offset += 12;
    buffer[offset++] = s.expiresAtUs === undefined ? 0 : 1;
    if (s.expiresAtUs !== undefined) {
      view.setFloat64(offset, s.expiresAtUs, true);
      offset += 8;
    }
  }
  return offset;
}

/** The record `bytes` encode; throws on bytes that end early (a caller checks their CRC first). */
export function decodeRecord(bytes: Uint8Array): KeyRecord {
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const string = () => {
    const length = data.getUint32(offset, true);
    const text = decoder.decode(bytes.subarray(offset + 4, offset + 4 + length));
    assert(offset + 4 + length <= bytes.length, "a record's string runs past its end");
    offset += 4 + length;
    return text;
  };
  const seq = data.getFloat64(0, true);
  offset = 8;
  const key = string();
  const count = data.getUint16(offset, true);
  offset += 2;
  const siblings: Sibling[] = [];
  for (let i = 0; i < count; i++) {
    const dot = { node: data.getUint32(offset, true), counter: data.getFloat64(offset + 4, true) };
    const entries = data.getUint16(offset + 12, true);
    offset += 14;
    const context: Record<number, number> = {};
    for (let j = 0; j < entries; j++) {
      context[data.getUint32(offset, true)] = data.getFloat64(offset + 4, true);
      offset += 12;
    }
    const value = bytes[offset++] === 0 ? null : string();
    const timestamp = { wallUs: data.getFloat64(offset, true), logical: data.getUint32(offset + 8, true) };
    offset += 12;
    const sibling: Sibling = { dot, context, value, timestamp };
    if (bytes[offset++] === 1) {
      sibling.expiresAtUs = data.getFloat64(offset, true);
      offset += 8;
    }
    siblings.push(sibling);
  }
  if (!(offset === bytes.length)) assert(false, `a record of ${bytes.length} bytes decoded as ${offset}`);
  return { seq, key, siblings };
}
