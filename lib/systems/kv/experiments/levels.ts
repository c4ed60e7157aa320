/**
 * Consistency chosen per request in the leaderless modes, as Cassandra's and Dynamo's clients
 * choose it: a request may name a level (`one`, `quorum`, `all`: R or W of 1, of the run's r or w,
 * or of N), else it takes its mode's. The CP modes (`linearizable`, `lease`) are a deployment on
 * Raft chosen per run, not per request.
 *
 * The history records a request's level where the workload chose one: a get's invocation carries
 * the level as its value, a put's value ends with `@<level>` (values stay unique). A delete takes
 * its mode's level.
 *
 * The check per class of requests, `fresh-reads`: a read of R replicas must return a version at
 * least as new as every write of W replicas acknowledged before the read was invoked, whenever
 * R + W > N (the two sets intersect, and last-writer-wins keeps the newest). Pairs with R + W ≤ N
 * promise nothing and are only counted. It holds with strict quorums; stand-ins (sloppy quorums)
 * break the intersection by design, so there it is a figure.
 *
 * @example
 * ```ts
 * import { levelOfInvocation } from "./levels.ts";
 * levelOfInvocation({ process: 0, type: "invoke", f: "put", key: "k", value: "0:3@quorum", time: 0 }, "one"); // "quorum"
 * ```
 * @module
 */
import { InputError } from "../../../assert.ts";
import type { Checker, Generator } from "../../../harness/mod.ts";
import type { Op } from "../../../history/mod.ts";
import { completedOperations } from "../../../metrics/mod.ts";
import { type KvLevel, kvLevels } from "../mod.ts";
import { isRaftMode, type KvStoreMode } from "./store.ts";

/** Refuses per-request levels in a CP mode, whose consistency is the deployment's. */
export function requireLevelMode(
  mode: KvStoreMode,
  fractions: { strongReadFraction: number; strongWriteFraction: number },
) {
  if ((fractions.strongReadFraction > 0 || fractions.strongWriteFraction > 0) && isRaftMode(mode)) {
    throw new InputError(
      `strongReadFraction and strongWriteFraction choose a level per request in the leaderless modes (quorum, one, ` +
        `session); mode ${mode} runs on Raft, whose consistency is chosen per run (set both to 0)`,
    );
  }
}

/** The level a request of a store in `mode` takes when it names none. */
export function modeLevel(mode: KvStoreMode): KvLevel {
  return mode === "quorum" ? "quorum" : "one";
}

/** The level an invocation of the history names, or `fallback` (its mode's). */
export function levelOfInvocation(invoke: Op, fallback: KvLevel): KvLevel {
  const named = invoke.f === "get"
    ? invoke.value
    : invoke.f === "put" && typeof invoke.value === "string"
    ? invoke.value.slice(invoke.value.lastIndexOf("@") + 1)
    : undefined;
  return (kvLevels as readonly unknown[]).includes(named) ? named as KvLevel : fallback;
}

/**
 * Sends a `readFraction` of `base`'s gets and a `writeFraction` of its puts at `level`, recorded
 * as the module says. At fractions 0 it draws nothing and `base` runs as it would alone.
 */
export function levelGenerator(
  base: Generator,
  options: { readFraction: number; writeFraction: number; level: KvLevel },
): Generator {
  const { readFraction, writeFraction, level } = options;
  for (const [name, fraction] of [["strongReadFraction", readFraction], ["strongWriteFraction", writeFraction]]) {
    if (!(Number(fraction) >= 0 && Number(fraction) <= 1)) {
      throw new InputError(`${name} must be in [0, 1], got ${fraction}`);
    }
  }
  if (readFraction === 0 && writeFraction === 0) return base;
  return {
    next(rng, context) {
      const request = base.next(rng, context);
      if (request.f === "get" && readFraction > 0 && rng.next() < readFraction) {
        return { ...request, value: level, consistency: level };
      }
      if (request.f === "put" && writeFraction > 0 && rng.next() < writeFraction) {
        return { ...request, value: `${request.value}@${level}`, consistency: level };
      }
      return request;
    },
  };
}

