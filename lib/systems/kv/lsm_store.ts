/**
 * A node's log-structured storage on the simulated disk: a memtable in front of a write-ahead log,
 * flushed to immutable sorted runs, which a size-tiered policy compacts.
 *
 * - **Records.** Every write is a key's whole sibling set with a sequence number (`codec.ts`); the
 *   record with the largest number is the key's state, whatever file holds it, so recovery and
 *   compaction need no order among files.
 * - **Write-ahead log.** `wal-<id>.log`, a {@linkcode LogStore} with group commit and CRC frames:
 *   a write is acknowledged after its fsync. A failed write or fsync anywhere makes the store
 *   fail-stop, as the log alone did.
 * - **Flush.** Once the memtable holds `memtableBytesMax` bytes of records, a new log is started
 *   and the memtable is written, sorted by key, to `run-<id>.tmp`, fsynced, then renamed to
 *   `run-<id>.sst` (a rename is atomic and durable). The run's header names the logs it covers;
 *   they are deleted once idle.
 * - **Compaction (size-tiered, as Cassandra's STCS).** Runs are bucketed by size (a run joins a
 *   bucket when within half to one and a half times the bucket's mean); the first bucket with
 *   `tierRunsMin` runs (at most {@linkcode compactionRunsMax}) is merged into one run, the newest
 *   record of each key kept. When no bucket qualifies but a run holds a collectable tombstone, all
 *   runs are merged (a tombstone compaction). The output's header names the runs it replaces;
 *   recovery deletes any of them still present, so a crash between the rename and the deletions
 *   loses nothing and resurrects nothing.
 * - **Tombstones.** A record the caller calls collectable (a tombstone, or an expired value, past
 *   gc_grace: the node decides) is dropped by a flush or compaction only when no run outside the
 *   ones being rewritten holds an older record of its key, which would otherwise show again. A key
 *   whose dropped record was its newest is gone: the caller is told (`onCollected`).
 * - **Recovery** reads the runs (deleting temporary files and replaced runs), then replays the
 *   logs not covered by a run over them.
 *
 * One flush or compaction runs at a time. The caller keeps every key's state in memory (the
 * simulation's stand-in for a block cache), so runs are read only by recovery and compaction.
 *
 * @example
 * ```ts
 * import { sizeTieredBucket } from "./lsm_store.ts";
 * sizeTieredBucket([100, 110, 90, 105, 5_000], 4); // [0, 1, 2, 3]: four runs of a size
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import { concatBytes } from "../../base/mod.ts";
import type { DiskCompletion, NodeDiskApi } from "../../sim/mod.ts";
import { decodeRecord, encodeRecord, encodeRecordFrame, type KeyRecord } from "./codec.ts";
import { decodeFrames, frameHeaderBytes, framePayload, LogStore, type RecordCodec } from "./log_store.ts";
import type { Sibling } from "./versions.ts";

/** Most runs one compaction merges. */
export const compactionRunsMax = 32;
/** Most runs a store may hold: past it, a loud failure (compaction cannot keep up). */
export const runsMax = 1_000;

/** How the store flushes and compacts. */
export interface LsmSettings {
  /** Bytes of records the memtable holds before it is flushed to a run. */
  memtableBytesMax: number;
  /** Runs of a similar size merged at once by the size-tiered policy (at least 2). */
  tierRunsMin: number;
}

/** What the store's caller decides and hears. */
export interface LsmStoreOptions {
  disk: NodeDiskApi;
  settings: LsmSettings;
  /** Whether a key's siblings may be collected now: a tombstone or an expired value past gc_grace. */
  collectable: (siblings: readonly Sibling[]) => boolean;
  /** The key's newest record was collected: the key is gone from the store. */
  onCollected: (key: string, siblings: readonly Sibling[]) => void;
  /** The node's clock, for compaction durations. */
  nowUs: () => number;
  /** Records a metric (the well-known storage gauges of lib/metrics). */
  record: (name: string, value: number) => void;
}

/** The store's counters, white-box, for figures. */
export interface LsmFigures {
  runs: number;
  runBytes: number;
  walBytes: number;
  /** Tombstone records held (memtable and runs). */
  tombstones: number;
  bytesWrittenLogical: number;
  bytesWrittenDevice: number;
  bytesReclaimed: number;
  compactions: number;
  compactionUsTotal: number;
  recordsCollected: number;
}

