/**
 * Sequential specifications for the linearizability checker, as Porcupine has them: a model is a
 * record of pure functions. `step` takes a state, an operation's function, input and output, and
 * says whether the operation is legal there and what state follows; it never mutates its input.
 * An output of `undefined` means the outcome is unknown (an info operation): any result is legal.
 *
 * Names are the CLI's: register, cas-register, kv, counter, set, queue.
 *
 * @module
 */
import { InputError } from "../assert.ts";

/** A sequential object. */
export interface Model<S = unknown> {
  name: string;
  /** One line for `--help`. */
  describe: string;
  /** The functions it accepts. */
  functions: string[];
  init(initial: unknown): S;
  /** The state after the operation, or undefined when the operation is illegal in `state`. */
  step(state: S, f: string, input: unknown, output: unknown): S | undefined;
  /** A 32-bit hash of a state, for the search's memo. */
  hash(state: S): number;
  equal(a: S, b: S): boolean;
  /** A state as people read it. */
  show(state: S): string;
}

/** A 32-bit hash of a JSON-like value. */
export function hashValue(value: unknown): number {
  if (value === null || value === undefined) return 0x9e3779b9 | 0;
  if (typeof value === "number") return Math.imul((value * 1000003) | 0, 0x85ebca6b) ^ (value / 4294967296 | 0);
  if (typeof value === "boolean") return value ? 1231 : 1237;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return typeof value === "string" ? h : h ^ 0x5bd1e995;
}

/** Structural equality of JSON-like values. */
export function equalValues(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

const show = (state: unknown) => JSON.stringify(state) ?? "undefined";

/** A read/write register. */
export const register: Model<unknown> = {
  name: "register",
  describe: "a single value: read (output: the value), write (input: the new value)",
  functions: ["read", "write"],
  init: (initial) => initial,
  step(state, f, input, output) {
    if (f === "write") return input;
    if (f === "read") return output === undefined || equalValues(output, state) ? state : undefined;
    return undefined;
  },
  hash: hashValue,
  equal: equalValues,
  show,
};

/** A register with compare-and-set. */
export const casRegister: Model<unknown> = {
  name: "cas-register",
  describe: "register plus cas (input: [expected, new]); a cas that took effect found `expected`",
  functions: ["read", "write", "cas"],
  init: (initial) => initial,
  step(state, f, input, output) {
    if (f !== "cas") return register.step(state, f, input, output);
    const [expected, next] = input as [unknown, unknown];
    // An ok cas must have found its expected value; an unknown one took effect only if it could.
    if (equalValues(state, expected)) return next;
    return output === undefined ? state : undefined;
  },
  hash: hashValue,
  equal: equalValues,
  show,
};

/** A kv state: the string and its polynomial hash, extended in O(suffix) by an append. */
interface KvState {
  value: string;
  hash: number;
}

function extendHash(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

/**
 * A string value per key with get, put and append (the key is the partition). The state carries
 * its hash so that appends, which make values long, cost only their suffix.
 */
export const kv: Model<KvState> = {
  name: "kv",
  describe: "one string per key: get (output: the value), put (input: the value), append (input: the suffix)",
  functions: ["get", "put", "append"],
  init: (initial) => {
    const value = initial === null || initial === undefined ? "" : String(initial);
    return { value, hash: extendHash(0, value) };
  },
  step(state, f, input, output) {
    if (f === "put") return { value: String(input), hash: extendHash(0, String(input)) };
    if (f === "append") return { value: state.value + String(input), hash: extendHash(state.hash, String(input)) };
    if (f === "get") return output === undefined || output === state.value ? state : undefined;
    return undefined;
  },
  hash: (state) => state.hash,
  equal: (a, b) => a === b || (a.hash === b.hash && a.value === b.value),
  show: (state) => JSON.stringify(state.value),
};

/** A counter: add (input: the increment) and read. */
export const counter: Model<number> = {
  name: "counter",
  describe: "a number: add (input: the increment), read (output: the value)",
  functions: ["add", "read"],
  init: (initial) => (initial === null || initial === undefined ? 0 : Number(initial)),
  step(state, f, input, output) {
    if (f === "add") return state + Number(input);
    if (f === "read") return output === undefined || Number(output) === state ? state : undefined;
    return undefined;
  },
  hash: hashValue,
  equal: (a, b) => a === b,
  show,
};

/** A set: add (input: the element) and read (output: all elements, any order). */
export const set: Model<readonly unknown[]> = {
  name: "set",
  describe: "a set: add (input: the element), read (output: the elements, any order)",
  functions: ["add", "read"],
  init: (initial) => sortedUnique(Array.isArray(initial) ? initial : []),
  step(state, f, input, output) {
    if (f === "add") return state.some((e) => equalValues(e, input)) ? state : sortedUnique([...state, input]);
    if (f === "read") {
      if (output === undefined) return state;
      return Array.isArray(output) && equalValues(sortedUnique(output), state) ? state : undefined;
    }
    return undefined;
  },
  hash: hashValue,
  equal: equalValues,
  show,
};

/** A FIFO queue: enqueue (input) and dequeue (output: the head, or null when empty). */
export const queue: Model<readonly unknown[]> = {
  name: "queue",
  describe: "a FIFO queue: enqueue (input: the element), dequeue (output: the head, null when empty)",
  functions: ["enqueue", "dequeue"],
  init: (initial) => (Array.isArray(initial) ? [...initial] : []),
  step(state, f, input, output) {
    if (f === "enqueue") return [...state, input];
    if (f !== "dequeue") return undefined;
    if (output === undefined) return state.slice(1);
    if (state.length === 0) return output === null ? state : undefined;
    return equalValues(state[0], output) ? state.slice(1) : undefined;
  },
  hash: hashValue,
  equal: equalValues,
  show,
};

function sortedUnique(items: readonly unknown[]): unknown[] {
  const keyed = new Map(items.map((e) => [JSON.stringify(e), e]));
  return [...keyed.keys()].sort().map((k) => keyed.get(k));
}

/**
 * A string per key with get, put and cas (input `[expected, next]`; a missing key holds ""):
 * the cas-register model under the register's function names.
 */
export const kvCas: Model<unknown> = {
  name: "kv-cas",
  describe: "one string per key: get, put, cas ([expected, next])",
  functions: ["get", "put", "cas"],
  init: (initial): string => (initial === null || initial === undefined ? "" : String(initial)),
  step(state, f, input, output) {
    if (typeof state !== "string") return undefined;
    if (f === "put") return String(input);
    if (f === "get") return output === undefined || output === state ? state : undefined;
    if (f !== "cas") return undefined;
    const [expected, next] = input as [string, string];
    // An ok cas found `expected`; an unknown one took effect only if it could.
    if (state === expected) return next;
    return output === undefined ? state : undefined;
  },
  hash: hashValue,
  equal: equalValues,
  show: (state) => JSON.stringify(state),
};

/** Every model by its CLI name. */
export const models: Record<string, Model<unknown>> = {
  register,
  "cas-register": casRegister,
  kv: kv as Model<unknown>,
  "kv-cas": kvCas,
  counter: counter as Model<unknown>,
  set: set as Model<unknown>,
  queue: queue as Model<unknown>,
};

/** The model named `name`; an unknown name is refused listing the models. */
export function modelNamed(name: string): Model<unknown> {
  const model = Object.hasOwn(models, name) ? models[name] : undefined;
  if (model === undefined) {
    throw new InputError(`unknown model ${JSON.stringify(name)}; allowed: ${Object.keys(models).join(", ")}`);
  }
  return model;
}
