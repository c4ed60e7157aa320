/**
 * Simulated storage: a disk device per host, shared by the nodes placed on it, and a set of
 * files per node with a page cache that is lost on crash unless fsynced.
 *
 * A write goes to the page cache when it completes; it becomes durable only when a later fsync of
 * that file completes. At a crash the unsynced writes of each file are resolved by the disk's
 * `unsyncedOnCrash` policy: by default a random in-order prefix of them survives and the first
 * lost one may be torn (a prefix of its bytes lands), which is how ext4 with delayed allocation
 * and most SSD caches behave. Metadata operations (truncate, rename, delete) are immediate and
 * durable; the loss model covers file contents.
 *
 * The device serves operations in FIFO order: each takes a drawn latency plus its bytes at the
 * device's throughput, and never starts sooner than the IOPS budget allows. Nodes on one host
 * queue behind each other, which is how a noisy neighbour slows a co-located database's fsyncs.
 * A node may also have its own throughput cap (a quota). Hooks stall, slow, fill and corrupt.
 *
 * @example
 * ```ts
 * import { DiskDevice, NodeFiles } from "./disk.ts";
 * const files = new NodeFiles();
 * files.applyWrite("wal", -1, new Uint8Array([1, 2, 3]));
 * files.durableLength("wal"); // 0 until an fsync completes
 * ```
 * @module
 */
import { assert, checkNumber, InputError } from "../assert.ts";
import { type Distribution, distribution, type DistributionSpec } from "./distributions.ts";
import type { Rng } from "../base/mod.ts";

/** What happens to unsynced writes at a crash. */
export type UnsyncedOnCrash = "random" | "lose" | "keep" | "torn";

/** Settings of one disk device. */
export interface DiskOptions {
  /** Latency of a write into the device, in microseconds. Default uniform 20-60 us. */
  writeLatencyUs?: DistributionSpec;
  /** Latency of an fsync. Default lognormal, median 500 us. */
  fsyncLatencyUs?: DistributionSpec;
  /** Throughput in bytes per second; 0 means unlimited. Default 500 MB/s. */
  bytesPerSecond?: number;
  /** Operations per second; 0 means unlimited. Default 0. */
  iops?: number;
  /** Capacity in bytes; writes that would exceed it fail with a disk-full error. Default 1 TiB. */
  capacityBytes?: number;
  /** Page size used to count bytes the device writes, for write amplification. Default 4096. */
  pageSizeBytes?: number;
  /**
   * Fate of unsynced writes at a crash: "random" (default), "lose" (all), "keep" (power-loss
   * protection) or "torn" (the first unsynced write of each file lands in part, the rest are lost).
   */
  unsyncedOnCrash?: UnsyncedOnCrash;
  /** With "random": probability that the first lost write is torn rather than wholly lost. Default 0.5. */
  tornWriteProbability?: number;
}

const diskOptionNames = [
  "writeLatencyUs",
  "fsyncLatencyUs",
  "bytesPerSecond",
  "iops",
  "capacityBytes",
  "pageSizeBytes",
  "unsyncedOnCrash",
  "tornWriteProbability",
];

/** The result a node receives when one of its disk operations completes. */
export interface DiskCompletion {
  op: "write" | "fsync";
  file: string;
  /** The caller's tag, returned untouched. */
  tag: unknown;
  ok: boolean;
  /** Why it failed, when `ok` is false (for example a full disk). */
  error?: string;
  /** Bytes written, for writes. */
  sizeBytes: number;
}

/** A disk device on one host, shared by the nodes placed there. */
export class DiskDevice {
  readonly writeLatency: Distribution;
  readonly fsyncLatency: Distribution;
  bytesPerSecond: number;
  iops: number;
  capacityBytes: number;
  readonly pageSizeBytes: number;
  readonly unsyncedOnCrash: UnsyncedOnCrash;
  readonly tornWriteProbability: number;
  /** When the device finishes what it has accepted. */
  busyUntilUs = 0;
  /** Operations completing before this time wait until it (a stall). */
  stalledUntilUs = 0;
  /** Multiplies every service time (a slow disk). */
  slowFactor = 1;
  /** Multiplies fsync latencies only (slow flushes, as a failing SSD shows). */
  fsyncSlowFactor = 1;
  /** Growth of writes in flight, held against the capacity until they complete. */
  reservedBytes = 0;
  /** Operations served and busy time, for utilisation. */
  operations = 0;
  busyUs = 0;