interface Run {
  id: number;
  file: string;
  bytes: number;
  /** Each key's sequence number in this run: an exact stand-in for a Bloom filter. */
  index: Map<string, number>;
  /** Keys whose record here is a tombstone or may expire: what collection looks at. */
  collectables: Map<string, Sibling[]>;
  tombstones: number;
}

interface RunHeader {
  /** Runs this one replaces (a compaction's inputs). */
  replaces: number[];
  /** Logs whose records this run holds (a flush): ids up to this one. */
  walCovered: number;
}

/** A flush or compaction in flight: the run it writes and the collected records it leaves out. */
type Job =
  & { run: Run; dropped: KeyRecord[] }
  & (
    | { kind: "flush"; frozenTombstones: number; wals: LogStore<KeyRecord>[] }
    | { kind: "compaction"; inputs: Run[]; startedUs: number }
  );

type Payload = Uint8Array;
const rawCodec: RecordCodec<Payload> = { encode: (p) => p, decode: (p) => p };
const recordCodec: RecordCodec<KeyRecord> = { encode: encodeRecord, decode: decodeRecord };

/** A record with its frame, as the log and the runs hold it: encoded once, written by every flush and compaction. */
interface Framed {
  record: KeyRecord;
  frame: Uint8Array;
}
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Whether a key's siblings are a tombstone: every one of them a delete. */
export function isTombstone(siblings: readonly Sibling[]): boolean {
  return siblings.length > 0 && siblings.every((s) => s.value === null);
}

const mayCollect = (siblings: readonly Sibling[]) =>
  isTombstone(siblings) || siblings.some((s) => s.expiresAtUs !== undefined);

/**
 * Size-tiered selection: the indices of the first bucket of at least `runsMin` runs of a similar
 * size (each within half to one and a half times the bucket's mean, runs taken smallest first), at
 * most {@linkcode compactionRunsMax}; empty when no bucket has enough.
 */
export function sizeTieredBucket(sizes: readonly number[], runsMin: number): number[] {
  assert(runsMin >= 2, `tierRunsMin ${runsMin}: a compaction merges at least 2 runs`);
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[a] - sizes[b] || a - b);
  let bucket: number[] = [];
  let total = 0;
  for (const i of order) {
    const mean = bucket.length === 0 ? sizes[i] : total / bucket.length;
    if (bucket.length > 0 && !(sizes[i] >= mean / 2 && sizes[i] <= mean * 1.5)) {
      if (bucket.length >= runsMin) break;
      bucket = [];
      total = 0;
    }
    bucket.push(i);
    total += sizes[i];
  }
  return bucket.length >= runsMin ? bucket.slice(0, compactionRunsMax) : [];
}

