/**
 * A necessary condition for a register (read/write, and cas `[expected, new]`), checked before
 * the search in O(n log n): a read of `v` needs some operation that makes the state `v` (a write
 * of `v`, a cas to `v`, or the initial value) that no acknowledged write of another value must
 * follow before the read is called. When every such producer is shadowed, the read is stale in
 * every order, and the search, which would have to exhaust every order before the read to say so,
 * is spared. A read that passes proves nothing: the search still decides the history.
 *
 * A producer P of `v` is shadowed for read R when some setter W of another value (an ok write, or
 * an ok cas, which leaves its new value) is called after P returns and returns before R is called:
 * W must then take effect between P and R. An info producer is never shadowed (it may take effect
 * at any time after its call).
 *
 * @module
 */
import type { Operation } from "./operations.ts";
import { canonicalJson, equalValues } from "./models.ts";

/** A read no order can explain, and the acknowledged setter that hides its value's last producer. */
export interface StaleRead {
  read: Operation;
  /** The setter called last among those that must come between every producer and the read. */
  shadow: Operation;
  /** The value the shadow leaves. */
  shadowValue: unknown;
}

/**
 * The first read (by call) of `operations` (one register's read/write/cas operations) whose
 * value every producer (the initial value among them) has lost by the time it is called, or
 * undefined.
 */
export function findStaleRead(operations: readonly Operation[]): StaleRead | undefined {
  const setters = operations.filter((op) => op.known && (op.f === "write" || op.f === "cas"))
    .sort((a, b) => a.returnIndex - b.returnIndex);
  const producers = new Map<string, Operation[]>();
  for (const op of operations) {
    if (op.f !== "write" && op.f !== "cas") continue;
    // Values are grouped as the models compare them, as structures: `{"a":1,"b":2}` produces a
    // read of `{"b":2,"a":1}`.
    const key = canonicalJson(valueSet(op));
    producers.set(key, [...(producers.get(key) ?? []), op]);
  }
  // By call: the setters that returned before a read is called only grow along this order.
  const reads = operations.filter((op) => op.known && op.f === "read").sort((a, b) => a.callIndex - b.callIndex);
  // The two latest-called setters of different values among those returned so far: for any value,
  // one of them is a setter of another value, called as late as any such setter.
  let latest: Operation | undefined;
  let latestOther: Operation | undefined;
  let next = 0;
  for (const read of reads) {
    for (; next < setters.length && setters[next].returnIndex < read.callIndex; next++) {
      const setter = setters[next];
      if (latest === undefined || setter.callIndex > latest.callIndex) {
        if (latest !== undefined && !equalValues(valueSet(latest), valueSet(setter))) latestOther = latest;
        latest = setter;
      } else if (!equalValues(valueSet(latest), valueSet(setter))) {
        if (latestOther === undefined || setter.callIndex > latestOther.callIndex) latestOther = setter;
      }
    }
    const shadow = latest !== undefined && !equalValues(valueSet(latest), read.output) ? latest : latestOther;
    if (shadow === undefined) continue;
    const canProduce = (producer: Operation) =>
      producer.callIndex < read.returnIndex && producer.returnIndex >= shadow.callIndex;
    // The initial value is a producer that returned before everything: the shadow hides it too.
    if (!(producers.get(canonicalJson(read.output)) ?? []).some(canProduce)) {
      return { read, shadow, shadowValue: valueSet(shadow) };
    }
  }
  return undefined;
}

/** The value an operation leaves when it takes effect (a cas: its new value). */
function valueSet(op: Operation): unknown {
  return op.f === "cas" ? (op.input as [unknown, unknown])[1] : op.input;
}
