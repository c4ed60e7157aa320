/**
 * Sibling policies: what the store does with concurrent versions of a key (see
 * {@linkcode SiblingPolicy}). `lww` resolves them on every merge; `keep` and `merge` keep them
 * until a client's write, whose context covers what it read, replaces them. The functions here
 * are pure: the node decides where to call them.
 *
 * @example
 * ```ts
 * import { readValue } from "./siblings.ts";
 * const timestamp = { wallUs: 1, logical: 0 };
 * const siblings = [
 *   { dot: { node: 0, counter: 1 }, context: {}, value: "a b", timestamp },
 *   { dot: { node: 1, counter: 1 }, context: {}, value: "c a", timestamp },
 * ];
 * readValue(siblings, "merge", 0); // "a b c"
 * readValue(siblings, "keep", 0); // "a b|c a"
 * ```
 * @module
 */
import { elementSeparator, type SiblingPolicy, siblingSeparator } from "./types.ts";
import { covers, lastWriterWins, newest, type Sibling, type VersionVector } from "./versions.ts";

/** The resolution a policy applies whenever siblings meet (a write, a sync, a read's merge). */
export function resolverFor(policy: SiblingPolicy): (siblings: readonly Sibling[]) => Sibling[] {
  return policy === "lww" ? lastWriterWins : keepAll;
}

function keepAll(siblings: readonly Sibling[]): Sibling[] {
  return [...siblings];
}

/** The elements of a set value: its words, once each, sorted. */
export function elementsOf(value: string): string[] {
  const elements = new Set(value.split(elementSeparator).filter((e) => e !== ""));
  return [...elements].sort();
}

/** The set value holding every element of `values`. */
export function unionOf(values: readonly string[]): string {
  return elementsOf(values.join(elementSeparator)).join(elementSeparator);
}

/** The siblings a read sees as values: neither deleted nor expired by `nowUs`. */
function liveValues(siblings: readonly Sibling[], nowUs: number): string[] {
  const values: string[] = [];
  for (const s of siblings) {
    if (s.value !== null && (s.expiresAtUs === undefined || s.expiresAtUs > nowUs)) values.push(s.value);
  }
  return values;
}

/**
 * What a read of `siblings` returns under `policy`: the newest sibling's value (`lww`; it may be
 * a tombstone, which reads as null), every live sibling's value sorted and joined by
 * {@linkcode siblingSeparator} (`keep`), or the union of their elements (`merge`). Null: nothing.
 */
export function readValue(siblings: readonly Sibling[], policy: SiblingPolicy, nowUs: number): string | null {
  if (policy === "lww") {
    const latest = newest(siblings);
    const expired = latest?.expiresAtUs !== undefined && latest.expiresAtUs <= nowUs;
    return expired ? null : latest?.value ?? null;
  }
  const values = liveValues(siblings, nowUs);
  if (values.length === 0) return null;
  if (policy === "merge") return unionOf(values);
  return [...new Set(values)].sort().join(siblingSeparator);
}

/**
 * The value a `merge` coordinator writes: the client's, with the elements of every sibling the
 * write replaces (its context covers them), so replacing a sibling never drops an element. A
 * delete (null) stays a delete: it removes what its client had seen.
 */
export function mergedWriteValue(
  siblings: readonly Sibling[],
  write: { context: VersionVector; value: string | null },
): string | null {
  if (write.value === null) return null;
  const replaced = siblings.filter((s) => s.value !== null && covers(write.context, s.dot)).map((s) => s.value!);
  return unionOf([write.value, ...replaced]);
}
