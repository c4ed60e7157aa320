/**
 * The consistent-hash ring of the leaderless store, as Dynamo lays it out: each node owns
 * `virtualNodes` tokens on a 32-bit ring, a key belongs to the first token clockwise from its hash,
 * and its preference list is the first `n` distinct nodes met walking on from there. With enough
 * tokens per node the keys spread evenly and a node's departure spreads its load over many others.
 *
 * When a home replica is down, a sloppy quorum takes the next distinct nodes of the same walk (the
 * "substitutes"), so the nodes that stand in for a replica are the same for every coordinator.
 *
 * @example
 * ```ts
 * import { HashRing } from "./ring.ts";
 * const ring = new HashRing({ nodes: [0, 1, 2, 3, 4], virtualNodes: 16 });
 * ring.preferenceList("k1", 3); // three distinct nodes, the same on every call
 * ```
 * @module
 */
import { assert, InputError } from "../../assert.ts";

/** Most nodes a ring holds. */
export const ringNodesMax = 256;
/** Most tokens per node. */
export const virtualNodesMax = 1024;
/** Most preference lists a ring remembers per replication factor. */
const preferenceListsCachedMax = 65_536;

/** FNV-1a, 32 bits: cheap, stable across runs and platforms, and good enough to spread tokens. */
export function hash32(text: string): number {
  return hashFinish(hashText(hashStart, text));
}

/**
 * The state {@linkcode hash32} starts from: with {@linkcode hashText} and {@linkcode hashFinish},
 * the hash of a text fed in pieces without joining them, `hashFinish(hashText(hashText(hashStart,
 * a), b)) === hash32(a + b)`.
 */
export const hashStart = 0x811c9dc5;

/** Feeds `text` into the FNV-1a state `h`. */
export function hashText(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

const digits = new Uint8Array(16);

/** Feeds `value` as `String(value)` would spell it, without the string for whole numbers. */
export function hashNumber(h: number, value: number): number {
  if (!(Number.isSafeInteger(value) && value >= 0)) return hashText(h, String(value));
  // Digits from the lowest, exact for safe integers (a remainder, then a division with none).
  let count = 0;
  do {
    const digit = value % 10;
    digits[count++] = digit;
    value = (value - digit) / 10;
  } while (value > 0);
  while (count > 0) {
    h ^= 48 + digits[--count];
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** The hash of the text fed into the state `h`. */
export function hashFinish(h: number): number {
  // Murmur's finaliser: FNV alone leaves similar strings ("n1#2", "n1#3") close on the ring.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Options of a {@linkcode HashRing}. */
export interface HashRingOptions {
  /** The nodes on the ring (ids). */
  nodes: readonly number[];
  /** Tokens per node. */
  virtualNodes: number;
}

/** A consistent-hash ring with virtual nodes. Immutable once built. */
export class HashRing {
  readonly nodes: readonly number[];
  /** Token positions, ascending, and the node owning each. */
  readonly #tokens: Uint32Array;
  readonly #owners: Int32Array;
  /** Preference lists already walked, per replication factor: every request asks for its key's. */
  readonly #lists = new Map<number, Map<string, readonly number[]>>();

  constructor(options: HashRingOptions) {
    const { nodes, virtualNodes } = options;
    if (nodes.length === 0 || nodes.length > ringNodesMax) {
      throw new InputError(`a ring holds 1 to ${ringNodesMax} nodes, got ${nodes.length}`);
    }
    if (new Set(nodes).size !== nodes.length) throw new InputError(`ring nodes must be distinct: ${nodes.join(", ")}`);
    if (!Number.isInteger(virtualNodes) || virtualNodes < 1 || virtualNodes > virtualNodesMax) {
      throw new InputError(`virtualNodes must be a whole number from 1 to ${virtualNodesMax}, got ${virtualNodes}`);
    }
    this.nodes = [...nodes];
    const tokens: { at: number; node: number }[] = [];
    for (const node of nodes) {
      for (let i = 0; i < virtualNodes; i++) tokens.push({ at: hash32(`n${node}#${i}`), node });
    }
    // Ties (two tokens on one position) break by node id, so the order never depends on insertion.
    tokens.sort((a, b) => a.at - b.at || a.node - b.node);
    this.#tokens = Uint32Array.from(tokens, (t) => t.at);
    this.#owners = Int32Array.from(tokens, (t) => t.node);
  }

  /**
   * The distinct nodes met walking clockwise from `key`'s position, at most `count` of them: the
   * first `n` are its preference list, the rest its substitutes in order.
   */
  walk(key: string, count: number): number[] {
    assert(count >= 0 && count <= this.nodes.length, `walk of ${count} nodes on a ring of ${this.nodes.length}`);
    const start = this.#firstTokenAtOrAfter(hash32(key));
    const met: number[] = [];
    for (let i = 0; i < this.#tokens.length && met.length < count; i++) {
      const node = this.#owners[(start + i) % this.#tokens.length];
      if (!met.includes(node)) met.push(node);
    }
    assert(met.length === count, `the walk met ${met.length} of ${count} nodes`);
    return met;
  }

  /** The `n` home replicas of `key`, the first being its natural coordinator (one shared array per key). */
  preferenceList(key: string, n: number): readonly number[] {
    let lists = this.#lists.get(n);
    if (lists === undefined) {
      if (!Number.isInteger(n) || n < 1 || n > this.nodes.length) {
        throw new InputError(`replication factor must be 1 to ${this.nodes.length} (the ring's nodes), got ${n}`);
      }
      this.#lists.set(n, lists = new Map());
    }
    let list = lists.get(key);
    if (list === undefined) {
      // Bounded, should a workload draw keys without end.
      if (lists.size >= preferenceListsCachedMax) lists.clear();
      list = Object.freeze(this.walk(key, n));
      lists.set(key, list);
    }
    return list;
  }

  /** Index of the first token at or after `position`, wrapping to 0 past the last. */
  #firstTokenAtOrAfter(position: number): number {
    let lo = 0;
    let hi = this.#tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#tokens[mid] < position) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.#tokens.length ? 0 : lo;
  }
}
