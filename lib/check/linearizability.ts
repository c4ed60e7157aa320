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
import { getHeapStatistics } from "node:v8";
import { checkAppendOrder } from "./append_order.ts";
import { canonicalJson, casRegister, kv, type Model, register, validateOperations } from "./models.ts";
import { findStaleRead, type StaleRead } from "./stale_reads.ts";
import type { Operation } from "./operations.ts";
import type { Validity } from "./result.ts";

/** Options of a check. */
export interface LinearizabilityOptions {
  /** The initial value of the object (of every key). Default null. */
  initial?: unknown;
  /** Search steps allowed over all keys before the verdict is "unknown". Default 50 million. */
  stepsMax?: number;
  /**
   * Bytes the searches' memos may hold together before the verdict is "unknown: memory bound
   * reached". Default {@linkcode defaultMemoryBytesMax}: a quarter of the JavaScript heap's limit,
   * at most 1 GiB.
   */
  memoryBytesMax?: number;
  /** Called between slices of the search (every million steps or so), to show progress. */
  onProgress?: (progress: LinearizabilityProgress) => void;
  /**
   * Asked between slices whether to stop (a time limit, Ctrl-C); true ends the check with
   * "unknown: stopped". Library code reads no clock: the caller brings one.
   */
  shouldStop?: () => boolean;
}

/** How far a check has come. */
export interface LinearizabilityProgress {
  /** Keys decided so far, of `keys`. */
  keysDone: number;
  keys: number;
  /** The deepest order found so far on the key being searched, and its operations. */
  operationsPlaced: number;
  operations: number;
  /** Search steps and (linearized set, state) pairs remembered, over all keys. */
  steps: number;
  statesExplored: number;
  /** Bytes the memos hold. */
  memoryBytes: number;
}

/**
 * Why a check ended "unknown" ({@linkcode unknownExplanation} says it in a sentence). `steps`: the
 * step budget (`stepsMax`, the CLI's `--steps`) ran out, and more steps may settle it. `memory`:
 * the memos reached the memory bound (`memoryBytesMax`), and more steps cannot help. `stopped`:
 * `shouldStop` asked the search to end (the CLI's `--timeout`, or an interrupt).
 */
export type UnknownReason = "steps" | "memory" | "stopped";

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
  /** (linearized set, state) pairs the searches remembered. */
  statesExplored: number;
  counterexample?: Counterexample;
  /** For "unknown": the key whose search did not finish. */
  unknownKey?: string;
  /** For "unknown": why the search did not finish. */
  unknownReason?: UnknownReason;
}

/** What an "unknown" verdict means and what to change, in one sentence. */
export function unknownExplanation(result: LinearizabilityResult): string {
  const key = result.unknownKey === undefined ? "" : ` on key ${result.unknownKey}`;
  if (result.unknownReason === "memory") {
    return `the search${key} filled its memo (the memory bound, ${result.statesExplored} linearized-set and ` +
      `state pairs) after ${result.steps} steps; more steps cannot help: check fewer concurrent operations at ` +
      `once (a shorter history, or more keys)`;
  }
  if (result.unknownReason === "stopped") {
    return `the search${key} was stopped after ${result.steps} steps, before a verdict (--timeout, or an ` +
      `interrupt); more time may settle it`;
  }
  return `the search${key} used its budget of ${result.steps} steps; a larger one (--steps) may settle it`;
}

/** Steps each key's search takes before the next key's search gets a turn (the first round). */
const sliceSteps = 4096;
/** The longest slice: progress and `shouldStop` are heard at least this often. */
const sliceStepsMax = 1 << 20;

/**
 * The default memory bound of a check: a quarter of the JavaScript heap's limit on this machine,
 * at most 1 GiB, so that a check never takes down the process that runs it (a sweep's worker).
 */
export function defaultMemoryBytesMax(): number {
  const limit = getHeapStatistics().heap_size_limit;
  return Math.min(2 ** 30, Math.floor(limit / 4));
}

/**
 * Checks `operations` against `model`, each key on its own. The keys' searches take turns in
 * slices of steps that double each round, so a violation in a cheap key is found without first
 * exhausting an expensive one (as Porcupine's parallel partitions do), and the verdict is the
 * same whatever the machine (unless the memory bound, which depends on it, is reached).
 * A kv key whose operations are distinct appends and reads is decided by append order instead
 * (see `append_order.ts`), in O(n log n).
 */