  constructor(options: DiskOptions = {}) {
    for (const name of Object.keys(options)) {
      if (!diskOptionNames.includes(name)) {
        throw new InputError(`unknown disk option ${JSON.stringify(name)}; allowed: ${diskOptionNames.join(", ")}`);
      }
    }
    this.writeLatency = distribution(options.writeLatencyUs ?? { kind: "uniform", min: 20, max: 60 });
    this.fsyncLatency = distribution(options.fsyncLatencyUs ?? { kind: "lognormal", median: 500, sigma: 0.3 });
    this.bytesPerSecond = checkNumber("disk.bytesPerSecond", options.bytesPerSecond ?? 500e6, { min: 0 });
    this.iops = checkNumber("disk.iops", options.iops ?? 0, { min: 0 });
    this.capacityBytes = checkNumber("disk.capacityBytes", options.capacityBytes ?? 2 ** 40, { min: 0 });
    this.pageSizeBytes = checkNumber("disk.pageSizeBytes", options.pageSizeBytes ?? 4096, { min: 1, integer: true });
    const policy = options.unsyncedOnCrash ?? "random";
    if (!["random", "lose", "keep", "torn"].includes(policy)) {
      throw new InputError(
        `disk.unsyncedOnCrash must be one of random, lose, keep, torn; got ${JSON.stringify(policy)}`,
      );
    }
    this.unsyncedOnCrash = policy;
    this.tornWriteProbability = checkNumber("disk.tornWriteProbability", options.tornWriteProbability ?? 0.5, {
      min: 0,
      max: 1,
    });
  }

  /**
   * Accepts an operation at `nowUs` and returns its completion time. `quota` is the issuing
   * node's own cap, if it has one; its clock advances too.
   */
  schedule(nowUs: number, serviceUs: number, sizeBytes: number, quota: DiskQuota | undefined): number {
    const deviceStartUs = Math.max(nowUs, this.busyUntilUs, this.stalledUntilUs);
    const startUs = quota === undefined ? deviceStartUs : Math.max(deviceStartUs, quota.busyUntilUs, quota.doneUs);
    let durationUs = serviceUs;
    if (this.bytesPerSecond > 0) durationUs += (sizeBytes * 1e6) / this.bytesPerSecond;
    durationUs *= this.slowFactor;
    if (this.iops > 0) durationUs = Math.max(durationUs, 1e6 / this.iops);
    durationUs = Math.max(1, Math.round(durationUs));
    const completionUs = startUs + durationUs;
    // The device spends the service time in its FIFO turn. A wait for the node's own quota is the
    // node's, not the device's (a throttle holds requests before the device queue), so other nodes
    // are not held behind it.
    this.busyUntilUs = deviceStartUs + durationUs;
    this.busyUs += durationUs;
    this.operations++;
    if (quota !== undefined) {
      // The node's next operation starts no sooner than its cap allows, nor before this one
      // completes, so its operations complete in the order it issued them.
      if (quota.bytesPerSecond > 0) quota.busyUntilUs = startUs + Math.round((sizeBytes * 1e6) / quota.bytesPerSecond);
      quota.doneUs = completionUs;
    }
    return completionUs;
  }
}

/** A per-node cap on disk throughput, enforced on top of the shared device. */
export interface DiskQuota {
  bytesPerSecond: number;
  /** When the cap lets the node's next operation start. */
  busyUntilUs: number;
  /** When the node's operations issued so far have all completed. */
  doneUs: number;
}

