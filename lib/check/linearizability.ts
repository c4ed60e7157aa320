/**
 * The linearizability checker: Wing & Gong's search with Lowe's just-in-time linearization and
 * memoisation of (linearized set, model state), as Porcupine does it.
 *
 * Operations become call and return entries in one list ordered by history position. The search
 * walks the list: at a call it tries to linearize that operation now (the model must accept it
 * and the pair (linearized set, state) must be new); at a return whose call is not yet linearized
 * it backtracks. Linearized entries are lifted out of the list and put back on backtrack (dancing
 * links), and the linearized set is hashed incrementally (Zobrist), so a step costs O(1) besides
 * the model. Histories with keys are checked one key at a time (P-compositionality).
 *
 * A budget of search steps ends a hopeless search with the verdict "unknown", never a hang; a
 * step budget (rather than a time budget) keeps verdicts deterministic.
 *
 * @example
 * ```ts
 * import { checkLinearizable } from "./linearizability.ts";
 * import { pairOperations } from "./operations.ts";
 * import { register } from "./models.ts";
 * const result = checkLinearizable(pairOperations([]), register);
 * ```
 * @module
 */
import { assert } from "../assert.ts";
import { type Model, validateOperations } from "./models.ts";
import type { Operation } from "./operations.ts";
import type { Validity } from "./result.ts";

/** Options of a check. */
export interface LinearizabilityOptions {
  /** The initial value of the object (of every key). Default null. */
  initial?: unknown;
  /** Search steps allowed over all keys before the verdict is "unknown". Default 50 million. */
  stepsMax?: number;
}

/** Why a history is not linearizable, small enough to read. */
export interface Counterexample {
  key: string | undefined;
  /** The longest order found that the model accepts, as operations with the state after each. */
  linearized: { operation: Operation; stateAfter: string }[];
  /** The operation that could not take effect anywhere after that order. */
  stuck: Operation;
  /** The state the stuck operation met. */
  stateAtStuck: string;
  /** Operations concurrent with the stuck one that were not placed either. */
  concurrent: Operation[];
}

/** The result of a linearizability check. */
export interface LinearizabilityResult {
  valid: Validity;
  /** Operations checked (after dropping failed ones and unknown reads). */
  operations: number;
  keys: number;
  steps: number;
  counterexample?: Counterexample;
  /** For "unknown": the key whose search ran out of budget. */
  unknownKey?: string;
  /**
   * For "unknown": which bound ended the search. `steps`: the step budget (`stepsMax`, the CLI's
   * `--steps`) ran out, and more steps may settle it. `memory`: one key's search remembered as
   * many (linearized set, state) pairs as it may hold, and more steps cannot help.
   */
  unknownReason?: "steps" | "memory";
}

/** What an "unknown" verdict means and what to change, in one sentence. */
export function unknownExplanation(result: LinearizabilityResult): string {
  const key = result.unknownKey === undefined ? "" : ` on key ${result.unknownKey}`;
  if (result.unknownReason === "memory") {
    return `the search${key} filled its memo (${memoEntriesMax} linearized-set and state pairs, the memory bound) ` +
      `after ${result.steps} steps; more steps cannot help: check fewer concurrent operations at once ` +
      `(a shorter history, or more keys)`;
  }
  return `the search${key} used its budget of ${result.steps} steps; a larger one (--steps) may settle it`;
}

/** Steps each key's search takes before the next key's search gets a turn (the first round). */
const sliceSteps = 4096;

/**
 * Checks `operations` against `model`, each key on its own. The keys' searches take turns in
 * slices of steps that double each round, so a violation in a cheap key is found without first
 * exhausting an expensive one (as Porcupine's parallel partitions do), and the verdict is the
 * same whatever the machine.
 */
export function checkLinearizable(
  operations: readonly Operation[],
  model: Model<unknown>,
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const stepsMax = options.stepsMax ?? 50_000_000;
  validateOperations(operations, model, options.initial ?? null);
  const groups = new Map<string | undefined, Operation[]>();
  for (const operation of operations) {
    let group = groups.get(operation.key);
    if (group === undefined) groups.set(operation.key, group = []);
    group.push(operation);
  }
  const keys = [...groups.keys()].sort((a, b) => String(a).localeCompare(String(b)));
  let pending = keys.map((key) => ({
    key,
    search: new ObjectSearch(groups.get(key)!, model, options.initial ?? null),
  }));
  const base = { operations: operations.length, keys: groups.size };
  let steps = 0;
  for (let slice = sliceSteps; pending.length > 0; slice *= 2) {
    const stillRunning: typeof pending = [];
    for (const { key, search } of pending) {
      const budget = Math.min(slice, stepsMax - steps);
      const verdict = search.advance(budget);
      steps += search.stepsLastAdvance;
      if (verdict === false) {
        return { ...base, steps, valid: false, counterexample: { key, ...search.counterexample() } };
      }
      if (verdict === undefined) stillRunning.push({ key, search });
      if (verdict === undefined && (steps >= stepsMax || search.memoFull)) {
        const unknownReason = search.memoFull ? "memory" : "steps";
        return { ...base, steps, valid: "unknown", unknownKey: key, unknownReason };
      }
    }
    pending = stillRunning;
  }
  return { ...base, steps, valid: true };
}