export function checkLinearizable(
  operations: readonly Operation[],
  model: Model<unknown>,
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const stepsMax = options.stepsMax ?? 50_000_000;
  const memoryBytesMax = options.memoryBytesMax ?? defaultMemoryBytesMax();
  assert(stepsMax >= 0 && memoryBytesMax >= 0, "the step and memory budgets are not negative");
  validateOperations(operations, model, options.initial ?? null);
  const groups = new Map<string | undefined, Operation[]>();
  for (const operation of operations) {
    let group = groups.get(operation.key);
    if (group === undefined) groups.set(operation.key, group = []);
    group.push(operation);
  }
  const keys = [...groups.keys()].sort((a, b) => String(a).localeCompare(String(b)));
  const initial = options.initial ?? null;
  const base = { operations: operations.length, keys: groups.size };
  const searched: { key: string | undefined; search: ObjectSearch }[] = [];
  for (const key of keys) {
    const byOrder = model === kv ? checkAppendOrder(groups.get(key)!, kv.init(initial).value) : undefined;
    if (byOrder?.valid === false) {
      const { linearized, stuck, stateAtStuck } = byOrder;
      const concurrent = concurrentWith(groups.get(key)!, stuck, new Set(linearized.map((l) => l.operation.id)));
      const counterexample = { key, linearized, stuck, stateAtStuck, concurrent };
      return { ...base, steps: 0, statesExplored: 0, valid: false, counterexample };
    }
    const stale = model === register || model === casRegister ? findStaleRead(groups.get(key)!) : undefined;
    if (stale !== undefined) {
      const counterexample = staleReadExample(key, groups.get(key)!, stale, model);
      return { ...base, steps: 0, statesExplored: 0, valid: false, counterexample };
    }
    if (byOrder === undefined) searched.push({ key, search: new ObjectSearch(groups.get(key)!, model, initial) });
  }
  return searchInTurns(searched, base, { ...options, stepsMax, memoryBytesMax });
}

/** A stale read as a counterexample: the setter that must come between, then the read. */
function staleReadExample(
  key: string | undefined,
  operations: readonly Operation[],
  stale: StaleRead,
  model: Model<unknown>,
): Counterexample {
  const stateAtStuck = model.show(stale.shadowValue);
  return {
    key,
    linearized: [{ operation: stale.shadow, stateAfter: stateAtStuck }],
    stuck: stale.read,
    stateAtStuck,
    concurrent: concurrentWith(operations, stale.read, new Set([stale.shadow.id])),
  };
}

/** Runs the keys' searches in turns until one fails, all succeed, or a budget runs out. */
function searchInTurns(
  searches: { key: string | undefined; search: ObjectSearch }[],
  base: { operations: number; keys: number },
  options: LinearizabilityOptions & { stepsMax: number; memoryBytesMax: number },
): LinearizabilityResult {
  let pending = searches;
  let steps = 0;
  const explored = () => searches.reduce((sum, { search }) => sum + search.memoEntries, 0);
  const memoryBytes = () => searches.reduce((sum, { search }) => sum + search.memoBytes, 0);
  const unknown = (key: string | undefined, unknownReason: UnknownReason): LinearizabilityResult => ({
    ...base,
    steps,
    statesExplored: explored(),
    valid: "unknown",
    unknownKey: key,
    unknownReason,
  });
  for (let slice = sliceSteps; pending.length > 0; slice = Math.min(slice * 2, sliceStepsMax)) {
    const stillRunning: typeof pending = [];
    for (const { key, search } of pending) {
      const budget = Math.min(slice, options.stepsMax - steps);
      // The memo of this key may grow until all memos together reach the bound.
      const verdict = search.advance(budget, options.memoryBytesMax - memoryBytes() + search.memoBytes);
      steps += search.stepsLastAdvance;
      if (verdict === false) {
        const counterexample = { key, ...search.counterexample() };
        return { ...base, steps, statesExplored: explored(), valid: false, counterexample };
      }
      if (verdict === true) continue;
      stillRunning.push({ key, search });
      if (search.memoFull) return unknown(key, "memory");
      if (steps >= options.stepsMax) return unknown(key, "steps");
      options.onProgress?.({
        keysDone: base.keys - pending.length + stillRunning.length - 1,
        keys: base.keys,
        operationsPlaced: search.deepest,
        operations: search.operationCount,
        steps,
        statesExplored: explored(),
        memoryBytes: memoryBytes(),
      });
      if (options.shouldStop?.() === true) return unknown(key, "stopped");
    }
    pending = stillRunning;
  }
  return { ...base, steps, statesExplored: explored(), valid: true };
}

