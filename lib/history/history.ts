/**
 * The history of a run, in Jepsen's vocabulary: each client operation is an `invoke` event and a
 * completion `ok` (happened), `fail` (did not happen) or `info` (unknown: may or may not have
 * happened). Faults from the nemesis live in the same history, as `info` events of process
 * `"nemesis"` whose `f` is the fault kind and whose `value` names targets and details.
 *
 * Times are the kernel's true microseconds: the history is written by the harness, outside the
 * nodes, so it may see true time.
 *
 * @example
 * ```ts
 * import { History } from "./history.ts";
 * const history = new History();
 * history.add({ process: 0, type: "invoke", f: "write", value: 1, time: 10 });
 * history.add({ process: 0, type: "ok", f: "write", value: 1, time: 25 });
 * ```
 * @module
 */
import { assert } from "../assert.ts";

/** The kind of a history event. */
export type OpType = "invoke" | "ok" | "fail" | "info";

/** One event of a history. `process` is a client number, or `"nemesis"` for faults. */
export interface Op {
  process: number | "nemesis";
  type: OpType;
  f: string;
  key?: string;
  value: unknown;
  /** True time in microseconds. */
  time: number;
}

/** A history of events in true-time order. */
export class History {
  readonly events: Op[] = [];
  /** The open invocation of each client process: a process runs one operation at a time. */
  readonly #open = new Map<number, Op>();

  /** Appends an event; times never go backwards. */
  add(op: Op): void {
    const last = this.events[this.events.length - 1];
    assert(last === undefined || last.time <= op.time, `history event at ${op.time} after one at ${last?.time}`);
    this.events.push(op);
  }

  /** Records an invocation by client `process`, which must have no operation in progress. */
  invoke(op: Omit<Op, "type">): Op {
    assert(typeof op.process === "number", "clients are numbered processes");
    const open = this.#open.get(op.process);
    assert(open === undefined, `process ${op.process} invoked ${op.f} while its ${open?.f} is still open`);
    const invocation: Op = { ...op, type: "invoke" };
    this.add(invocation);
    this.#open.set(op.process, invocation);
    return invocation;
  }

  /** Records the completion of `invocation`: ok (happened), fail (did not) or info (unknown). */
  complete(invocation: Op, type: "ok" | "fail" | "info", value: unknown, time: number): Op {
    const process = invocation.process as number;
    assert(this.#open.get(process) === invocation, `process ${process} completed an operation that is not open`);
    this.#open.delete(process);
    const completion: Op = { process, type, f: invocation.f, value, time };
    if (invocation.key !== undefined) completion.key = invocation.key;
    this.add(completion);
    return completion;
  }

  /** Invocations still waiting for a completion (their outcome is unknown, as an info's). */
  openOperations(): Op[] {
    return [...this.#open.values()];
  }

  /** The nemesis events (fault starts and heals). */
  faults(): Op[] {
    return this.events.filter((op) => op.process === "nemesis");
  }

  /** The client events. */
  operations(): Op[] {
    return this.events.filter((op) => op.process !== "nemesis");
  }
}