/** The most (linearized set, state) pairs one key's search remembers. */
const memoEntriesMax = 4_000_000;

/** Porcupine's search on one object's operations, resumable in slices of steps. */
class ObjectSearch {
  readonly #operations: readonly Operation[];
  readonly #model: Model<unknown>;
  readonly #list: ReturnType<typeof buildEntryList>;
  readonly #linearized: Uint32Array;
  readonly #zobrist: Int32Array;
  readonly #words: number;
  // The memo of (linearized set, state) pairs, in flat arrays so that remembering allocates
  // nothing per pair: bucket heads by hash, a chain per bucket, the sets in one arena.
  readonly #memoHead = new Map<number, number>();
  #memoNext = new Int32Array(1024);
  #memoBits: Uint32Array;
  readonly #memoStates: unknown[] = [];
  readonly #stackEntries: number[] = [];
  readonly #stackStates: unknown[] = [];
  #linearizedHash = 0;
  #state: unknown;
  #entry: number;
  #best: { order: number[]; states: unknown[]; stuck: number; stateAtStuck: unknown } | undefined;
  /** Steps the last call to advance took. */
  stepsLastAdvance = 0;

  constructor(operations: readonly Operation[], model: Model<unknown>, initial: unknown) {
    this.#operations = operations;
    this.#model = model;
    this.#list = buildEntryList(operations);
    this.#words = (operations.length + 31) >>> 5;
    this.#linearized = new Uint32Array(this.#words);
    this.#memoBits = new Uint32Array(1024 * this.#words);
    this.#zobrist = zobristKeys(operations.length);
    this.#state = model.init(initial);
    this.#entry = this.#list.next[this.#list.head];
  }

  /**
   * Whether the memo has reached its bound: well below V8's limit on a Map's size (about 16.7
   * million), and the memory its sets take; the search then ends as out of budget.
   */
  get memoFull(): boolean {
    return this.#memoStates.length >= memoEntriesMax;
  }

  /** Runs at most `budget` steps: true (linearizable), false (not), undefined (not finished). */
  advance(budget: number): boolean | undefined {
    const { next, head, isCall, opOf } = this.#list;
    const operations = this.#operations;
    const model = this.#model;
    const linearized = this.#linearized;
    const zobrist = this.#zobrist;
    const stackEntries = this.#stackEntries;
    const stackStates = this.#stackStates;
    let state = this.#state;
    let entry = this.#entry;
    let steps = 0;
    let verdict: boolean | undefined = undefined;
    while (true) {
      if (next[head] === -1) {
        verdict = true;
        break;
      }
      if (steps >= budget || this.memoFull) break;
      steps++;
      if (isCall[entry] === 1) {
        const id = opOf[entry];
        const op = operations[id];
        const after = model.step(state, op.f, op.input, op.output);
        if (after !== undefined) {
          linearized[id >>> 5] |= 1 << (id & 31);
          const hash = (this.#linearizedHash ^ zobrist[id] ^ Math.imul(model.hash(after), 0x27d4eb2d)) | 0;
          if (!this.#seen(hash, after)) {
            this.#remember(hash, after);
            stackEntries.push(entry);
            stackStates.push(state);
            this.#linearizedHash ^= zobrist[id];
            state = after;
            this.#lift(entry);
            entry = next[head];
            continue;
          }
          linearized[id >>> 5] &= ~(1 << (id & 31));
        }
        entry = next[entry];
        continue;
      }
      // A return whose call is not linearized: nothing placed so far lets it take effect in time.
      if (this.#best === undefined || stackEntries.length > this.#best.order.length) {
        this.#best = {
          order: stackEntries.map((e) => opOf[e]),
          states: [...stackStates.slice(1), state],
          stuck: opOf[entry],
          stateAtStuck: state,
        };
      }
      if (stackEntries.length === 0) {
        verdict = false;
        break;
      }
      const topEntry = stackEntries.pop()!;
      const id = opOf[topEntry];
      linearized[id >>> 5] &= ~(1 << (id & 31));
      this.#linearizedHash ^= zobrist[id];
      state = stackStates.pop();
      this.#unlift(topEntry);
      entry = next[topEntry];
    }
    this.#state = state;
    this.#entry = entry;
    this.stepsLastAdvance = steps;
    return verdict;
  }

