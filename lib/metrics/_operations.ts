/**
 * Pairs each client invocation of a history with its completion: latency, windows, staleness and
 * recovery all start from these pairs, and so do systems' own checks (exported by mod.ts).
 *
 * @module
 */
import { InputError } from "../assert.ts";
import type { Op } from "../history/mod.ts";

/** A history's events: an array of them, or anything holding them, such as a `History`. */
export type Events = readonly Op[] | { readonly events: readonly Op[] };

/** One client operation that completed, with the positions of its two events in the history. */
export interface CompletedOperation {
  invocation: Op;
  completion: Op;
  /** Position of the invocation among the history's events. */
  invokeIndex: number;
  /** Position of the completion among the history's events; orders events that share a time. */
  completeIndex: number;
}

/** The events of `events`, whichever form it came in. */
export function eventsOf(events: Events): readonly Op[] {
  if (Array.isArray(events)) return events;
  const holder = events as { readonly events?: readonly Op[] };
  if (!Array.isArray(holder.events)) {
    throw new InputError("events must be an array of history events or a History (an object with .events)");
  }
  return holder.events;
}

/**
 * The completed client operations in completion order. Invocations never completed (pending at
 * the end) are left out. A history whose times go backwards, or whose process completes an
 * operation it never invoked, is refused with the event's position.
 */
export function completedOperations(events: readonly Op[]): CompletedOperation[] {
  const open = new Map<number, { op: Op; index: number }>();
  const completed: CompletedOperation[] = [];
  let timePrevious = -Infinity;
  events.forEach((op, index) => {
    if (!(op.time >= timePrevious)) {
      throw new InputError(`history event ${index} at ${op.time} us comes after one at ${timePrevious} us`);
    }
    timePrevious = op.time;
    if (op.process === "nemesis") return;
    const invocation = open.get(op.process);
    if (op.type === "invoke") {
      if (invocation !== undefined) {
        throw new InputError(
          `history event ${index}: process ${op.process} invoked ${op.f} with ${invocation.op.f} open`,
        );
      }
      open.set(op.process, { op, index });
      return;
    }
    if (invocation === undefined) {
      throw new InputError(`history event ${index}: process ${op.process} completed ${op.f} without an invocation`);
    }
    open.delete(op.process);
    completed.push({ invocation: invocation.op, completion: op, invokeIndex: invocation.index, completeIndex: index });
  });
  return completed;
}

/** The first index of sorted `values` whose value is at least `target` (`values.length` if none). */
export function lowerBound(values: ArrayLike<number>, target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