interface FileState {
  /** What reads see (the page cache). */
  data: Uint8Array;
  length: number;
  /** What survives a crash. */
  durable: Uint8Array;
  durableLength: number;
  /** Writes in the page cache not yet fsynced, oldest first. */
  pending: { offset: number; bytes: Uint8Array }[];
}

/** Counters of one node's storage. */
export interface StorageStats {
  /** Bytes the node asked to write. */
  bytesWritten: number;
  /** Bytes the device wrote: each fsync writes every page its pending writes touched. */
  bytesWrittenToDevice: number;
  writes: number;
  fsyncs: number;
  /** Unsynced writes lost (wholly or torn) at crashes. */
  writesLostAtCrash: number;
  writesTornAtCrash: number;
}

/** One node's files on its host's disk. */
export class NodeFiles {
  #files = new Map<string, FileState>();
  /** Buffers of deleted, replaced or outgrown files, zeroed, for growing files to reuse. */
  #spares: Uint8Array[] = [];
  #spareBytes = 0;
  readonly stats: StorageStats = {
    bytesWritten: 0,
    bytesWrittenToDevice: 0,
    writes: 0,
    fsyncs: 0,
    writesLostAtCrash: 0,
    writesTornAtCrash: 0,
  };

  /** File names, sorted. */
  list(): string[] {
    return [...this.#files.keys()].sort();
  }

  /** Whether `file` exists. */
  exists(file: string): boolean {
    return this.#files.has(file);
  }

  /** Current length of `file` as reads see it (0 when missing). */
  size(file: string): number {
    return this.#files.get(file)?.length ?? 0;
  }

  /** Length of the durable contents of `file`. */
  durableLength(file: string): number {
    return this.#files.get(file)?.durableLength ?? 0;
  }

  /** Bytes held by all files (the larger of cached and durable length each). */
  totalBytes(): number {
    let total = 0;
    for (const file of this.#files.values()) total += Math.max(file.length, file.durableLength);
    return total;
  }

  /** A copy of `length` bytes of `file` from `offset` (default: all), as reads see it now. */
  read(file: string, offset = 0, length?: number): Uint8Array {
    const state = this.#files.get(file);
    if (state === undefined) return new Uint8Array(0);
    const end = length === undefined ? state.length : Math.min(state.length, offset + length);
    return state.data.slice(Math.min(offset, end), end);
  }

  /** A copy of the durable contents of `file`: what a crash right now would leave at worst. */
  readDurable(file: string): Uint8Array {
    const state = this.#files.get(file);
    return state === undefined ? new Uint8Array(0) : state.durable.slice(0, state.durableLength);
  }

  /** How many bytes a write at `offset` (-1: append) of `sizeBytes` would add to the file. */
  growthBytes(file: string, offset: number, sizeBytes: number): number {
    const length = this.size(file);
    const start = offset < 0 ? length : offset;
    return Math.max(0, start + sizeBytes - length);
  }

  /** Puts a completed write into the page cache; `offset` -1 appends. */
  applyWrite(file: string, offset: number, bytes: Uint8Array): void {
    const state = this.#open(file);
    // A write past the end (after a truncate that raced it) leaves a hole of zeros, as POSIX does.
    const start = offset < 0 ? state.length : offset;
    state.data = this.#ensureCapacity(state.data, start + bytes.length);
    state.data.set(bytes, start);
    state.length = Math.max(state.length, start + bytes.length);
    state.pending.push({ offset: start, bytes });
    this.stats.bytesWritten += bytes.length;
    this.stats.writes++;
  }

  /** Makes every pending write of `file` durable and returns the bytes the device wrote for it. */
  applyFsync(file: string, pageSizeBytes: number): number {
    this.stats.fsyncs++;
    const state = this.#files.get(file);
    if (state === undefined || state.pending.length === 0) return 0;
    for (const write of state.pending) {
      state.durable = this.#ensureCapacity(state.durable, write.offset + write.bytes.length);
      state.durable.set(write.bytes, write.offset);
      state.durableLength = Math.max(state.durableLength, write.offset + write.bytes.length);
    }
    const deviceBytes = pagesTouched(state.pending, pageSizeBytes) * pageSizeBytes;
    state.pending = [];
    this.stats.bytesWrittenToDevice += deviceBytes;
    if (!(state.durableLength <= state.length)) assert(false, `durable part of ${file} is longer than the file`);
    return deviceBytes;
  }

  /** Cuts `file` to `length` bytes, durably. */
  truncate(file: string, length: number): void {
    const state = this.#files.get(file);
    if (state === undefined) return;
    checkNumber(`truncate(${file}) length`, length, { min: 0, max: state.length, integer: true });
    // Zero what was cut, so that a write past the new end (one that raced the truncate) leaves a hole of zeros.
    state.data.fill(0, length, state.length);
    state.durable.fill(0, Math.min(state.durableLength, length), state.durableLength);
    state.length = length;
    state.durableLength = Math.min(state.durableLength, length);
    state.pending = state.pending
      .filter((write) => write.offset < length)
      .map((write) => ({ offset: write.offset, bytes: write.bytes.subarray(0, length - write.offset) }));
  }

  /** Renames `from` to `to` atomically and durably, replacing `to`. */
  rename(from: string, to: string): void {
    const state = this.#files.get(from);
    if (state === undefined) throw new InputError(`rename: no file ${JSON.stringify(from)}`);
    const replaced = this.#files.get(to);
    if (replaced !== undefined && replaced !== state) this.#release(replaced);
    this.#files.delete(from);
    this.#files.set(to, state);
  }

  /** Deletes `file`, durably. */
  delete(file: string): void {
    const state = this.#files.get(file);
    if (state !== undefined) this.#release(state);
    this.#files.delete(file);
  }

  /**
   * Resolves unsynced writes at a crash and drops the page cache. Returns how many writes were
   * lost or torn.
   */
  crash(policy: UnsyncedOnCrash, tornWriteProbability: number, rng: Rng): number {
    let lost = 0;
    for (const name of this.list()) {
      const state = this.#files.get(name)!;
      let survivors = state.pending.length;
      if (policy === "lose" || policy === "torn") survivors = 0;
      if (policy === "random") {
        survivors = 0;
        while (survivors < state.pending.length && rng.next() < 0.5) survivors++;
      }
      for (let i = 0; i < survivors; i++) this.#persist(state, state.pending[i].offset, state.pending[i].bytes);
      if (survivors < state.pending.length) {
        const first = state.pending[survivors];
        const tear = policy === "torn" || (policy === "random" && rng.bernoulli(tornWriteProbability));
        if (tear && first.bytes.length > 1) {
          this.#persist(state, first.offset, first.bytes.subarray(0, rng.int(1, first.bytes.length - 1)));
          this.stats.writesTornAtCrash++;
        }
        lost += state.pending.length - survivors;
      }
      state.pending = [];
      state.data = state.durable.slice();
      state.length = state.durableLength;
    }
    this.stats.writesLostAtCrash += lost;
    return lost;
  }

  /**
   * Flips `bitCount` random bits in bytes [fromByte, toByte) of `file`, in the durable contents and
   * the page cache alike (the medium itself is damaged). Returns the offsets hit.
   */
  flipBits(file: string, fromByte: number, toByte: number, bitCount: number, rng: Rng): number[] {
    const state = this.#files.get(file);
    if (state === undefined) throw new InputError(`flipBits: no file ${JSON.stringify(file)}`);
    const end = Math.min(toByte, Math.max(state.length, state.durableLength));
    if (fromByte < 0 || fromByte >= end) {
      throw new InputError(`flipBits: byte range [${fromByte}, ${toByte}) is outside ${file} (length ${state.length})`);
    }
    checkNumber("flipBits bitCount", bitCount, { min: 1, integer: true });
    const offsets: number[] = [];
    for (let i = 0; i < bitCount; i++) {
      const offset = rng.int(fromByte, end - 1);
      const mask = 1 << rng.int(0, 7);
      if (offset < state.durableLength) state.durable[offset] ^= mask;
      if (offset < state.length) state.data[offset] ^= mask;
      offsets.push(offset);
    }
    return offsets;
  }

  /**
   * `buffer`, or a larger one holding its bytes when `needed` bytes do not fit. A file's bytes past
   * its length are zeros (a write past the end leaves a hole of them), in every buffer it grows to.
   */
  #ensureCapacity(buffer: Uint8Array, needed: number): Uint8Array {
    if (needed <= buffer.length) return buffer;
    const size = Math.max(needed, buffer.length * 2, growthBytesMin);
    const grown = this.#takeSpare(size) ?? new Uint8Array(size);
    grown.set(buffer);
    this.#recycle(buffer);
    return grown;
  }

  /** The smallest spare buffer of at least `size` bytes, taken from the spares; undefined: none. */
  #takeSpare(size: number): Uint8Array | undefined {
    const spares = this.#spares;
    let best = -1;
    for (let i = 0; i < spares.length; i++) {
      if (spares[i].length >= size && (best < 0 || spares[i].length < spares[best].length)) best = i;
    }
    if (best < 0) return undefined;
    const [spare] = spares.splice(best, 1);
    this.#spareBytes -= spare.length;
    return spare;
  }

