/**
 * A hash tree over the key-hash space, for anti-entropy (Dynamo §4.7, Cassandra's repair): a
 * fixed-depth tree of {@linkcode merkleFanout}-way nodes whose leaves split the 32-bit key-hash
 * space into equal ranges. A leaf's hash combines its keys' version hashes and a parent's combines
 * its children's; the combination is addition modulo 2³², so a write updates one path from its
 * leaf to the root in O(depth) without rehashing any sibling subtree. Two replicas compare roots,
 * then only the children of nodes that differ, level by level, and exchange the keys of the leaves
 * that differ: a single differing key costs about fanout × depth hashes and that leaf's keys.
 *
 * @example
 * ```ts
 * import { MerkleTree } from "./merkle.ts";
 * const a = new MerkleTree();
 * const b = new MerkleTree();
 * a.set("k1", 7);
 * b.set("k1", 7);
 * a.set("k2", 9);
 * a.hashes(0, [0])[0] === b.hashes(0, [0])[0]; // false: the roots differ
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import { hash32 } from "./ring.ts";

/** Children per node. */
export const merkleFanout = 16;
/** Levels below the root: the leaves are at this level. */
export const merkleLeafLevel = 3;
/** Bits of the key hash each level takes. */
const bitsPerLevel = Math.log2(merkleFanout);

/** A hash tree over the keys one node shares with one peer. */
export class MerkleTree {
  /** Node hashes by level; level 0 is the root. */
  readonly #levels: Uint32Array[] = [];
  /** Each key's hash as the tree holds it (its leaf's share). */
  readonly #keyHashes = new Map<string, number>();
  /** Each leaf's keys. */
  readonly #leafKeys = new Map<number, Set<string>>();

  constructor() {
    for (let level = 0; level <= merkleLeafLevel; level++) {
      this.#levels.push(new Uint32Array(merkleFanout ** level));
    }
  }

  /** The leaf a key falls in. */
  static leafOf(key: string): number {
    return hash32(key) >>> (32 - bitsPerLevel * merkleLeafLevel);
  }

  /** Sets a key's version hash (undefined: the key is gone), updating the path to the root. */
  set(key: string, hash: number | undefined): void {
    this.setInLeaf(key, MerkleTree.leafOf(key), hash);
  }

  /** {@linkcode set} for a caller that knows the key's leaf (`leafOf(key)`), saving the key's hash. */
  setInLeaf(key: string, leaf: number, hash: number | undefined): void {
    const before = this.#keyHashes.get(key);
    if (before === hash) return;
    const delta = ((hash ?? 0) - (before ?? 0)) >>> 0;
    for (let level = merkleLeafLevel; level >= 0; level--) {
      const index = leaf >>> (bitsPerLevel * (merkleLeafLevel - level));
      this.#levels[level][index] = (this.#levels[level][index] + delta) >>> 0;
    }
    if (hash === undefined) {
      this.#keyHashes.delete(key);
      const keys = this.#leafKeys.get(leaf);
      keys?.delete(key);
      if (keys?.size === 0) this.#leafKeys.delete(leaf);
      return;
    }
    this.#keyHashes.set(key, hash);
    if (before !== undefined) return; // already among its leaf's keys
    let keys = this.#leafKeys.get(leaf);
    if (keys === undefined) this.#leafKeys.set(leaf, keys = new Set());
    keys.add(key);
  }

  /** The hashes of `nodes` of `level`. */
  hashes(level: number, nodes: readonly number[]): number[] {
    assert(level >= 0 && level <= merkleLeafLevel, `level ${level} is outside 0..${merkleLeafLevel}`);
    const row = this.#levels[level];
    return nodes.map((node) => {
      if (!(node >= 0 && node < row.length)) assert(false, `node ${node} is outside level ${level}`);
      return row[node];
    });
  }

  /** The nodes among `nodes` of `level` whose hash differs from `theirs` (same order). */
  differing(level: number, nodes: readonly number[], theirs: readonly number[]): number[] {
    assert(nodes.length === theirs.length, "a hash for every node");
    const mine = this.hashes(level, nodes);
    return nodes.filter((_, i) => mine[i] !== theirs[i]);
  }

  /** The keys of `leaves`. */
  keysOf(leaves: readonly number[]): string[] {
    return leaves.flatMap((leaf) => [...(this.#leafKeys.get(leaf) ?? [])]);
  }
}

/** The children of `nodes` (of one level), in order. */
export function childrenOf(nodes: readonly number[]): number[] {
  return nodes.flatMap((node) => Array.from({ length: merkleFanout }, (_, i) => node * merkleFanout + i));
}

/**
 * Runs the descent between two trees as the nodes do, without messages: from the roots, the
 * children of every differing node, down to the leaves. Returns the leaves that differ and the
 * hashes the two sides sent each other.
 */
export function merkleDescent(a: MerkleTree, b: MerkleTree): { leaves: number[]; hashesSent: number } {
  let nodes = [0];
  let hashesSent = 0;
  for (let level = 0; level <= merkleLeafLevel; level++) {
    hashesSent += nodes.length;
    const differing = b.differing(level, nodes, a.hashes(level, nodes));
    if (differing.length === 0 || level === merkleLeafLevel) return { leaves: differing, hashesSent };
    nodes = childrenOf(differing);
  }
  return { leaves: [], hashesSent };
}