  /** The explanation of a false verdict. */
  counterexample(): Omit<Counterexample, "key"> {
    assert(this.#best !== undefined, "a counterexample exists only after a false verdict");
    return explain(this.#operations, this.#model, this.#best);
  }

  #lift(entry: number): void {
    const { next, prev, partner } = this.#list;
    next[prev[entry]] = next[entry];
    prev[next[entry]] = prev[entry];
    const match = partner[entry];
    next[prev[match]] = next[match];
    if (next[match] !== -1) prev[next[match]] = prev[match];
  }

  #unlift(entry: number): void {
    const { next, prev, partner } = this.#list;
    const match = partner[entry];
    if (next[match] !== -1) prev[next[match]] = match;
    next[prev[match]] = match;
    prev[next[entry]] = entry;
    next[prev[entry]] = entry;
  }

  #seen(hash: number, candidate: unknown): boolean {
    const words = this.#words;
    const bits = this.#memoBits;
    const linearized = this.#linearized;
    for (let i = this.#memoHead.get(hash) ?? -1; i >= 0; i = this.#memoNext[i]) {
      if (!this.#model.equal(this.#memoStates[i], candidate)) continue;
      let same = true;
      for (let w = 0, base = i * words; w < words; w++) {
        if (bits[base + w] !== linearized[w]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    return false;
  }

  #remember(hash: number, candidate: unknown): void {
    const index = this.#memoStates.length;
    if (index === this.#memoNext.length) {
      const next = new Int32Array(index * 2);
      next.set(this.#memoNext);
      this.#memoNext = next;
      const bits = new Uint32Array(index * 2 * this.#words);
      bits.set(this.#memoBits);
      this.#memoBits = bits;
    }
    this.#memoBits.set(this.#linearized, index * this.#words);
    this.#memoStates.push(candidate);
    this.#memoNext[index] = this.#memoHead.get(hash) ?? -1;
    this.#memoHead.set(hash, index);
  }
}

/** The doubly linked entry list: calls and returns by history position; unknown returns last. */
function buildEntryList(operations: readonly Operation[]) {
  const n = operations.length;
  const head = 2 * n;
  const order: { position: number; entry: number }[] = [];
  operations.forEach((op, i) => {
    order.push({ position: op.callIndex, entry: 2 * i });
    // Unknown completions sort after every known event, in operation order.
    order.push({
      position: op.returnIndex === Infinity ? Number.MAX_SAFE_INTEGER - n + i : op.returnIndex,
      entry: 2 * i + 1,
    });
  });
  // Calls before returns at one position keep operations that share an instant concurrent.
  order.sort((a, b) => a.position - b.position || (a.entry & 1) - (b.entry & 1) || a.entry - b.entry);
  const next = new Int32Array(head + 1).fill(-1);
  const prev = new Int32Array(head + 1).fill(-1);
  const isCall = new Uint8Array(head + 1);
  const opOf = new Int32Array(head + 1);
  const partner = new Int32Array(head + 1);
  let last = head;
  for (const { entry } of order) {
    next[last] = entry;
    prev[entry] = last;
    last = entry;
  }
  for (let i = 0; i < n; i++) {
    isCall[2 * i] = 1;
    opOf[2 * i] = opOf[2 * i + 1] = i;
    partner[2 * i] = 2 * i + 1;
    partner[2 * i + 1] = 2 * i;
    assert(operations[i].callIndex <= operations[i].returnIndex, `operation ${i} returns before it is called`);
  }
  return { next, prev, head, isCall, opOf, partner };
}

/** Fixed pseudo-random keys per operation (a splitmix-style sequence: the same for every run). */
function zobristKeys(n: number): Int32Array {
  const keys = new Int32Array(n);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < n; i++) {
    x = (x + 0x6d2b79f5) | 0;
    let z = Math.imul(x ^ (x >>> 15), 1 | x);
    z = (z + Math.imul(z ^ (z >>> 7), 61 | z)) ^ z;
    keys[i] = z ^ (z >>> 14);
  }
  return keys;
}

function explain(
  operations: readonly Operation[],
  model: Model<unknown>,
  best: { order: number[]; states: unknown[]; stuck: number; stateAtStuck: unknown },
): Omit<Counterexample, "key"> {
  const stuck = operations[best.stuck];
  // `best` holds indices into this key's operations; an operation's `id` is its index in the
  // whole history, so the two are compared by index, never by id.
  const placed = new Set(best.order);
  const concurrent = operations.filter((op, index) =>
    index !== best.stuck && !placed.has(index) && op.callIndex < stuck.returnIndex &&
    op.returnIndex > stuck.callIndex
  );
  // Keep the tail of the order: the few operations before the point where no order works.
  const tail = Math.max(0, best.order.length - 8);
  return {
    linearized: best.order.slice(tail).map((id, i) => ({
      operation: operations[id],
      stateAfter: model.show(best.states[tail + i]),
    })),
    stuck,
    stateAtStuck: model.show(best.stateAtStuck),
    concurrent: concurrent.slice(0, 8),
  };
}
