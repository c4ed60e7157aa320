/**
 * Linearizability of one key's get/append history, decided in O(n log n) steps and one memory
 * comparison per read when every append adds a value no other append adds and no appended value
 * is a prefix of another (Raft's workload appends `process:sequence;`), in the manner of Elle's
 * list-append inference.
 *
 * Such a key's state only grows, so the values reads return must be prefixes of one another, and
 * the longest read spells out, uniquely (a prefix-free code decodes one way), the order in which
 * the appends it holds took effect. What is left is a chain: appends in that order, each followed
 * by the reads of the state it made; then the acknowledged appends no read saw. A chain of
 * intervals has linearization points iff the earliest-point greedy finds them: each operation
 * takes effect at the later of its call and the previous point, and must not pass its return.
 * Appends with an unknown outcome that no read saw are left out: they never took effect, or took
 * effect after every read, which no operation can tell apart.
 *
 * When the key's operations do not qualify (a put, a repeated or prefix value, a non-string
 * read), the caller falls back to the general search.
 *
 * @module
 */
import { assert } from "../assert.ts";
import type { Operation } from "./operations.ts";

/** The verdict of the append-order check on one key. */
export type AppendOrderVerdict =
  | { valid: true }
  | {
    valid: false;
    /** The forced order up to the operation that could not take effect, with the state after each. */
    linearized: { operation: Operation; stateAfter: string }[];
    stuck: Operation;
    stateAtStuck: string;
  };

/**
 * Decides `operations` (one key, kv model, initial value `initial`) by append order, or returns
 * undefined when the key's operations are not distinct prefix-free appends and string reads.
 */
export function checkAppendOrder(operations: readonly Operation[], initial: string): AppendOrderVerdict | undefined {
  if (!operations.every((op) => op.f === "append" || op.f === "get")) return undefined;
  const appends = operations.filter((op) => op.f === "append");
  // A read whose result is unknown says nothing about the state.
  const reads = operations.filter((op) => op.f === "get" && op.output !== undefined);
  if (!appends.every((op) => typeof op.input === "string" && op.input !== "")) return undefined;
  if (!reads.every((op) => typeof op.output === "string")) return undefined;
  const byValue = new Map(appends.map((op) => [op.input as string, op]));
  if (byValue.size !== appends.length || !prefixFree([...byValue.keys()])) return undefined;
  const longest = reads.reduce<Operation | undefined>(
    (best, op) => best === undefined || (op.output as string).length > (best.output as string).length ? op : best,
    undefined,
  );
  const decoded = decode(longest === undefined ? initial : longest.output as string, initial, byValue);
  if (!("order" in decoded)) return { valid: false, ...decoded, stuck: longest! };
  return placeGreedily(decoded.order, reads, appends, initial);
}

/** Whether no value is a prefix of another (sorted, a prefix sits right before its extensions). */
function prefixFree(values: string[]): boolean {
  values.sort();
  for (let i = 1; i < values.length; i++) if (values[i].startsWith(values[i - 1])) return false;
  return true;
}

/** The appends `value` holds after `initial`, in order, or why it cannot be the key's state. */
function decode(
  value: string,
  initial: string,
  byValue: ReadonlyMap<string, Operation>,
): { order: Operation[] } | { linearized: { operation: Operation; stateAfter: string }[]; stateAtStuck: string } {
  const lengths = [...new Set([...byValue.keys()].map((v) => v.length))].sort((a, b) => a - b);
  const order: Operation[] = [];
  const used = new Set<Operation>();
  const failure = (at: number) => ({
    linearized: showOrder(order.slice(-8), initial, order),
    stateAtStuck: show(value.slice(0, at)),
  });
  if (!value.startsWith(initial)) return failure(0);
  for (let at = initial.length; at < value.length;) {
    const length = lengths.find((l) => byValue.has(value.slice(at, at + l)));
    // A part no append wrote, or an append read twice: no order of the appends makes this state.
    if (length === undefined) return failure(at);
    const op = byValue.get(value.slice(at, at + length))!;
    if (used.has(op)) return failure(at);
    used.add(op);
    order.push(op);
    at += length;
  }
  return { order };
}

/** Places the chain (appends in `order`, the reads of each state, then unseen ok appends). */
function placeGreedily(
  order: readonly Operation[],
  reads: readonly Operation[],
  appends: readonly Operation[],
  initial: string,
): AppendOrderVerdict {
  const versionOf = new Map<number, number>();
  let length = initial.length;
  versionOf.set(length, 0);
  order.forEach((op, i) => versionOf.set(length += (op.input as string).length, i + 1));
  const readsOf: Operation[][] = Array.from({ length: order.length + 1 }, () => []);
  const longest = order.length === 0 ? initial : initial + order.map((op) => op.input as string).join("");
  // The state of each version as a view of `longest`, made once. A read is that state when it has
  // its length and equals it: string equality is a memory comparison, where startsWith and
  // character loops cost several times more, and reads hold most of a history's bytes (a read
  // returns the whole list, so their total grows with the square of the appends).
  const states: (string | undefined)[] = [];
  for (const read of reads) {
    const output = read.output as string;
    const version = versionOf.get(output.length);
    if (version === undefined || output !== (states[version] ??= longest.slice(0, output.length))) {
      return stuckAt(read, order, commonVersion(output, longest, versionOf), initial);
    }
    readsOf[version].push(read);
  }
  // Points are history positions; a call at a position precedes a return at the same position.
  let point = -Infinity;
  for (let version = 0; version <= order.length; version++) {
    if (version > 0) {
      const append = order[version - 1];
      point = Math.max(point, append.callIndex);
      if (point > append.returnIndex) return stuckAt(append, order, version - 1, initial);
    }
    let groupEnd = point;
    for (const read of readsOf[version]) {
      const at = Math.max(point, read.callIndex);
      if (at > read.returnIndex) return stuckAt(read, order, version, initial);
      groupEnd = Math.max(groupEnd, at);
    }
    point = groupEnd;
  }
  const seen = new Set(order);
  for (const append of appends) {
    if (seen.has(append) || !append.known) continue;
    if (Math.max(point, append.callIndex) > append.returnIndex) return stuckAt(append, order, order.length, initial);
  }
  return { valid: true };
}

/** The versions of `longest` that `output` agrees with: the last boundary it shares. */
function commonVersion(output: string, longest: string, versionOf: ReadonlyMap<number, number>): number {
  let shared = 0;
  while (shared < output.length && shared < longest.length && output[shared] === longest[shared]) shared++;
  let version = 0;
  for (const [length, v] of versionOf) if (length <= shared && v > version) version = v;
  return version;
}

function stuckAt(stuck: Operation, order: readonly Operation[], version: number, initial: string): AppendOrderVerdict {
  assert(version >= 0 && version <= order.length, `version ${version} is outside 0..${order.length}`);
  const placed = order.slice(0, version);
  return {
    valid: false,
    linearized: showOrder(placed.slice(-8), initial, placed),
    stuck,
    stateAtStuck: show(initial + placed.map((op) => op.input as string).join("")),
  };
}

/** `tail` (the last operations of `all`) with the state after each. */
function showOrder(tail: readonly Operation[], initial: string, all: readonly Operation[]) {
  let state = initial + all.slice(0, all.length - tail.length).map((op) => op.input as string).join("");
  return tail.map((operation) => ({ operation, stateAfter: show(state += operation.input as string) }));
}

const show = (value: string) => JSON.stringify(value);