/** What a counterexample needs of the deepest order the search found (operations by index). */
interface Best {
  depth: number;
  tail: { id: number; stateAfter: unknown }[];
  stuck: number;
  stateAtStuck: unknown;
  concurrent: number[];
}

/** Functions that never change the state (a model's reads), which the search places eagerly. */
const readOnlyFunctions = new Set(["read", "get"]);

/** Bytes a memo entry costs besides its set's words: its state, chain link, hash and bucket. */
const memoEntryOverheadBytes = 32;

/**
 * Porcupine's search on one object's operations, resumable in slices of steps, with three
 * reductions that keep histories with many `info` operations small (each sound: it keeps some
 * order whenever any order exists):
 *
 * - the search succeeds once every known operation is placed: an info operation may never take
 *   effect, so those left over are left out rather than placed;
 * - an info operation that would not change the state (a cas that does not match) is not
 *   placed: leaving it out keeps every option it had;
 * - info operations equal in function and input are interchangeable (none returns, so the one
 *   called first can take effect wherever a later one does): the search places them in call
 *   order, so the linearized set holds a prefix of each such class instead of any subset.
 */
class ObjectSearch {
  readonly #operations: readonly Operation[];
  readonly #model: Model<unknown>;
  readonly #list: ReturnType<typeof buildEntryList>;
  readonly #linearized: Uint32Array;
  readonly #zobrist: Int32Array;
  readonly #words: number;
  /** For an info operation: the info operation equal to it called just before, or -1. */
  readonly #previousTwin: Int32Array;
  // The memo of (linearized set, state) pairs, in flat arrays so that remembering allocates
  // nothing per pair: buckets by hash, a chain per bucket, the sets in one arena.
  #memoBuckets = new Int32Array(1024).fill(-1);
  #memoHashes = new Int32Array(1024);
  #memoNext = new Int32Array(1024);
  #memoBits: Uint32Array;
  readonly #memoStates: unknown[] = [];
  readonly #stackEntries: number[] = [];
  /** The state before each batch of placed operations. */
  readonly #stackStates: unknown[] = [];
  /** How many operations each batch placed: the one the search chose, then the reads it let through. */
  readonly #stackBatches: number[] = [];
  #knownLeft: number;
  #linearizedHash = 0;
  #state: unknown;
  #entry: number;
  /** The state after each placed operation, beside `#stackEntries`. */
  readonly #stackStatesAfter: unknown[] = [];
  #best: Best | undefined;
  /** Steps the last call to advance took. */
  stepsLastAdvance = 0;
  /** Whether the last call to advance stopped at the memory bound. */
  memoFull = false;

  constructor(operations: readonly Operation[], model: Model<unknown>, initial: unknown) {
    this.#operations = operations;
    this.#model = model;
    this.#list = buildEntryList(operations);
    this.#words = (operations.length + 31) >>> 5;
    this.#linearized = new Uint32Array(this.#words);
    this.#memoBits = new Uint32Array(1024 * this.#words);
    this.#zobrist = zobristKeys(operations.length);
    this.#previousTwin = previousTwins(operations);
    this.#knownLeft = operations.filter((op) => op.known).length;
    this.#state = model.init(initial);
    // The reads that find the initial state take effect at once, for good: nothing comes before them.
    this.#placeReads(this.#state);
    this.#stackEntries.length = 0;
    this.#stackStatesAfter.length = 0;
    this.#entry = this.#list.next[this.#list.head];
  }

  get operationCount(): number {
    return this.#operations.length;
  }

  /** The most operations placed at once so far. */
  get deepest(): number {
    return this.#best?.depth ?? this.#stackEntries.length;
  }

  get memoEntries(): number {
    return this.#memoStates.length;
  }

  get memoBytes(): number {
    return this.#memoStates.length * (this.#words * 4 + memoEntryOverheadBytes);
  }

