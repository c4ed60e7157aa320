/**
 * The WAL's record format: records, limits, errors, and the frame encoding shared by the writer and
 * replay.
 *
 * File format: a sequence of frames, each
 * `[payload length u32 LE][CRC-32 (IEEE) of the payload u32 LE][payload]`. A payload is one
 * record: a kind byte (1 hard state, 2 entry, 3 snapshot marker), then the record's integers as
 * float64 LE (exact up to 2^53), then for an entry the command as JSON text in UTF-8.
 *
 * @example
 * ```ts
 * import { encodeRecords } from "./format.ts";
 * const bytes = encodeRecords([{ kind: "hard", term: 1, vote: 0, commit: 0 }]);
 * bytes.length; // 8 header bytes + 25
 * ```
 * @module
 */
import { assert, AssertionError, checkNumber } from "../../../assert.ts";
import { crc32 } from "../../../base/mod.ts";

// ---------------------------------------------------------------- records

/** Raft's persistent hard state (§5, Figure 2): current term, vote in that term, commit index. */
export interface WalHardState {
  kind: "hard";
  /** The latest term the node has seen (integer >= 0). */
  term: number;
  /** The node voted for in `term`, or -1 for none. */
  vote: number;
  /** The highest log index known to be committed (integer >= 0). */
  commit: number;
}

/** One log entry (§5.3). */
export interface WalEntry {
  kind: "entry";
  /** The term of the leader that created the entry (integer >= 0). */
  term: number;
  /** The entry's position in the log (integer >= 1). */
  index: number;
  /** The state-machine command: any JSON value (stored as JSON text, so NaN becomes null). */
  command: unknown;
}

/**
 * A snapshot marker (§7): the entries up to `index` (whose term is `term`) are covered by a
 * snapshot file that the node writes and fsyncs on its own, before it appends this marker.
 */
export interface WalSnapshotMarker {
  kind: "snapshot";
  /** The last index the snapshot covers (integer >= 1). */
  index: number;
  /** The term of the entry at `index`. */
  term: number;
}

/** One record of the WAL. */
export type WalRecord = WalHardState | WalEntry | WalSnapshotMarker;

// ---------------------------------------------------------------- limits and errors

/** The WAL's file name unless the node picks another. */
export const walFileDefault = "wal";
/** Bytes of a frame header: payload length and CRC-32, both u32 LE. */
export const walFrameHeaderBytes = 8;
/** The largest record payload accepted on write and on read unless configured: 16 MiB. */
export const walRecordBytesMaxDefault = 16 * 1024 * 1024;
/** The largest batch one append may write unless configured: 64 MiB. */
export const walBatchBytesMaxDefault = 64 * 1024 * 1024;
/** Appends and syncs a compaction may hold back while it runs; more is a runaway node. */
export const walDeferredOperationsMax = 1_000_000;

const kindCodeHard = 1;
const kindCodeEntry = 2;
const kindCodeSnapshot = 3;
const hardPayloadBytes = 1 + 3 * 8;
const snapshotPayloadBytes = 1 + 2 * 8;
const entryHeaderBytes = 1 + 2 * 8;
/** The smallest payload of any kind (a snapshot marker); a shorter length is corruption. */
const payloadBytesMin = snapshotPayloadBytes;
/** The largest configurable record size: lengths are u32 and a record is read into memory whole. */
const recordBytesMaxLimit = 1024 * 1024 * 1024;

/** Limits shared by writing and reading. */
export interface WalLimits {
  /** Largest record payload in bytes, checked on write and on read. Default 16 MiB. */
  recordBytesMax?: number;
}

/** Options of a {@linkcode Wal}. */
export interface WalOptions extends WalLimits {
  /** Largest batch one `append` may write, in bytes. Default 64 MiB. */
  batchBytesMax?: number;
}

/**
 * Recovery found damage it must not repair: a bad record with more records after it, a length no
 * writer produces, or a sequence of records that no correct log produces. The node must refuse to
 * start: skipping the record could drop committed entries.
 */
export class WalCorruptionError extends Error {
  /** The WAL file. */
  readonly file: string;
  /** Byte offset of the frame where the damage was found. */
  readonly offset: number;
  /** What was wrong. */
  readonly reason: string;

