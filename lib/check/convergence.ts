/**
 * The convergence checker: after faults heal and the system goes quiet, every replica must hold
 * the same state (TigerBeetle's "caught-up replicas hold byte-identical data"; for eventually
 * consistent stores, the convergence half of eventual consistency). The caller takes the states
 * once the recovery phase ended; this checker only compares them.
 *
 * States are compared by value, not identity: `null`, booleans, numbers, strings, arrays, plain
 * objects, `Map`s with string keys (compared as the object with those entries), `Set`s (compared
 * as their members, whatever the insertion order) and `Uint8Array`s (compared as their bytes).
 * Object properties whose value is `undefined` are absent, as in JSON. Anything else (functions,
 * class instances, bigints, symbols, `undefined` elsewhere) is rejected naming the replica and the
 * path, since comparing it would silently compare something other than the data.
 *
 * When every state is a map (a plain object or a `Map`), a divergence is reported key by key:
 * each key whose values differ, with the value on each replica that holds it and the replicas
 * that lack it. Whatever the states, the replicas are grouped by equal state. Everything is
 * ordered by code unit (replicas, keys) or by group size, so the output is the same on every run.
 *
 * @example
 * ```ts
 * import { checkConvergence } from "./convergence.ts";
 * const result = checkConvergence({ n1: { x: 1, y: 2 }, n2: { x: 1, y: 2 }, n3: { x: 1, y: 3 } });
 * result.valid; // false
 * result.details.divergent; // ["n3"]
 * result.details.differences; // [{ key: "y", values: [{ replica: "n1", value: 2 }, ...], absent: [] }]
 * ```
 * @module
 */
import { assert, checkNumber, InputError } from "../assert.ts";
import type { CheckResult } from "./result.ts";

/** Options of a convergence check. */
export interface ConvergenceOptions {
  /** Differing keys kept in the report (the first in key order); all are counted. Default 32. */
  differencesMax?: number;
  /** Nesting depth beyond which a state is rejected, which also stops at a cyclic state. Default 64. */
  depthMax?: number;
}

/** Replicas holding one state. */
export interface ReplicaGroup {
  /** By name. */
  replicas: string[];
  /** The state they hold (in its compared form), given only when the states are not maps. */
  value?: unknown;
}

/** One key of map states whose values differ between replicas. */
export interface KeyDifference {
  key: string;
  /** The value on each replica that holds the key, by replica name. */
  values: { replica: string; value: unknown }[];
  /** The replicas that lack the key, by name. */
  absent: string[];
}

/** The details of a convergence check. */
export type ConvergenceDetails = {
  /** All replicas, by name. */
  replicas: string[];
  /** "map" when every state is a map, so differences are reported per key; "value" otherwise. */
  shape: "map" | "value";
  /** Replicas grouped by equal state: largest group first, ties by first replica name. */
  groups: ReplicaGroup[];
  /**
   * Replicas outside the largest group when one group is strictly the largest; every replica when
   * the largest groups tie (no state has a plurality); none when all agree.
   */
  divergent: string[];
  /** For map states, the differing keys (the first `differencesMax` in key order). */
  differences: KeyDifference[];
  /** How many keys differ (more than are kept). */
  differenceCount: number;
};

/** The result of a convergence check. */
export interface ConvergenceResult extends CheckResult {
  details: ConvergenceDetails;
}

/**
 * Checks that every replica holds an equal state.
 *
 * @param replicaStates each replica's state, by replica name (at least one)
 * @param options how many differences to keep, how deep a state may nest
 * @returns valid true when all states are equal, false otherwise, with groups and differences
 * @throws InputError when there is no replica, or a state holds something that cannot be compared
 */