/** R or W of each level on a store of replication factor `n` and quorums `r`, `w`. */
export interface LevelSizes {
  n: number;
  r: number;
  w: number;
}

const readSize = (level: KvLevel, s: LevelSizes) => level === "one" ? 1 : level === "quorum" ? s.r : s.n;
const writeSize = (level: KvLevel, s: LevelSizes) => level === "one" ? 1 : level === "quorum" ? s.w : s.n;

/** What {@linkcode freshReadCounts} found, per class of read. */
export interface FreshReadCounts {
  /** Per read level: reads judged (some earlier write's W makes R + W > N), and those stale. */
  byLevel: Record<KvLevel, { reads: number; judged: number; stale: number }>;
  /** The first stale read, described. */
  first?: string;
}

interface Done {
  level: KvLevel;
  invokeUs: number;
  completeUs: number;
  version: number;
  value: unknown;
}

/** Judges every acknowledged read against the acknowledged writes of a class it must see. */
export function freshReadCounts(events: readonly Op[], mode: KvStoreMode, sizes: LevelSizes): FreshReadCounts {
  const fallback = modeLevel(mode);
  const reads = new Map<string, Done[]>();
  const writes = new Map<string, Done[]>();
  for (const { invocation: invoke, completion: op } of completedOperations(events)) {
    if (op.type !== "ok" || invoke.key === undefined || op.version === undefined) continue;
    if (invoke.f !== "get" && invoke.f !== "put" && invoke.f !== "delete") continue;
    const into = invoke.f === "get" ? reads : writes;
    const list = into.get(invoke.key) ?? [];
    into.set(invoke.key, list);
    list.push({
      level: levelOfInvocation(invoke, fallback),
      invokeUs: invoke.time,
      completeUs: op.time,
      version: op.version,
      value: op.value,
    });
  }
  const byLevel = Object.fromEntries(kvLevels.map((l) => [l, { reads: 0, judged: 0, stale: 0 }])) as FreshReadCounts[
    "byLevel"
  ];
  const counts: FreshReadCounts = { byLevel };
  for (const [key, keyReads] of reads) {
    const keyWrites = [...(writes.get(key) ?? [])].sort((a, b) => a.completeUs - b.completeUs);
    for (const read of keyReads) {
      const tally = byLevel[read.level];
      tally.reads++;
      const r = readSize(read.level, sizes);
      let newest: Done | undefined;
      for (const write of keyWrites) {
        if (write.completeUs >= read.invokeUs) break;
        if (r + writeSize(write.level, sizes) <= sizes.n) continue;
        if (newest === undefined || write.version > newest.version) newest = write;
      }
      if (newest === undefined) continue;
      tally.judged++;
      if (read.version >= newest.version) continue;
      tally.stale++;
      counts.first ??=
        `a ${read.level} read of ${key} at ${read.invokeUs} us returned ${JSON.stringify(read.value)}, ` +
        `older than the ${newest.level} write of ${
          JSON.stringify(newest.value)
        } acknowledged at ${newest.completeUs} us`;
    }
  }
  return counts;
}

/** The checker `fresh-reads`: no read misses a write its class must see (`judge` false: counted only). */
export function freshReads(mode: KvStoreMode, sizes: LevelSizes, judge: boolean): Checker {
  return {
    name: "fresh-reads",
    check({ events }) {
      const counts = freshReadCounts(events, mode, sizes);
      const summary = kvLevels
        .filter((level) => counts.byLevel[level].reads > 0)
        .map((level) => {
          const t = counts.byLevel[level];
          return `${level} reads: ${t.reads}, ${t.judged} judged, ${t.stale} stale`;
        })
        .join("; ");
      const stale = kvLevels.reduce((n, level) => n + counts.byLevel[level].stale, 0);
      const suffix = judge ? "" : " (counted, not judged: stand-ins break the quorums' intersection)";
      return {
        checker: "fresh-reads",
        valid: !judge || stale === 0,
        message: (stale > 0 && judge ? `${counts.first}; ` : "") + summary + suffix,
        details: { byLevel: counts.byLevel },
      };
    },
  };
}