  constructor(file: string, offset: number, reason: string) {
    super(
      `WAL ${JSON.stringify(file)} is corrupt at byte offset ${offset}: ${reason}; ` +
        "refusing to recover rather than drop records that may be committed",
    );
    this.name = "WalCorruptionError";
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

/** A record larger than the configured maximum was refused on write; nothing was written. */
export class WalRecordTooLargeError extends Error {
  readonly payloadBytes: number;
  readonly recordBytesMax: number;

  constructor(what: string, payloadBytes: number, recordBytesMax: number) {
    super(`WAL refuses ${what}: ${payloadBytes} bytes exceed the maximum of ${recordBytesMax}`);
    this.name = "WalRecordTooLargeError";
    this.payloadBytes = payloadBytes;
    this.recordBytesMax = recordBytesMax;
  }
}

export function recordBytesMaxOf(limits: WalLimits): number {
  return checkNumber("wal recordBytesMax", limits.recordBytesMax ?? walRecordBytesMaxDefault, {
    min: hardPayloadBytes + 1,
    max: recordBytesMaxLimit,
    integer: true,
  });
}

// ---------------------------------------------------------------- encoding

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

function isWholeNumber(value: unknown, min: number): boolean {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min;
}

/** Why `record`'s fields are invalid, or undefined when they are valid. Used on write and read. */
function recordFieldsProblem(record: WalRecord): string | undefined {
  if (record.kind === "hard") {
    if (!isWholeNumber(record.term, 0)) return `hard state term ${record.term} is not an integer >= 0`;
    if (!isWholeNumber(record.vote, -1)) return `hard state vote ${record.vote} is not a node id or -1`;
    if (!isWholeNumber(record.commit, 0)) return `hard state commit ${record.commit} is not an integer >= 0`;
    return undefined;
  }
  if (record.kind === "entry") {
    if (!isWholeNumber(record.index, 1)) return `entry index ${record.index} is not an integer >= 1`;
    if (!isWholeNumber(record.term, 0)) return `entry ${record.index} term ${record.term} is not an integer >= 0`;
    return undefined;
  }
  if (record.kind === "snapshot") {
    if (!isWholeNumber(record.index, 1)) return `snapshot marker index ${record.index} is not an integer >= 1`;
    if (!isWholeNumber(record.term, 0)) return `snapshot marker term ${record.term} is not an integer >= 0`;
    return undefined;
  }
  return `unknown record kind ${JSON.stringify((record as { kind: unknown }).kind)}`;
}

/**
 * Encoded commands of recent entries, by entry index: slot `index % commandSlots` holds the
 * command last encoded at an index with that slot, and its bytes. In the simulator every server's
 * copy of an entry shares the leader's command object, so each command is serialised once rather
 * than once per server (and again at each WAL compaction); commands are never mutated once in the
 * log. A hit needs the very same command (or an equal primitive, whose JSON is the same), so a
 * slot reused by another entry only costs a new encoding. Fixed size: memory does not grow.
 */
const commandSlots = 4096;
const slotCommands: unknown[] = new Array(commandSlots).fill(undefined);
const slotBytes: (Uint8Array | undefined)[] = new Array(commandSlots).fill(undefined);

function commandBytesOf(entry: WalEntry): Uint8Array {
  const command = entry.command;
  const slot = entry.index % commandSlots;
  const cached = slotBytes[slot];
  if (cached !== undefined && slotCommands[slot] === command) return cached;
  const json = JSON.stringify(command);
  assert(json !== undefined, `entry ${entry.index}: its command is not a JSON value`);
  const bytes = textEncoder.encode(json);
  slotCommands[slot] = command;
  slotBytes[slot] = bytes;
  return bytes;
}

function payloadBytesOf(record: WalRecord, command: Uint8Array | undefined): number {
  if (record.kind === "hard") return hardPayloadBytes;
  if (record.kind === "snapshot") return snapshotPayloadBytes;
  return entryHeaderBytes + command!.length;
}

export function describeRecord(record: WalRecord): string {
  return record.kind === "hard"
    ? "a hard state"
    : `${record.kind === "entry" ? "entry" : "snapshot marker"} ${record.index}`;
}

/** Writes one frame at `offset` of `out` and returns the offset after it. */
function writeFrame(out: Uint8Array, view: DataView, offset: number, record: WalRecord, command?: Uint8Array): number {
  const payloadStart = offset + walFrameHeaderBytes;
  if (record.kind === "hard") {
    out[payloadStart] = kindCodeHard;
    view.setFloat64(payloadStart + 1, record.term, true);
    view.setFloat64(payloadStart + 9, record.vote, true);
    view.setFloat64(payloadStart + 17, record.commit, true);
  } else {
    out[payloadStart] = record.kind === "entry" ? kindCodeEntry : kindCodeSnapshot;
    view.setFloat64(payloadStart + 1, record.term, true);
    view.setFloat64(payloadStart + 9, record.index, true);
    if (command !== undefined) out.set(command, payloadStart + entryHeaderBytes);
  }
  const payloadEnd = payloadStart + payloadBytesOf(record, command);
  view.setUint32(offset, payloadEnd - payloadStart, true);
  view.setUint32(offset + 4, crc32(out, payloadStart, payloadEnd), true);
  return payloadEnd;
}

/**
 * Where batches are encoded: one buffer for the whole module, grown by doubling to the largest
 * batch seen, so an append allocates only the copy it hands out. Encoding is synchronous and
 * never re-entered, so one buffer serves every WAL of the process.
 */
let scratch = new Uint8Array(64 * 1024);
let scratchView = new DataView(scratch.buffer);

function ensureScratch(bytes: number): void {
  if (bytes <= scratch.length) return;
  let capacity = scratch.length * 2;
  while (capacity < bytes) capacity *= 2;
  const grown = new Uint8Array(capacity);
  grown.set(scratch);
  scratch = grown;
  scratchView = new DataView(grown.buffer);
}

/**
 * Encodes `records` into the scratch buffer and returns a view of them: valid only until the next
 * encoding, so callers copy it (or hand it to the disk, which copies at issue). Checks each
 * record, in order, before writing it.
 */
export function encodeToScratch(records: readonly WalRecord[], recordBytesMax: number): Uint8Array {
  let offset = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    // Checks on every record use `if`: assert() would build its message each time.
    const problem = recordFieldsProblem(record);
    if (problem !== undefined) throw new AssertionError(`WAL refuses an invalid record: ${problem}`);
    const command = record.kind === "entry" ? commandBytesOf(record) : undefined;
    const payloadBytes = payloadBytesOf(record, command);
    if (payloadBytes > recordBytesMax) {
      throw new WalRecordTooLargeError(describeRecord(record), payloadBytes, recordBytesMax);
    }
    const frameEnd = offset + walFrameHeaderBytes + payloadBytes;
    ensureScratch(frameEnd);
    offset = writeFrame(scratch, scratchView, offset, record, command);
    if (offset !== frameEnd) throw new AssertionError(`${describeRecord(record)} ends at ${offset}, not ${frameEnd}`);
  }
  return scratch.subarray(0, offset);
}

/**
 * Encodes `records` as consecutive frames, ready to append. Pure.
 *
 * @throws WalRecordTooLargeError when one record's payload exceeds `recordBytesMax`
 * @throws AssertionError when a record's fields are invalid (a bug in the caller)
 * @example
 * ```ts
 * import { encodeRecords } from "./mod.ts";
 * const bytes = encodeRecords([{ kind: "entry", term: 1, index: 1, command: { put: "x" } }]);
 * bytes.length; // 8 header bytes + 17 + the command's JSON
 * ```
 */
export function encodeRecords(records: readonly WalRecord[], limits: WalLimits = {}): Uint8Array {
  return encodeToScratch(records, recordBytesMaxOf(limits)).slice();
}

/**
 * Why an encoded batch does not read back as `records`, or undefined when it does: the pair check
 * of the writer against replay. The frames are split by the same length fields replay reads, and
 * the last frame is decoded as replay decodes it (its command left unparsed: the bytes are the
 * cached encoding, and parsing every command again would cost a few percent of a run).
 */
export function batchProblem(bytes: Uint8Array, records: readonly WalRecord[]): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let lastOffset = 0;
  let count = 0;
  while (offset + walFrameHeaderBytes <= bytes.length) {
    lastOffset = offset;
    offset += walFrameHeaderBytes + view.getUint32(offset, true);
    count++;
  }
  if (offset !== bytes.length || count !== records.length) {
    return `a batch of ${records.length} records splits into ${count} frames ending at ${offset} of ${bytes.length}`;
  }
  if (count === 0) return undefined;
  const length = view.getUint32(lastOffset, true);
  const decoded = decodePayload(bytes, view, lastOffset + walFrameHeaderBytes, length, false);
  if (typeof decoded === "string") return `the last record does not decode: ${decoded}`;
  const last = records[count - 1];
  const same = decoded.kind === last.kind && decoded.term === last.term &&
    (decoded.kind === "hard"
      ? decoded.vote === (last as WalHardState).vote && decoded.commit === (last as WalHardState).commit
      : decoded.index === (last as WalEntry | WalSnapshotMarker).index);
  return same ? undefined : `the last record reads back as ${describeRecord(decoded)}, not ${describeRecord(last)}`;
}