export function checkConvergence(
  replicaStates: Record<string, unknown>,
  options: ConvergenceOptions = {},
): ConvergenceResult {
  if (replicaStates === null || typeof replicaStates !== "object" || Array.isArray(replicaStates)) {
    throw new InputError("replicaStates must be an object mapping each replica's name to its state");
  }
  const differencesMax = checkNumber("differencesMax", options.differencesMax ?? 32, { min: 0, integer: true });
  const depthMax = checkNumber("depthMax", options.depthMax ?? 64, { min: 1, integer: true });
  const replicas = Object.keys(replicaStates).sort(compareText);
  if (replicas.length === 0) throw new InputError("replicaStates names no replica: there is nothing to compare");
  const states = new Map(replicas.map((replica) => {
    const state = replicaStates[replica];
    if (state === undefined) {
      throw new InputError(`replica ${replica} has no state (undefined): give null, or leave the replica out`);
    }
    return [replica, canonical(state, { replica, path: "state", depth: 0, depthMax })];
  }));
  const shape = [...states.values()].every((s) => s.entries !== undefined) ? "map" : "value";
  const groups = groupReplicas(replicas, states, shape);
  const allDifferences = shape === "map" && groups.length > 1 ? diffKeys(replicas, states) : [];
  const details: ConvergenceDetails = {
    replicas,
    shape,
    groups,
    divergent: divergentReplicas(groups),
    differences: allDifferences.slice(0, differencesMax),
    differenceCount: allDifferences.length,
  };
  assert((groups.length === 1) === (details.divergent.length === 0), "replicas diverge exactly when states differ");
  assert(shape === "value" || (groups.length > 1) === (allDifferences.length > 0), "map states differ on a key");
  const valid = groups.length === 1;
  return { checker: "convergence", valid, message: summarize(details), details };
}

/** A state in its compared form: plain data, and a text equal exactly when the data is equal. */
interface Canonical {
  plain: unknown;
  text: string;
  /** For a map, each entry's compared form, so keys can be compared one by one. */
  entries?: Map<string, Canonical>;
}

interface Where {
  replica: string;
  path: string;
  depth: number;
  depthMax: number;
}

/** Code-unit order: no locale, so the order is the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The compared form of `value`, or an InputError naming the replica and path of what cannot be compared. */
function canonical(value: unknown, where: Where): Canonical {
  if (where.depth > where.depthMax) {
    throw new InputError(
      `replica ${where.replica}: ${where.path} nests deeper than depthMax ${where.depthMax} (a cycle?)`,
    );
  }
  if (value === null || typeof value === "boolean") return { plain: value, text: String(value) };
  if (typeof value === "number") return { plain: value, text: Number.isNaN(value) ? "NaN" : String(value) };
  if (typeof value === "string") return { plain: value, text: JSON.stringify(value) };
  if (Array.isArray(value)) return canonicalList(value, where);
  if (value instanceof Uint8Array) return canonicalList([...value], where);
  if (value instanceof Set) {
    const members = [...value].map((member, i) => canonical(member, inside(where, `${where.path}.<member ${i}>`)));
    members.sort((a, b) => compareText(a.text, b.text));
    return { plain: members.map((m) => m.plain), text: `[${members.map((m) => m.text).join(",")}]` };
  }
  if (value instanceof Map) {
    const entries = [...value.entries()];
    const bad = entries.find(([key]) => typeof key !== "string");
    if (bad !== undefined) {
      throw new InputError(`replica ${where.replica}: ${where.path} is a Map with a key that is not a string`);
    }
    return canonicalEntries(entries as [string, unknown][], where);
  }
  const prototype = typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (prototype === Object.prototype || prototype === null) {
    return canonicalEntries(Object.entries(value as object), where);
  }
  throw new InputError(
    `replica ${where.replica}: ${where.path} is ${describe(value)}; allowed: null, booleans, numbers, ` +
      `strings, arrays, plain objects, Maps with string keys, Sets, Uint8Arrays`,
  );
}

function inside(where: Where, path: string): Where {
  return { ...where, path, depth: where.depth + 1 };
}

function canonicalList(items: readonly unknown[], where: Where): Canonical {
  const parts = items.map((item, i) => {
    if (item === undefined) {
      throw new InputError(`replica ${where.replica}: ${where.path}[${i}] is undefined; allowed in a list: values`);
    }
    return canonical(item, inside(where, `${where.path}[${i}]`));
  });
  return { plain: parts.map((p) => p.plain), text: `[${parts.map((p) => p.text).join(",")}]` };
}

