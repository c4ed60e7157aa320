/**
 * The history of a run, in Jepsen's vocabulary: each client operation is an `invoke` event and a
 * completion `ok` (happened), `fail` (did not happen) or `info` (unknown: may or may not have
 * happened). Faults from the nemesis live in the same history, as `info` events of process
 * `"nemesis"` whose `f` is the fault kind and whose `value` names targets and details.
 *
 * Times are the kernel's true microseconds: the history is written by the harness, outside the
 * nodes, so it may see true time.
 *
 * A history keeps every event in memory unless told otherwise. A long run that needs none of them
 * afterwards (a benchmark) keeps only the fault events (`retain: "faults"`): client events are
 * then counted, checked for the invoke/complete contract, passed to the `sink` if there is one
 * (a file writer, see `HistoryFileSink` in `stream.ts`), and dropped, so memory stays flat however
 * long the run.
 *
 * @example
 * ```ts
 * import { History } from "./history.ts";
 * const history = new History();
 * history.add({ process: 0, type: "invoke", f: "write", value: 1, time: 10 });
 * history.add({ process: 0, type: "ok", f: "write", value: 1, time: 25 });
 *
 * const counted = new History({ retain: "faults" });
 * const write = counted.invoke({ process: 0, f: "write", value: 1, time: 10 });
 * counted.complete(write, "ok", 1, 25);
 * counted.counts.ok; // 1
 * ```
 * @module
 */
import { assert, AssertionError, InputError } from "../assert.ts";

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
  /**
   * On a completion, the version the store gave what was read or written, where the client reports
   * one (the leaderless store's timestamp): a read's order among a key's writes, for session checks.
   */
  version?: number;
}

/** Receives a history's events as they are added, in order. */
export interface HistorySink {
  /** Takes one event; it must not be changed afterwards (the history may keep it too). */
  write(op: Op): void;
}

/** Options of a {@linkcode History}. */
export interface HistoryOptions {
  /**
   * What stays in memory: `"all"` events (the default), or only the nemesis's `"faults"` (as many
   * as the fault schedule has), in which case client events are counted and dropped.
   */
  retain?: "all" | "faults";
  /** Receives every event, client and nemesis, as it is added. Default: none. */
  sink?: HistorySink;
}

/** How many client events of each type a history has seen (nemesis events are not counted). */
export interface OperationCounts {
  invoke: number;
  ok: number;
  fail: number;
  info: number;
}

const retainNames = ["all", "faults"];

/** A history of events in true-time order. */
export class History {
  /** What stays in memory (see {@linkcode HistoryOptions.retain}). */
  readonly retain: "all" | "faults";
  readonly #events: Op[] = [];
  readonly #sink: HistorySink | undefined;
  readonly #counts: OperationCounts = { invoke: 0, ok: 0, fail: 0, info: 0 };
  /** The open invocation of each client process: a process runs one operation at a time. */
  readonly #open = new Map<number, Op>();
  #timeLast = -Infinity;

  constructor(options: HistoryOptions = {}) {
    const retain = options.retain ?? "all";
    if (!retainNames.includes(retain)) {
      throw new InputError(`history retain must be one of ${retainNames.join(", ")}; got ${JSON.stringify(retain)}`);
    }
    if (options.sink !== undefined && typeof options.sink.write !== "function") {
      throw new InputError("a history sink needs a write(op) method");
    }
    this.retain = retain;
    this.#sink = options.sink;
  }

  /**
   * Every event, in order. Only a history that retains all events has them.
   *
   * @throws InputError when the history keeps only faults
   */
  get events(): Op[] {
    if (this.retain !== "all") {
      throw new InputError(
        'this history keeps only fault events (retain: "faults"): client events were counted and dropped; ' +
          'keep the history in memory (retain: "all") to read them, or read them from its sink',
      );
    }
    return this.#events;
  }

  /** Client events seen so far by type, whatever is retained. */
  get counts(): Readonly<OperationCounts> {
    return this.#counts;
  }

  /** Appends an event; times never go backwards. */
  add(op: Op): void {
    // Checks on every event use `if`: assert() would build its message each time.
    if (!(op.time >= this.#timeLast)) {
      throw new AssertionError(`history event at ${op.time} after one at ${this.#timeLast}`);
    }
    this.#timeLast = op.time;
    if (op.process === "nemesis") {
      this.#events.push(op);
    } else {
      this.#counts[op.type]++;
      if (this.retain === "all") this.#events.push(op);
    }
    this.#sink?.write(op);
  }

  /** Records an invocation by client `process`, which must have no operation in progress. */
  invoke(op: Omit<Op, "type">): Op {
    assert(typeof op.process === "number", "clients are numbered processes");
    const open = this.#open.get(op.process);
    if (open !== undefined) {
      throw new AssertionError(`process ${op.process} invoked ${op.f} while its ${open.f} is still open`);
    }
    const invocation: Op = { ...op, type: "invoke" };
    this.add(invocation);
    this.#open.set(op.process, invocation);
    return invocation;
  }

  /** Records the completion of `invocation`: ok (happened), fail (did not) or info (unknown). */
  complete(invocation: Op, type: "ok" | "fail" | "info", value: unknown, time: number, version?: number): Op {
    const process = invocation.process as number;
    if (this.#open.get(process) !== invocation) {
      throw new AssertionError(`process ${process} completed an operation that is not open`);
    }
    this.#open.delete(process);
    const completion: Op = { process, type, f: invocation.f, value, time };
    if (invocation.key !== undefined) completion.key = invocation.key;
    if (version !== undefined) completion.version = version;
    this.add(completion);
    return completion;
  }

  /** Invocations still waiting for a completion (their outcome is unknown, as an info's). */
  openOperations(): Op[] {
    return [...this.#open.values()];
  }

  /** The nemesis events (fault starts and heals). Every history keeps them. */
  faults(): Op[] {
    return this.#events.filter((op) => op.process === "nemesis");
  }

  /**
   * The client events.
   *
   * @throws InputError when the history keeps only faults
   */
  operations(): Op[] {
    return this.events.filter((op) => op.process !== "nemesis");
  }
}
