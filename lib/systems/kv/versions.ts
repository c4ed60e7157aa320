/**
 * Dotted version vectors (Preguiça, Baquero et al., "Dotted Version Vectors: Efficient Causality
 * Tracking for Distributed Key-Value Stores"): every stored version of a key is a sibling with a
 * dot, the (node, counter) event that wrote it, and a causal context, the version vector of what
 * its writer had read. A sibling is obsolete once some other sibling's context covers its dot.
 * Unlike plain version vectors with a per-node counter, two concurrent writes through one
 * coordinator get distinct dots and neither hides the other.
 *
 * The rules that keep this sound, as Riak applies them: a dot is issued only by a home replica of
 * the key, from the largest counter of its own it has seen for that key (so its dots for a key are
 * contiguous), and a coordinator replicates its whole sibling set for the key, not just the new
 * sibling, so a replica that holds a dot also holds (or has seen obsoleted) every earlier dot of
 * the same node for that key.
 *
 * @example
 * ```ts
 * import { contextOf, sync, write } from "./versions.ts";
 * const timestamp = { wallUs: 1, logical: 0 };
 * const a = write([], { node: 0, context: {}, value: "x", timestamp });
 * const b = write([], { node: 1, context: {}, value: "y", timestamp });
 * sync(a, b).length; // 2: concurrent writes are both kept
 * write(sync(a, b), { node: 0, context: contextOf(sync(a, b)), value: "z", timestamp }).length; // 1
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import { compareTimestamps, type Timestamp } from "./hlc.ts";

/** Counters by node id: everything up to the counter of each node. */
export type VersionVector = Readonly<Record<number, number>>;

/** One write event: the `counter`-th write to a key coordinated by `node`. */
export interface Dot {
  node: number;
  counter: number;
}

/** One stored version of a key. */
export interface Sibling {
  dot: Dot;
  /** What the writer had read: the siblings it meant to replace. */
  context: VersionVector;
  /** The value, or null for a delete (a tombstone). */
  value: string | null;
  /** The HLC timestamp of the write, for last-writer-wins. */
  timestamp: Timestamp;
  /** When the value expires (the writer's wall clock plus its TTL); absent: never. */
  expiresAtUs?: number;
}

/** Most siblings one key may hold: a client that never reads before writing would pile them up. */
export const siblingsMax = 64;

/** Whether `vector` includes the event `dot`. */
export function covers(vector: VersionVector, dot: Dot): boolean {
  return (vector[dot.node] ?? 0) >= dot.counter;
}

/** The smallest vector covering both. */
export function mergeVectors(a: VersionVector, b: VersionVector): VersionVector {
  const merged: Record<number, number> = { ...a };
  // `for in` visits integer keys in ascending order, as `Object.entries` does, without its arrays.
  for (const node in b) merged[node] = Math.max(merged[node] ?? 0, b[node]);
  return merged;
}

/** The causal context a read of `siblings` gives the client: every context and dot they hold. */
export function contextOf(siblings: readonly Sibling[]): VersionVector {
  // Counters are positive, so the first context is taken whole: a spread copies it far faster
  // than a loop over its keys, and most keys hold one sibling.
  let merged: Record<number, number> | undefined;
  for (const s of siblings) {
    const context = s.context;
    if (merged === undefined) merged = { ...context };
    else for (const node in context) merged[node] = Math.max(merged[node] ?? 0, context[node]);
    merged[s.dot.node] = Math.max(merged[s.dot.node] ?? 0, s.dot.counter);
  }
  return merged ?? {};
}

/** A write at a coordinator: its node, what the client had read, and the new value. */
export interface Write {
  node: number;
  context: VersionVector;
  value: string | null;
  timestamp: Timestamp;
  expiresAtUs?: number;
  /**
   * The coordinator's last issued counter, over every key: the new dot's counter is above it. A
   * node starts each incarnation above anything an earlier one issued, so a write lost in a crash
   * (but maybe replicated) never has its dot issued again for another value.
   */
  counterFloor?: number;
}

/**
 * The siblings after coordinator `write.node` applies a write to its own `siblings`: the ones the
 * client had read are replaced, concurrent ones stay, and the new sibling gets the next dot of the
 * coordinator for this key.
 */