/** Decodes the payload of a frame whose CRC matched; returns a problem string when it is malformed. */
export function decodePayload(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  length: number,
  decodeCommands: boolean,
): WalRecord | string {
  const code = bytes[start];
  const expectedBytes = code === kindCodeHard ? hardPayloadBytes : code === kindCodeSnapshot ? snapshotPayloadBytes : 0;
  if (code !== kindCodeEntry && expectedBytes === 0) return `unknown record kind code ${code}`;
  if (expectedBytes !== 0 && length !== expectedBytes) {
    return `a record of kind code ${code} is ${length} bytes long, expected ${expectedBytes}`;
  }
  if (code === kindCodeEntry && length <= entryHeaderBytes) return `an entry of ${length} bytes has no command`;
  const first = view.getFloat64(start + 1, true);
  const second = view.getFloat64(start + 9, true);
  let record: WalRecord;
  if (code === kindCodeHard) {
    record = { kind: "hard", term: first, vote: second, commit: view.getFloat64(start + 17, true) };
  } else if (code === kindCodeSnapshot) {
    record = { kind: "snapshot", index: second, term: first };
  } else if (!decodeCommands) {
    record = { kind: "entry", term: first, index: second, command: null };
  } else {
    let command: unknown;
    try {
      command = JSON.parse(textDecoder.decode(bytes.subarray(start + entryHeaderBytes, start + length)));
    } catch (error) {
      return `entry ${second} has an unreadable command (${(error as Error).message})`;
    }
    record = { kind: "entry", term: first, index: second, command };
  }
  return recordFieldsProblem(record) ?? record;
}

