/**
 * From a history's events to operations: each invocation paired with its completion.
 *
 * - `ok`: the operation happened between its invocation and completion;
 * - `fail`: it did not happen, so it is dropped;
 * - `info`, or no completion at all: it may have happened at any point after its invocation, or
 *   never; its completion is placed at infinity, and a read whose result is unknown constrains
 *   nothing, so it is dropped.
 *
 * Times are positions in the history (events are in real-time order), which keeps ties out.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import type { Op } from "../history/mod.ts";

/** A paired operation. */
export interface Operation {
  /** Index among the operations of the history (or of its key). */
  id: number;
  process: number;
  f: string;
  key: string | undefined;
  /** The value the invocation carried. */
  input: unknown;
  /** The value the completion carried (undefined when unknown). */
  output: unknown;
  /** Position of the invocation in the history. */
  callIndex: number;
  /** Position of the completion, or Infinity when unknown (info or never completed). */
  returnIndex: number;
  /** Whether the outcome is known (ok) or not (info or pending). */
  known: boolean;
}

/** Functions whose unknown outcome leaves nothing to check (they change no state). */
const readOnly = new Set(["read", "get"]);

/**
 * Pairs invocations with completions one event at a time, so a history can be streamed: only
 * open invocations and the paired operations are kept.
 */
export class OperationPairer {
  readonly #open = new Map<number, { op: Op; index: number }>();
  readonly #operations: Operation[] = [];
  #index = 0;
  #timeLast = -Infinity;
  #clientEvents = 0;

  /** Client events (not the nemesis's) taken so far. */
  get clientEvents(): number {
    return this.#clientEvents;
  }

  /**
   * Takes the next event; throws naming the event when a process breaks the protocol or the event
   * is earlier than the one before it. Events must come in real-time order: they are judged in the
   * order given, so an out-of-order file is refused rather than judged in an order it does not mean.
   */
  push(op: Op): void {
    const index = this.#index++;
    if (op.time < this.#timeLast) {
      throw new InputError(
        `event ${index + 1}: time ${op.time} is before the previous event's time ${this.#timeLast}; ` +
          `events must be in real-time order (sort the history by time)`,
      );
    }
    this.#timeLast = op.time;
    if (op.process === "nemesis") return;
    this.#clientEvents++;
    const process = op.process;
    const pending = this.#open.get(process);
    if (op.type === "invoke") {
      if (pending !== undefined) {
        throw new InputError(
          `event ${index + 1}: process ${process} invokes ${op.f} while its ${pending.op.f} is open`,
        );
      }
      this.#open.set(process, { op, index });
      return;
    }
    if (pending === undefined) {
      throw new InputError(`event ${index + 1}: process ${process} completes ${op.f} without an invocation`);
    }
    if (pending.op.f !== op.f) {
      throw new InputError(`event ${index + 1}: process ${process} completes ${op.f} but invoked ${pending.op.f}`);
    }
    this.#open.delete(process);
    this.#emit(pending, op, index);
  }

  /** Closes the history: invocations never completed are unknown. Returns operations by call. */
  finish(): Operation[] {
    for (const pending of [...this.#open.values()].sort((a, b) => a.index - b.index)) {
      this.#emit(pending, undefined, Infinity);
    }
    this.#open.clear();
    const operations = this.#operations.sort((a, b) => a.callIndex - b.callIndex);
    operations.forEach((operation, i) => (operation.id = i));
    return operations;
  }

  #emit(invocation: { op: Op; index: number }, completion: Op | undefined, returnIndex: number): void {
    if (completion?.type === "fail") return;
    const known = completion?.type === "ok";
    if (!known && readOnly.has(invocation.op.f)) return;
    this.#operations.push({
      id: this.#operations.length,
      process: invocation.op.process as number,
      f: invocation.op.f,
      key: invocation.op.key,
      input: invocation.op.value,
      output: known ? completion!.value : undefined,
      callIndex: invocation.index,
      returnIndex: known ? returnIndex : Infinity,
      known,
    });
  }
}

/** Pairs the invocations and completions of a whole history. */
export function pairOperations(events: Iterable<Op>): Operation[] {
  const pairer = new OperationPairer();
  for (const op of events) pairer.push(op);
  return pairer.finish();
}

/** Pairs the events of a streamed history (see `readHistory`). */
export async function pairOperationsFrom(events: AsyncIterable<Op>): Promise<Operation[]> {
  const pairer = new OperationPairer();
  for await (const op of events) pairer.push(op);
  return pairer.finish();
}

/** Splits operations by key (operations without a key form one group), renumbering each group. */
export function partitionByKey(operations: readonly Operation[]): Map<string | undefined, Operation[]> {
  const groups = new Map<string | undefined, Operation[]>();
  for (const operation of operations) {
    let group = groups.get(operation.key);
    if (group === undefined) groups.set(operation.key, group = []);
    group.push({ ...operation, id: group.length });
  }
  return groups;
}
