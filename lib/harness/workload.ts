/**
 * Workloads in Jepsen's sense: a generator of operations, the client processes that perform them
 * through the system's client, the final operations after the heal, and the checkers that judge
 * the recorded history. The harness owns the history: a process records each invocation and its
 * outcome at the true instant, so no system writes history itself.
 *
 * @example
 * ```ts
 * import { keyValueGenerator } from "./workload.ts";
 * import { Rng } from "../sim/mod.ts";
 * const generator = keyValueGenerator({ keys: 3, readFraction: 0.5, writeF: "put" });
 * generator.next(new Rng(1), { process: 0, sequence: 0 }); // a get or a put of a unique value
 * ```
 * @module
 */
import { assert, InputError } from "../assert.ts";
import type { CheckResult } from "../check/mod.ts";
import type { Op } from "../history/mod.ts";
import type { NodeApi, NodeLogic, Rng } from "../sim/mod.ts";
import { type ClientContext, clientContext, type Outcome, type Request, type SystemClient } from "./system.ts";

/** Where a process stands when it asks for its next operation. */
export interface GeneratorContext {
  process: number;
  /** Operations this process has invoked before: with `process`, a unique value for writes. */
  sequence: number;
  /** The simulated time of the invocation, for workloads in phases; absent where no clock runs. */
  nowUs?: number;
}

/** Draws operations. Randomness comes from the process's stream only, so runs replay. */
export interface Generator {
  next(rng: Rng, context: GeneratorContext): Request;
}

/** What checkers are given. */
export interface CheckInput {
  /** The whole history: client operations and nemesis events. */
  events: readonly Op[];
  /** The values the final operations read, by key ("" for no key); undefined without final reads. */
  finalValues: ReadonlyMap<string, unknown> | undefined;
  /** What the system's durable state holds at the end, by key (white-box); undefined when it says nothing. */
  durableValues: ReadonlyMap<string, unknown> | undefined;
  /** The writes a final value holds (see {@linkcode Workload.finalElements}). */
  elements: (value: unknown) => readonly unknown[];
}

/** A checker of a workload: judges a history, returns valid true, false or "unknown". */
export interface Checker {
  name: string;
  check(input: CheckInput): CheckResult;
}

/** A workload: how many processes, what they do, what happens at the end, and how it is judged. */
export interface Workload {
  /** Closed-loop client processes (each one operation at a time, numbered after its node). */
  processes: number;
  /** Mean think time between an outcome and the next invocation (exponential); 0: none. */
  thinkTimeUsMean: number;
  generator: Generator;
  /**
   * Final operations after the recovery phase, run one after another by one extra process (for
   * example a read of every key); their ok values become {@linkcode CheckInput.finalValues}.
   */
  final?: Request[];
  checkers: readonly Checker[];
  /**
   * The written values a final value holds, for the lost-writes check and RPO: default an array as
   * it is and anything else as one value. A store that appends strings splits them here.
   */
  finalElements?: (value: unknown) => readonly unknown[];
  /** Processes whose generator is this one instead (for example readers only); default none. */
  generatorFor?: (index: number) => Generator | undefined;
}

/** Options of {@linkcode keyValueGenerator}. */
export interface KeyValueGeneratorOptions {
  keys: number;
  /** Appended to every written value (`;` lets appended strings be split apart again); default none. */
  terminator?: string;
  /** Fraction of operations that read. */
  readFraction: number;
  /**
   * Fraction of operations that delete their key (`delete`, value null: the key reads as absent
   * afterwards); default 0. With `readFraction`, at most 1: the rest are writes.
   */
  deleteFraction?: number;
  /** What writes do: `put` overwrites, `append` adds to a list. */
  writeF: "put" | "append";
}

/** The process number of the final operations: above every client process and open-loop pool. */
export const finalProcessId = 900_000_000;

/** An array as it is, anything else as one value: the default {@linkcode Workload.finalElements}. */
export function elementsOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [value];
}

/**
 * Reads, writes and deletes over keys `k0`, `k1`...: reads are `get`, writes `put` or `append` of
 * a value unique in the run (`process`:`sequence`), so checkers can tell every write apart, and
 * deletes (when asked for) are `delete` with value null.
 */