// ---------------------------------------------------------------- framing on read

export type FrameCheck =
  | { status: "whole"; payloadBytes: number }
  | { status: "damaged"; reason: string }
  | { status: "corrupt"; reason: string };

/**
 * Inspects the frame at `offset`. "damaged" is what a torn last write looks like (too short, or a
 * CRC mismatch); whether it is tolerable depends on what follows. "corrupt" is never tolerable: no
 * writer produces that length, and a tear leaves the header bytes that landed intact.
 */
export function inspectFrame(bytes: Uint8Array, view: DataView, offset: number, recordBytesMax: number): FrameCheck {
  const remainingBytes = bytes.length - offset;
  if (remainingBytes < walFrameHeaderBytes) {
    return { status: "damaged", reason: `only ${remainingBytes} bytes remain, fewer than a frame header` };
  }
  const payloadBytes = view.getUint32(offset, true);
  if (payloadBytes < payloadBytesMin || payloadBytes > recordBytesMax) {
    return {
      status: "corrupt",
      reason: `record length ${payloadBytes} is outside [${payloadBytesMin}, ${recordBytesMax}]`,
    };
  }
  const payloadStart = offset + walFrameHeaderBytes;
  if (payloadBytes > bytes.length - payloadStart) {
    return {
      status: "damaged",
      reason: `a record of ${payloadBytes} bytes runs past the end of the file (${remainingBytes} bytes remain)`,
    };
  }
  const crcStored = view.getUint32(offset + 4, true);
  const crcComputed = crc32(bytes, payloadStart, payloadStart + payloadBytes);
  if (crcStored !== crcComputed) {
    return { status: "damaged", reason: `CRC mismatch (stored ${hex(crcStored)}, computed ${hex(crcComputed)})` };
  }
  return { status: "whole", payloadBytes };
}

/**
 * The first offset at or after `from` where a whole, CRC-valid frame of a plausible kind and length
 * starts, or -1. A torn write leaves nothing valid after its tear; a bit flip in a length or CRC
 * in the middle of the file does, so this tells the two apart. Cheap checks come before the CRC,
 * so random bytes rarely cost more than a few comparisons each.
 */
export function findWholeFrame(bytes: Uint8Array, view: DataView, from: number, recordBytesMax: number): number {
  const lastStart = bytes.length - walFrameHeaderBytes - payloadBytesMin;
  for (let offset = from; offset <= lastStart; offset++) {
    const payloadBytes = view.getUint32(offset, true);
    if (payloadBytes < payloadBytesMin || payloadBytes > recordBytesMax) continue;
    const payloadStart = offset + walFrameHeaderBytes;
    if (payloadBytes > bytes.length - payloadStart) continue;
    const code = bytes[payloadStart];
    const plausible = code === kindCodeHard
      ? payloadBytes === hardPayloadBytes
      : code === kindCodeSnapshot
      ? payloadBytes === snapshotPayloadBytes
      : code === kindCodeEntry && payloadBytes > entryHeaderBytes;
    if (!plausible) continue;
    if (view.getUint32(offset + 4, true) === crc32(bytes, payloadStart, payloadStart + payloadBytes)) return offset;
  }
  return -1;
}

function hex(value: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(8, "0")}`;
}