  /**
   * Keeps a buffer no file uses any more, zeroed, for a file to grow into: logs that are rewritten
   * and renamed over themselves, and a store's short-lived files, would otherwise allocate (and
   * zero) new buffers at every turn, which costs far more than the copy.
   */
  #recycle(buffer: Uint8Array): void {
    if (buffer.length < growthBytesMin || buffer.length + this.#spareBytes > spareBytesMax) return;
    buffer.fill(0);
    this.#spares.push(buffer);
    this.#spareBytes += buffer.length;
    if (this.#spares.length > sparesMax) this.#spareBytes -= this.#spares.shift()!.length;
  }

  #release(state: FileState): void {
    this.#recycle(state.data);
    if (state.durable !== state.data) this.#recycle(state.durable);
  }

  #persist(state: FileState, offset: number, bytes: Uint8Array): void {
    state.durable = this.#ensureCapacity(state.durable, offset + bytes.length);
    state.durable.set(bytes, offset);
    state.durableLength = Math.max(state.durableLength, offset + bytes.length);
  }

  #open(file: string): FileState {
    let state = this.#files.get(file);
    if (state === undefined) {
      if (file.length === 0) throw new InputError("a file name must not be empty");
      state = { data: new Uint8Array(256), length: 0, durable: new Uint8Array(256), durableLength: 0, pending: [] };
      this.#files.set(file, state);
    }
    return state;
  }
}