/** Entries sorted by key, undefined values left out (as JSON does). */
function canonicalEntries(entries: [string, unknown][], where: Where): Canonical {
  const kept = entries.filter(([, v]) => v !== undefined).sort((a, b) => compareText(a[0], b[0]));
  const plain: Record<string, unknown> = {};
  const texts: string[] = [];
  const parts = new Map<string, Canonical>();
  for (const [key, v] of kept) {
    const part = canonical(v, inside(where, `${where.path}[${JSON.stringify(key)}]`));
    // defineProperty, not assignment, so a key named "__proto__" is data like any other.
    Object.defineProperty(plain, key, { value: part.plain, enumerable: true, writable: true, configurable: true });
    parts.set(key, part);
    texts.push(`${JSON.stringify(key)}:${part.text}`);
  }
  return { plain, text: `{${texts.join(",")}}`, entries: parts };
}

function describe(value: unknown): string {
  if (typeof value !== "object") return `a ${typeof value}`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name ? `an instance of ${name}` : "an object of an unknown kind";
}

/** Groups replicas by equal state: largest group first, ties by first replica name. */
function groupReplicas(
  replicas: readonly string[],
  states: ReadonlyMap<string, Canonical>,
  shape: "map" | "value",
): ReplicaGroup[] {
  const byText = new Map<string, ReplicaGroup>();
  for (const replica of replicas) {
    const state = states.get(replica)!;
    let group = byText.get(state.text);
    if (group === undefined) {
      byText.set(state.text, group = shape === "value" ? { replicas: [], value: state.plain } : { replicas: [] });
    }
    group.replicas.push(replica);
  }
  return [...byText.values()].sort((a, b) =>
    b.replicas.length - a.replicas.length || compareText(a.replicas[0], b.replicas[0])
  );
}

function divergentReplicas(groups: readonly ReplicaGroup[]): string[] {
  if (groups.length === 1) return [];
  const plurality = groups[0].replicas.length > groups[1].replicas.length;
  const outside = plurality ? groups.slice(1) : groups;
  return outside.flatMap((g) => g.replicas).sort(compareText);
}

/** Every key whose value differs between the map states, or which some replicas lack, in key order. */
function diffKeys(replicas: readonly string[], states: ReadonlyMap<string, Canonical>): KeyDifference[] {
  const maps = replicas.map((replica) => {
    const entries = states.get(replica)!.entries;
    assert(entries !== undefined, `replica ${replica}'s state is a map`);
    return { replica, entries };
  });
  const keys = [...new Set(maps.flatMap(({ entries }) => [...entries.keys()]))].sort(compareText);
  const differences: KeyDifference[] = [];
  for (const key of keys) {
    const holders = maps.filter(({ entries }) => entries.has(key));
    const texts = new Set(holders.map(({ entries }) => entries.get(key)!.text));
    if (texts.size === 1 && holders.length === maps.length) continue;
    differences.push({
      key,
      values: holders.map(({ replica, entries }) => ({ replica, value: entries.get(key)!.plain })),
      absent: maps.filter(({ entries }) => !entries.has(key)).map(({ replica }) => replica),
    });
  }
  return differences;
}

function summarize(details: ConvergenceDetails): string {
  const count = details.replicas.length;
  if (details.groups.length === 1) return `${count} replica${count === 1 ? "" : "s"} hold equal state`;
  const groups = details.groups.map((g) => g.replicas.join(", ")).join(" | ");
  const plurality = details.divergent.length < count;
  const who = plurality
    ? `${details.divergent.join(", ")} diverge${details.divergent.length === 1 ? "s" : ""} from ${
      details.groups[0].replicas.join(", ")
    }`
    : `no state is held by more replicas than every other (${groups})`;
  if (details.shape === "value") return `${details.groups.length} distinct states: ${who}`;
  const keys = details.differences.slice(0, 8).map((d) => JSON.stringify(d.key)).join(", ");
  const more = details.differenceCount > 8 ? ", ..." : "";
  return `${details.differenceCount} key(s) differ (${keys}${more}): ${who}`;
}