  /**
   * Runs at most `budget` steps while the memo stays under `memoryBytesMax`: true
   * (linearizable), false (not), undefined (not finished).
   */
  advance(budget: number, memoryBytesMax: number): boolean | undefined {
    const { next, head, isCall, opOf } = this.#list;
    const operations = this.#operations;
    const model = this.#model;
    const linearized = this.#linearized;
    const previousTwin = this.#previousTwin;
    const stackEntries = this.#stackEntries;
    const stackStates = this.#stackStates;
    const stackBatches = this.#stackBatches;
    const entriesMax = Math.floor(memoryBytesMax / (this.#words * 4 + memoEntryOverheadBytes));
    let state = this.#state;
    let entry = this.#entry;
    let steps = 0;
    let verdict: boolean | undefined = undefined;
    this.memoFull = false;
    while (true) {
      if (this.#knownLeft === 0) {
        verdict = true;
        break;
      }
      if (steps >= budget) break;
      if (this.#memoStates.length >= entriesMax) {
        this.memoFull = true;
        break;
      }
      steps++;
      if (isCall[entry] === 1) {
        const id = opOf[entry];
        const op = operations[id];
        const twin = previousTwin[id];
        if (twin !== -1 && (linearized[twin >>> 5] & (1 << (twin & 31))) === 0) {
          entry = next[entry];
          continue;
        }
        const after = model.step(state, op.f, op.input, op.output);
        if (after !== undefined && (op.known || !model.equal(after, state))) {
          stackStates.push(state);
          const placed = this.#placeWithReads(entry, after);
          const hash = (this.#linearizedHash ^ Math.imul(model.hash(after), 0x27d4eb2d)) | 0;
          if (!this.#seen(hash, after)) {
            this.#remember(hash, after);
            stackBatches.push(placed);
            state = after;
            entry = next[head];
            continue;
          }
          this.#unplace(placed);
          stackStates.pop();
        }
        entry = next[entry];
        continue;
      }
      // A return whose call is not linearized: nothing placed so far lets it take effect in time.
      if (this.#best === undefined || stackEntries.length > this.#best.depth) this.#best = this.#bestHere(entry, state);
      if (stackEntries.length === 0) {
        verdict = false;
        break;
      }
      const batchFirst = stackEntries[stackEntries.length - stackBatches[stackBatches.length - 1]];
      this.#unplace(stackBatches.pop()!);
      state = stackStates.pop();
      entry = next[batchFirst];
    }
    this.#state = state;
    this.#entry = entry;
    this.stepsLastAdvance = steps;
    return verdict;
  }

  /** The explanation of a false verdict. */
  counterexample(): Omit<Counterexample, "key"> {
    assert(this.#best !== undefined, "a counterexample exists only after a false verdict");
    const operations = this.#operations;
    const best = this.#best;
    return {
      linearized: best.tail.map(({ id, stateAfter }) => ({
        operation: operations[id],
        stateAfter: this.#model.show(stateAfter),
      })),
      stuck: operations[best.stuck],
      stateAtStuck: this.#model.show(best.stateAtStuck),
      concurrent: best.concurrent.map((id) => operations[id]),
    };
  }

  /**
   * Places the operation at `entry`, which leads to `after`, then every read that may take effect
   * now and finds `after`: placing such a read at once loses nothing (it changes no state, and any
   * order that places it later stays an order when it moves here), and it spares the search every
   * order of the reads among the writes. Returns how many operations were placed.
   */
  #placeWithReads(entry: number, after: unknown): number {
    this.#placeOne(entry, after);
    return 1 + this.#placeReads(after);
  }

  /** Places every read that may take effect now and finds `state`; returns how many. */
  #placeReads(state: unknown): number {
    const { next, prev, head, isCall, opOf } = this.#list;
    let placed = 0;
    for (let candidate = next[head]; candidate !== -1 && isCall[candidate] === 1;) {
      const op = this.#operations[opOf[candidate]];
      const found = op.known && readOnlyFunctions.has(op.f)
        ? this.#model.step(state, op.f, op.input, op.output)
        : undefined;
      if (found === undefined || !this.#model.equal(found, state)) {
        candidate = next[candidate];
        continue;
      }
      this.#placeOne(candidate, state);
      placed++;
      // Placing lifted the read and its return; its neighbour before still links to what follows.
      candidate = next[prev[candidate]];
    }
    return placed;
  }

  #placeOne(entry: number, after: unknown): void {
    const id = this.#list.opOf[entry];
    this.#linearized[id >>> 5] |= 1 << (id & 31);
    this.#linearizedHash ^= this.#zobrist[id];
    if (this.#operations[id].known) this.#knownLeft--;
    this.#stackEntries.push(entry);
    this.#stackStatesAfter.push(after);
    this.#lift(entry);
  }

  /** Takes back the last `count` placed operations, last first. */
  #unplace(count: number): void {
    for (let i = 0; i < count; i++) {
      const entry = this.#stackEntries.pop()!;
      this.#stackStatesAfter.pop();
      const id = this.#list.opOf[entry];
      this.#linearized[id >>> 5] &= ~(1 << (id & 31));
      this.#linearizedHash ^= this.#zobrist[id];
      if (this.#operations[id].known) this.#knownLeft++;
      this.#unlift(entry);
    }
  }

  /**
   * What a counterexample shows of the order placed now, which meets the return at `entry`: the
   * last few operations, and the unplaced ones called before that return, concurrent with it.
   * Kept small: it is taken each time the search gets deeper than before.
   */
  #bestHere(entry: number, state: unknown): Best {
    const { next, head, isCall, opOf } = this.#list;
    const stuck = opOf[entry];
    const entries = this.#stackEntries;
    const tail = [];
    for (let i = Math.max(0, entries.length - 8); i < entries.length; i++) {
      tail.push({ id: opOf[entries[i]], stateAfter: this.#stackStatesAfter[i] });
    }
    const concurrent: number[] = [];
    for (let e = next[head]; e !== -1 && e !== entry && concurrent.length < 8; e = next[e]) {
      // The stuck operation's own call is still in the list: it is not concurrent with itself.
      if (
        isCall[e] === 1 && opOf[e] !== stuck &&
        this.#operations[opOf[e]].returnIndex > this.#operations[stuck].callIndex
      ) {
        concurrent.push(opOf[e]);
      }
    }
    return { depth: entries.length, tail, stuck, stateAtStuck: state, concurrent };
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
    const hashes = this.#memoHashes;
    for (let i = this.#memoBuckets[hash & (this.#memoBuckets.length - 1)]; i >= 0; i = this.#memoNext[i]) {
      if (hashes[i] !== hash || !this.#model.equal(this.#memoStates[i], candidate)) continue;
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
    if (index === this.#memoNext.length) this.#grow();
    this.#memoBits.set(this.#linearized, index * this.#words);
    this.#memoStates.push(candidate);
    this.#memoHashes[index] = hash;
    const bucket = hash & (this.#memoBuckets.length - 1);
    this.#memoNext[index] = this.#memoBuckets[bucket];
    this.#memoBuckets[bucket] = index;
  }

  /** Doubles the memo's arrays, and its buckets with them (one entry per bucket on average). */
  #grow(): void {
    const size = this.#memoNext.length * 2;
    const grown = (from: Int32Array) => {
      const to = new Int32Array(size);
      to.set(from);
      return to;
    };
    this.#memoNext = grown(this.#memoNext);
    this.#memoHashes = grown(this.#memoHashes);
    const bits = new Uint32Array(size * this.#words);
    bits.set(this.#memoBits);
    this.#memoBits = bits;
    this.#memoBuckets = new Int32Array(size).fill(-1);
    for (let i = 0; i < this.#memoStates.length; i++) {
      const bucket = this.#memoHashes[i] & (size - 1);
      this.#memoNext[i] = this.#memoBuckets[bucket];
      this.#memoBuckets[bucket] = i;
    }
  }
}

/**
 * For each info operation, the info operation with the same function and input called last
 * before it (-1 for none and for known operations): the search places such twins in call order.
 */
function previousTwins(operations: readonly Operation[]): Int32Array {
  const previous = new Int32Array(operations.length).fill(-1);
  const lastOfClass = new Map<string, number>();
  const byCall = operations.map((_, i) => i).sort((a, b) => operations[a].callIndex - operations[b].callIndex);
  for (const i of byCall) {
    const op = operations[i];
    if (op.known) continue;
    const twinClass = canonicalJson([op.f, op.input]);
    previous[i] = lastOfClass.get(twinClass) ?? -1;
    lastOfClass.set(twinClass, i);
  }
  return previous;
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

/** At most 8 operations not in `placed` whose intervals overlap `stuck`'s. */
function concurrentWith(operations: readonly Operation[], stuck: Operation, placed: ReadonlySet<number>): Operation[] {
  return operations.filter((op) =>
    op.id !== stuck.id && !placed.has(op.id) && op.callIndex < stuck.returnIndex && op.returnIndex > stuck.callIndex
  ).slice(0, 8);
}