/**
 * How many distinct pages `writes` touch. Appends touch pages in ascending order, each sharing at
 * most its first page with the write before: those are counted as they come, anything else with a set.
 */
function pagesTouched(writes: readonly { offset: number; bytes: Uint8Array }[], pageSizeBytes: number): number {
  let pages = 0;
  let lastCounted = -1;
  for (const write of writes) {
    if (write.bytes.length === 0) continue;
    const first = Math.floor(write.offset / pageSizeBytes);
    const last = Math.floor((write.offset + write.bytes.length - 1) / pageSizeBytes);
    if (first < lastCounted) return pagesTouchedInAnyOrder(writes, pageSizeBytes);
    pages += last - Math.max(first, lastCounted + 1) + 1;
    lastCounted = last;
  }
  return pages;
}

function pagesTouchedInAnyOrder(writes: readonly { offset: number; bytes: Uint8Array }[], pageSizeBytes: number) {
  const pages = new Set<number>();
  for (const write of writes) {
    const last = Math.floor((write.offset + write.bytes.length - 1) / pageSizeBytes);
    for (let page = Math.floor(write.offset / pageSizeBytes); page <= last; page++) pages.add(page);
  }
  return pages.size;
}

/** Smallest capacity a file's buffer grows to: typed arrays are costly to allocate, so small steps are skipped. */
const growthBytesMin = 4096;
/** Most spare buffers one node's files keep, and most bytes they hold together. */
const sparesMax = 8;
const spareBytesMax = 1024 * 1024;