export function keyValueGenerator(options: KeyValueGeneratorOptions): Generator {
  if (!Number.isInteger(options.keys) || options.keys < 1) {
    throw new InputError(`keys must be a whole number of at least 1, got ${options.keys}`);
  }
  if (!(options.readFraction >= 0 && options.readFraction <= 1)) {
    throw new InputError(`readFraction must be in [0, 1], got ${options.readFraction}`);
  }
  const deleteFraction = options.deleteFraction ?? 0;
  if (!(deleteFraction >= 0 && options.readFraction + deleteFraction <= 1)) {
    throw new InputError(
      `deleteFraction must be at least 0 and at most 1 - readFraction (${
        1 - options.readFraction
      }), got ${deleteFraction}`,
    );
  }
  const keys = Array.from({ length: options.keys }, (_, i) => `k${i}`);
  return {
    next(rng, { process, sequence }) {
      const key = keys[Math.floor(rng.next() * keys.length)];
      // One draw decides the kind, so a generator without deletes replays as it did before they existed.
      const roll = rng.next();
      if (roll < options.readFraction) return { f: "get", key, value: null };
      if (roll < options.readFraction + deleteFraction) return { f: "delete", key, value: null };
      return { f: options.writeF, key, value: `${process}:${sequence}${options.terminator ?? ""}` };
    },
  };
}

/** A read of each key, for the final phase. */
export function finalReads(keys: number): Request[] {
  return Array.from({ length: keys }, (_, i) => ({ f: "get", key: `k${i}`, value: null }));
}

/** Options of a client process node. */
export interface ProcessOptions<M> {
  /** Builds the system's client for this process. */
  client: (context: ClientContext<M>) => SystemClient<M>;
  generator: Generator;
  thinkTimeUsMean: number;
  /** Whether the process may start another operation now (the harness closes it at the run's end). */
  open: () => boolean;
}

/** The process's own timer tag; every other tag is the client's (no wrapping, so no allocation per timer). */
const thinkTag: unique symbol = Symbol("think");

/**
 * A closed-loop client process: invoke, perform through the system's client, record the outcome,
 * think, repeat while the harness keeps it open.
 */
export function clientProcess<M>(api: NodeApi<M>, options: ProcessOptions<M>): NodeLogic<M> {
  // A process is named after its node, as Jepsen names a process after its client thread: metrics
  // the client records (by node) and the history's operations (by process) line up.
  const process = api.id;
  const client = options.client(clientContext(api, process));
  let sequence = 0;
  let busy = false;
  const begin = () => {
    if (busy || !options.open()) return;
    const request = options.generator.next(api.rng, { process, sequence: sequence++, nowUs: api.now() });
    const invocation = api.invoke(request.f, request.value, { key: request.key, process });
    busy = true;
    let finished = false;
    client.perform(request, (outcome) => {
      // Checked on every operation: the message is built only when it fails.
      if (finished) assert(false, `process ${process}: ${request.f} completed twice`);
      finished = true;
      busy = false;
      complete(api, invocation, outcome);
      const thinkUs = options.thinkTimeUsMean === 0 ? 0 : -options.thinkTimeUsMean * Math.log(1 - api.rng.next());
      api.setTimer(thinkUs, thinkTag);
    });
  };
  return {
    onStart: begin,
    onMessage: (from, message) => client.onMessage(from, message),
    onTimer(tag) {
      if (tag === thinkTag) return begin();
      client.onTimer?.(tag);
    },
  };
}

/** Options of the final process. */
export interface FinalProcessOptions<M> {
  client: (context: ClientContext<M>) => SystemClient<M>;
  requests: readonly Request[];
  /** Receives each final operation's outcome. */
  onOutcome: (request: Request, outcome: Outcome) => void;
}

/** Runs the final operations one after another, once, starting when it is started. */
export function finalOperationsProcess<M>(api: NodeApi<M>, options: FinalProcessOptions<M>): NodeLogic<M> {
  const client = options.client(clientContext(api, finalProcessId));
  let next = 0;
  const begin = () => {
    if (next >= options.requests.length) return;
    const request = options.requests[next++];
    const invocation = api.invoke(request.f, request.value, { key: request.key, process: finalProcessId });
    client.perform(request, (outcome) => {
      complete(api, invocation, outcome);
      options.onOutcome(request, outcome);
      begin();
    });
  };
  return {
    onStart: begin,
    onMessage: (from, message) => client.onMessage(from, message),
    onTimer: (tag) => client.onTimer?.(tag),
  };
}

function complete<M>(api: NodeApi<M>, invocation: Op, outcome: Outcome): void {
  if (outcome.type === "info") api.complete(invocation, "info");
  else if (outcome.type === "ok" && outcome.version !== undefined) {
    api.complete(invocation, "ok", outcome.value, outcome.version);
  } else api.complete(invocation, outcome.type, outcome.value);
}