/** A node's log-structured store. */
export class LsmStore {
  readonly #options: LsmStoreOptions;
  readonly #disk: NodeDiskApi;
  #runs: Run[] = [];
  /** Every log not yet covered by an installed run; the last takes the appends. */
  #wals: LogStore<KeyRecord>[] = [];
  /** Logs covered by a run, deleted once no fsync of theirs is in flight. */
  #covered: LogStore<KeyRecord>[] = [];
  #memtable = new Map<string, Framed>();
  #memtableBytes = 0;
  #memtableTombstones = 0;
  #job: Job | undefined;
  #nextSeq = 1;
  #nextId = 1;
  #failed: string | undefined;
  #figures = {
    bytesWrittenLogical: 0,
    bytesWrittenDevice: 0,
    bytesReclaimed: 0,
    compactions: 0,
    compactionUsTotal: 0,
    recordsCollected: 0,
  };
  /** What was last reported to the metrics, so increments are recorded as differences. */
  #reported = { logical: 0, device: 0, reclaimed: 0 };

  /**
   * Opens the store on `options.disk`: the runs, the logs replayed over them, and each key's
   * newest record; `cut` names what recovery cut off (a torn or corrupt tail), if anything.
   */
  static open(options: LsmStoreOptions): { store: LsmStore; records: Map<string, KeyRecord>; cut?: string } {
    const store = new LsmStore(options);
    const { records, cut } = store.#recover();
    return { store, records, cut };
  }

  private constructor(options: LsmStoreOptions) {
    assert(options.settings.memtableBytesMax > 0, "memtableBytesMax must be above 0");
    assert(options.settings.tierRunsMin >= 2, "tierRunsMin must be at least 2");
    this.#options = options;
    this.#disk = options.disk;
  }

  /** Why the store stopped (a failed write or fsync), or undefined while it works. */
  get failed(): string | undefined {
    if (this.#failed !== undefined) return this.#failed;
    // Asked before every request a node serves: no arrays built on the way.
    for (const wal of this.#wals) if (wal.failed !== undefined) return wal.failed;
    if (this.#job?.kind === "flush") {
      for (const wal of this.#job.wals) {
        if (wal.failed !== undefined) return wal.failed;
      }
    }
    for (const wal of this.#covered) if (wal.failed !== undefined) return wal.failed;
    return undefined;
  }

  /**
   * Makes `siblings` the state of `key`; `onDurable` once its log record is on stable storage.
   * Returns the record's sequence number: records in different logs (one being flushed, the next)
   * may become durable out of order, and the larger number is the newer state.
   */
  put(key: string, siblings: Sibling[], onDurable: () => void): number {
    if (!(this.failed === undefined)) assert(false, `put of ${key} after the store failed (${this.failed})`);
    const record: KeyRecord = { seq: this.#nextSeq++, key, siblings };
    const wal = this.#wals[this.#wals.length - 1];
    const frame = encodeRecordFrame(record);
    wal.appendFrame(frame, onDurable);
    const frameBytes = frame.length;
    this.#figures.bytesWrittenDevice += frameBytes;
    this.#figures.bytesWrittenLogical += frameBytes - frameHeaderBytes;
    const replaced = this.#memtable.get(key);
    if (replaced !== undefined && isTombstone(replaced.record.siblings)) this.#memtableTombstones--;
    if (isTombstone(siblings)) this.#memtableTombstones++;
    this.#memtable.set(key, { record, frame });
    this.#memtableBytes += frameBytes;
    if (this.#memtableBytes >= this.#options.settings.memtableBytesMax) this.maintain();
    return record.seq;
  }

  /** Starts a flush or compaction if one is due and none runs; records the tombstone gauge. */
  maintain(): void {
    this.#options.record("tombstones", this.tombstones());
    if (this.#job !== undefined || this.failed !== undefined) return;
    if (this.#memtableBytes >= this.#options.settings.memtableBytesMax) return this.#startFlush();
    const bucket = sizeTieredBucket(this.#runs.map((r) => r.bytes), this.#options.settings.tierRunsMin);
    if (bucket.length > 0) return this.#startCompaction(bucket.map((i) => this.#runs[i]));
    if (this.#runs.some((run) => [...run.collectables.values()].some(this.#options.collectable))) {
      this.#startCompaction(this.#runs.slice(0, compactionRunsMax));
    }
  }

  /** Tombstone records held, in the memtable (and one being flushed) and the runs. */
  tombstones(): number {
    const frozen = this.#job?.kind === "flush" ? this.#job.frozenTombstones : 0;
    return this.#memtableTombstones + frozen + this.#runs.reduce((n, r) => n + r.tombstones, 0);
  }

  /** The store's counters. */
  figures(): LsmFigures {
    return {
      runs: this.#runs.length,
      runBytes: this.#runs.reduce((n, r) => n + r.bytes, 0),
      walBytes: this.#wals.reduce((n, w) => n + this.#disk.size(w.file), 0),
      tombstones: this.tombstones(),
      ...this.#figures,
    };
  }

  /** Routes a disk completion; false when it was not this store's. */
  onDisk(completion: DiskCompletion): boolean {
    const file = completion.file;
    const retired = this.#job?.kind === "flush" ? this.#job.wals : [];
    const wal = this.#wals.find((w) => w.file === file) ?? retired.find((w) => w.file === file) ??
      this.#covered.find((w) => w.file === file);
    if (wal !== undefined) {
      wal.onDisk(completion);
      this.#deleteIdleCovered();
      return true;
    }
    const job = this.#job;
    if (job === undefined || completion.file !== tmpFile(job.run.id)) return false;
    if (!completion.ok) {
      this.#failed ??= `${completion.op} of ${completion.file} failed: ${completion.error}`;
      return true;
    }
    if (completion.op === "fsync") this.#install(job);
    return true;
  }

  // ------------------------------------------------------------------ flush and compaction

  #startFlush(): void {
    const frozen = this.#memtable;
    const wals = this.#wals;
    this.#job = { kind: "flush", run: this.#emptyRun(), dropped: [], frozenTombstones: this.#memtableTombstones, wals };
    this.#memtable = new Map();
    this.#memtableBytes = 0;
    this.#memtableTombstones = 0;
    this.#wals = [this.#openWal(this.#nextId++).log];
    const records = [...frozen.values()].sort(byKey);
    const covered = Math.max(...wals.map((w) => walIdOf(w.file)));
    this.#writeRun(this.#job, records, this.#runs, { replaces: [], walCovered: covered });
  }

  #startCompaction(inputs: Run[]): void {
    const newest = new Map<string, Framed>();
    for (const run of inputs) {
      for (const framed of readRun(this.#disk, run.file).records) {
        const held = newest.get(framed.record.key);
        if (held === undefined || held.record.seq < framed.record.seq) newest.set(framed.record.key, framed);
      }
    }
    const records = [...newest.values()].sort(byKey);
    const job: Job = {
      kind: "compaction",
      run: this.#emptyRun(),
      dropped: [],
      inputs,
      startedUs: this.#options.nowUs(),
    };
    this.#job = job;
    const outside = this.#runs.filter((run) => !inputs.includes(run));
    this.#writeRun(job, records, outside, { replaces: inputs.map((r) => r.id), walCovered: 0 });
  }

  /** Writes `records` as the job's run, less the collectable ones no run of `outside` would reveal. */
  #writeRun(job: Job, records: Framed[], outside: readonly Run[], header: RunHeader): void {
    const frames: Uint8Array[] = [framePayload(textEncoder.encode(JSON.stringify(header)))];
    const dropped = job.dropped;
    for (const { record, frame } of records) {
      if (mayCollect(record.siblings) && this.#options.collectable(record.siblings)) {
        // An older record of the key elsewhere would show again once this one is gone.
        const olderOutside = outside.some((run) => (run.index.get(record.key) ?? Infinity) < record.seq);
        if (!olderOutside) {
          dropped.push(record);
          continue;
        }
      }
      frames.push(frame);
      addToRun(job.run, record);
    }
    const bytes = concatBytes(frames);
    job.run.bytes = bytes.length;
    this.#figures.bytesWrittenDevice += bytes.length;
    this.#disk.append(tmpFile(job.run.id), bytes);
    this.#disk.fsync(tmpFile(job.run.id));
  }

  #install(job: Job): void {
    this.#disk.rename(tmpFile(job.run.id), job.run.file);
    if (job.kind === "compaction") {
      for (const input of job.inputs) this.#disk.delete(input.file);
      this.#runs = this.#runs.filter((run) => !job.inputs.includes(run));
      const inputBytes = job.inputs.reduce((n, r) => n + r.bytes, 0);
      this.#figures.bytesReclaimed += Math.max(0, inputBytes - job.run.bytes);
      const durationUs = Math.max(0, this.#options.nowUs() - job.startedUs);
      this.#figures.compactions++;
      this.#figures.compactionUsTotal += durationUs;
      this.#options.record("compaction_us", durationUs);
      this.#options.record("compaction_bytes", job.run.bytes);
    } else {
      this.#covered.push(...job.wals);
    }
    this.#runs.push(job.run);
    if (!(this.#runs.length <= runsMax)) {
      assert(false, `${this.#runs.length} runs, above ${runsMax}: compaction fell behind`);
    }
    this.#job = undefined;
    this.#figures.recordsCollected += job.dropped.length;
    for (const record of job.dropped) {
      const newer = this.#memtable.has(record.key) || this.#runs.some((run) => run.index.has(record.key));
      if (!newer) this.#options.onCollected(record.key, record.siblings);
    }
    this.#deleteIdleCovered();
    this.#report();
    this.maintain();
  }

  #report(): void {
    const f = this.#figures;
    const r = this.#reported;
    this.#options.record("segments", this.#runs.length);
    this.#options.record("bytes_written_logical", f.bytesWrittenLogical - r.logical);
    this.#options.record("bytes_written_device", f.bytesWrittenDevice - r.device);
    this.#options.record("kv_bytes_reclaimed", f.bytesReclaimed - r.reclaimed);
    this.#reported = { logical: f.bytesWrittenLogical, device: f.bytesWrittenDevice, reclaimed: f.bytesReclaimed };
  }

  #deleteIdleCovered(): void {
    if (this.#covered.length === 0) return;
    const idle = this.#covered.filter((w) => !w.busy);
    for (const wal of idle) this.#disk.delete(wal.file);
    this.#covered = this.#covered.filter((w) => w.busy);
  }

  #emptyRun(): Run {
    return runWithId(this.#nextId++);
  }

  #openWal(id: number) {
    return LogStore.open<KeyRecord>(this.#disk, walFile(id), recordCodec);
  }

  // ------------------------------------------------------------------ recovery

  #recover(): { records: Map<string, KeyRecord>; cut?: string } {
    const files = this.#disk.list();
    const ids = files.map(fileId).filter((id) => id !== undefined) as number[];
    this.#nextId = Math.max(0, ...ids) + 1;
    for (const file of files) if (file.startsWith("run-") && file.endsWith(".tmp")) this.#disk.delete(file);
    const cuts: string[] = [];
    const loaded = files.filter((f) => f.startsWith("run-") && f.endsWith(".sst")).map((file) => {
      const read = readRun(this.#disk, file);
      if (read.problem !== undefined) cuts.push(`${file}: ${read.problem}`);
      return { file, ...read };
    });
    const replaced = new Set(loaded.flatMap((run) => run.header.replaces));
    const walCovered = Math.max(0, ...loaded.map((run) => run.header.walCovered));
    const newest = new Map<string, KeyRecord>();
    const keep = (record: KeyRecord) => {
      const held = newest.get(record.key);
      if (held === undefined || held.seq < record.seq) newest.set(record.key, record);
      this.#nextSeq = Math.max(this.#nextSeq, record.seq + 1);
    };
    for (const run of loaded) {
      const id = fileId(run.file)!;
      if (replaced.has(id)) {
        this.#disk.delete(run.file);
        continue;
      }
      const restored: Run = { ...runWithId(id), bytes: this.#disk.size(run.file) };
      for (const { record } of run.records) {
        addToRun(restored, record);
        keep(record);
      }
      this.#runs.push(restored);
    }
    const walIds = files.filter((f) => f.startsWith("wal-")).map(walIdOf).sort((a, b) => a - b);
    for (const id of walIds) {
      if (id <= walCovered) {
        this.#disk.delete(walFile(id));
        continue;
      }
      const opened = this.#openWal(id);
      if (opened.cut !== undefined) cuts.push(`${walFile(id)}: ${opened.cut}`);
      this.#wals.push(opened.log);
      for (const record of opened.records) {
        keep(record);
        const frame = encodeRecordFrame(record);
        this.#memtable.set(record.key, { record, frame });
        this.#memtableBytes += frame.length;
        if (isTombstone(record.siblings)) this.#memtableTombstones++;
      }
    }
    // The memtable's replayed records stay in their logs until a flush covers them; appends go to a new one.
    this.#wals.push(this.#openWal(this.#nextId++).log);
    return { records: newest, cut: cuts.length === 0 ? undefined : cuts.join("; ") };
  }
}

function runWithId(id: number): Run {
  return { id, file: runFile(id), bytes: 0, index: new Map(), collectables: new Map(), tombstones: 0 };
}

function addToRun(run: Run, record: KeyRecord): void {
  run.index.set(record.key, record.seq);
  if (mayCollect(record.siblings)) run.collectables.set(record.key, record.siblings);
  if (isTombstone(record.siblings)) run.tombstones++;
}

/** A run file's header and records (with their frames), up to its first bad frame. */
function readRun(disk: NodeDiskApi, file: string): { header: RunHeader; records: Framed[]; problem?: string } {
  const decoded = decodeFrames(disk.read(file), rawCodec);
  if (decoded.records.length === 0) {
    return { header: { replaces: [], walCovered: 0 }, records: [], problem: decoded.problem ?? "no header" };
  }
  const header = JSON.parse(textDecoder.decode(decoded.records[0])) as RunHeader;
  const records = decoded.records.slice(1).map((payload) => ({
    record: decodeRecord(payload),
    frame: frameOf(payload),
  }));
  return { header, records, problem: decoded.problem };
}

/** The frame around a payload `decodeFrames` cut from a file's bytes: its header sits just before it. */
function frameOf(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(
    payload.buffer,
    payload.byteOffset - frameHeaderBytes,
    frameHeaderBytes + payload.length,
  );
  assert(
    new DataView(frame.buffer, frame.byteOffset).getUint32(0, true) === payload.length,
    "a payload outside its frame",
  );
  return frame;
}

function byKey(a: Framed, b: Framed): number {
  return a.record.key < b.record.key ? -1 : a.record.key > b.record.key ? 1 : 0;
}

const runFile = (id: number) => `run-${id}.sst`;
const tmpFile = (id: number) => `run-${id}.tmp`;
const walFile = (id: number) => `wal-${id}.log`;
const walIdOf = (file: string) => Number(file.slice(4, -4));

/** The id in a store file's name (`run-<id>.sst`, `run-<id>.tmp`, `wal-<id>.log`), or undefined. */
function fileId(file: string): number | undefined {
  const match = /^(?:run|wal)-(\d+)\.(?:sst|tmp|log)$/.exec(file);
  return match === null ? undefined : Number(match[1]);
}