export function write(siblings: readonly Sibling[], w: Write): Sibling[] {
  const local = contextOf(siblings);
  const counter = Math.max(local[w.node] ?? 0, w.context[w.node] ?? 0, w.counterFloor ?? 0) + 1;
  const sibling: Sibling = {
    dot: { node: w.node, counter },
    context: w.context,
    value: w.value,
    timestamp: w.timestamp,
    ...(w.expiresAtUs === undefined ? {} : { expiresAtUs: w.expiresAtUs }),
  };
  const kept = siblings.filter((s) => !covers(w.context, s.dot));
  kept.push(sibling);
  return bounded(kept);
}

/**
 * Two replicas' siblings of one key merged (replication, read repair, anti-entropy, hinted
 * handoff): the union by dot, less every sibling another's context covers. Commutative,
 * associative and idempotent, so replicas that exchange in any order converge.
 */
export function sync(a: readonly Sibling[], b: readonly Sibling[]): Sibling[] {
  // Sibling sets are small (one, under last-writer-wins): a linear search by dot beats hashing.
  const all: Sibling[] = [];
  for (let i = 0; i < a.length + b.length; i++) {
    const s = i < a.length ? a[i] : b[i - a.length];
    const at = indexOfDot(all, s.dot);
    if (at >= 0) {
      const seen = all[at];
      // One dot names one write: two replicas holding different values under it is corruption.
      if (seen.value !== s.value) {
        assert(false, `dot ${s.dot.node}:${s.dot.counter} carries two values: ${seen.value} and ${s.value}`);
      }
      // Last-writer-wins may have widened one copy's context (see lastWriterWins): keep both.
      if (seen.context !== s.context) all[at] = { ...seen, context: mergeVectors(seen.context, s.context) };
      continue;
    }
    all.push(s);
  }
  const live = all.filter((s) => !all.some((t) => t !== s && covers(t.context, s.dot)));
  // A canonical order, so equal states compare and hash equal on every replica.
  live.sort((x, y) => x.dot.node - y.dot.node || x.dot.counter - y.dot.counter);
  return bounded(live);
}

/**
 * The sibling last-writer-wins keeps: the latest timestamp, ties broken by the writer's node
 * (largest wins), so every replica picks the same one.
 */
export function newest(siblings: readonly Sibling[]): Sibling | undefined {
  let best: Sibling | undefined;
  for (const s of siblings) if (best === undefined || compareWriters(s, best) > 0) best = s;
  return best;
}

/** Last-writer-wins order: by timestamp, then by the writer's dot. */
export function compareWriters(a: Pick<Sibling, "timestamp" | "dot">, b: Pick<Sibling, "timestamp" | "dot">): number {
  return compareTimestamps(a.timestamp, b.timestamp) || a.dot.node - b.dot.node || a.dot.counter - b.dot.counter;
}

/**
 * Last-writer-wins: the newest sibling alone, its context widened by every sibling it beats, so
 * syncing with a replica that still holds a loser drops the loser again, and the coordinator's
 * contexts keep every dot it ever issued for the key.
 */
export function lastWriterWins(siblings: readonly Sibling[]): Sibling[] {
  if (siblings.length <= 1) return [...siblings];
  const winner = newest(siblings)!;
  const losers = siblings.filter((s) => s !== winner);
  return [{ ...winner, context: mergeVectors(winner.context, contextOf(losers)) }];
}

/** Whether two sibling sets are the same state (sync sorts them canonically). */
export function sameSiblings(a: readonly Sibling[], b: readonly Sibling[]): boolean {
  if (a.length !== b.length) return false;
  for (const s of b) if (indexOfDot(a, s.dot) < 0) return false;
  return true;
}

/** The index of the sibling of `siblings` with dot `dot`, or -1. */
function indexOfDot(siblings: readonly Sibling[], dot: Dot): number {
  for (let i = 0; i < siblings.length; i++) {
    if (siblings[i].dot.node === dot.node && siblings[i].dot.counter === dot.counter) return i;
  }
  return -1;
}

function bounded(siblings: Sibling[]): Sibling[] {
  if (!(siblings.length <= siblingsMax)) {
    assert(
      false,
      `a key holds ${siblings.length} siblings, more than ${siblingsMax}: clients must read before writing`,
    );
  }
  return siblings;
}
