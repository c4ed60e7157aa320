/**
 * The durable write-ahead log of a Raft node on the simulated disk.
 *
 * Raft §5 requires a server to persist its current term, its vote and its log entries before it
 * answers the RPC that changed them. The node appends records here in batches (one disk append
 * per batch: group commit), asks for an fsync with a tag, and sends the answers that depend on
 * those records only when that fsync's completion comes back to its `onDisk` handler.
 *
 * File format: a sequence of frames, each
 * `[payload length u32 LE][CRC-32 (IEEE) of the payload u32 LE][payload]`. A payload is one
 * record: a kind byte (1 hard state, 2 entry, 3 snapshot marker), then the record's integers as
 * float64 LE (exact up to 2^53), then for an entry the command as JSON text in UTF-8.
 *
 * Recovery replays the frames in order. A crash can tear the last write (a prefix of it lands),
 * so a damaged final record is cut off and reported; damage anywhere else is refused with a
 * {@linkcode WalCorruptionError}, because skipping a record in the middle would silently drop
 * entries that may be committed (a node that refuses to start is safe; one that forgets is not).
 *
 * @example
 * ```ts
 * import { recover, Wal } from "./wal.ts";
 * import type { DiskCompletion, NodeApi, NodeLogic } from "../../sim/mod.ts";
 *
 * function node(api: NodeApi): NodeLogic {
 *   let wal: Wal;
 *   const start = () => {
 *     const recovery = recover(api.disk); // cuts a torn tail before anything is appended
 *     wal = new Wal(api.disk);
 *     api.record("wal_torn_bytes", recovery.tornTailBytes);
 *     wal.append([{ kind: "hard", term: 1, vote: api.id, commit: 0 }]);
 *     wal.sync("vote-durable");
 *   };
 *   return {
 *     onStart: start,
 *     onRecover: start,
 *     onMessage() {},
 *     onDisk(completion: DiskCompletion) {
 *       if (!wal.owns(completion)) return;
 *       if (completion.tag === "vote-durable") api.record("wal_bytes", wal.bytes);
 *     },
 *   };
 * }
 * ```
 * @module
 */
import { assert, AssertionError, checkNumber } from "../../assert.ts";
import type { DiskCompletion, NodeDiskApi } from "../../sim/mod.ts";
import { crc32 } from "./_crc32.ts";

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

function recordBytesMaxOf(limits: WalLimits): number {
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

function describeRecord(record: WalRecord): string {
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
function encodeToScratch(records: readonly WalRecord[], recordBytesMax: number): Uint8Array {
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
 * import { encodeRecords } from "./wal.ts";
 * const bytes = encodeRecords([{ kind: "entry", term: 1, index: 1, command: { put: "x" } }]);
 * bytes.length; // 8 header bytes + 17 + the command's JSON
 * ```
 */
export function encodeRecords(records: readonly WalRecord[], limits: WalLimits = {}): Uint8Array {
  return encodeToScratch(records, recordBytesMaxOf(limits)).slice();
}

/** Decodes the payload of a frame whose CRC matched; returns a problem string when it is malformed. */
function decodePayload(
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

type FrameCheck =
  | { status: "whole"; payloadBytes: number }
  | { status: "damaged"; reason: string }
  | { status: "corrupt"; reason: string };

/**
 * Inspects the frame at `offset`. "damaged" is what a torn last write looks like (too short, or a
 * CRC mismatch); whether it is tolerable depends on what follows. "corrupt" is never tolerable: no
 * writer produces that length, and a tear leaves the header bytes that landed intact.
 */
function inspectFrame(bytes: Uint8Array, view: DataView, offset: number, recordBytesMax: number): FrameCheck {
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
function findWholeFrame(bytes: Uint8Array, view: DataView, from: number, recordBytesMax: number): number {
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

// ---------------------------------------------------------------- replay

/**
 * The log as the records replay it. Entries are contiguous: `entries[k].index` is
 * `entries[0].index + k`.
 */
class LogReplay {
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
 * import { encodeRecords, replayWal } from "./wal.ts";
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
function replayFrames(bytes: Uint8Array, options: WalReplayOptions, decodeCommands: boolean): WalRecovery {
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
