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
import { suggest } from "../base/mod.ts";
import type { Operation } from "./operations.ts";

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
  /**
   * Why an operation's values do not fit the model (undefined when they do), saying what is
   * allowed; `output` is undefined when the outcome is unknown. Called only with a function in
   * `functions`. Without it, any values are taken as they are.
   */
  invalid?(f: string, input: unknown, output: unknown): string | undefined;
  /** Why an initial value does not fit the model (undefined when it does). */
  invalidInitial?(initial: unknown): string | undefined;
}

/**
 * A JSON-like value as JSON text with object keys sorted, so that values equal as structures have
 * one text whatever order their keys came in: `{"a":1,"b":2}` and `{"b":2,"a":1}` are one value.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value).sort().map((k) =>
      `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`
    );
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

/** A 32-bit hash of a JSON-like value; structurally equal values hash alike. */
export function hashValue(value: unknown): number {
  if (value === null || value === undefined) return 0x9e3779b9 | 0;
  if (typeof value === "number") return Math.imul((value * 1000003) | 0, 0x85ebca6b) ^ (value / 4294967296 | 0);
  if (typeof value === "boolean") return value ? 1231 : 1237;
  const text = typeof value === "string" ? value : canonicalJson(value);
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return typeof value === "string" ? h : h ^ 0x5bd1e995;
}

/** Structural equality of JSON-like values: arrays in order, objects whatever their key order. */
export function equalValues(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => equalValues(item, other[i]));
  }
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  return aKeys.length === Object.keys(b).length &&
    aKeys.every((k) => Object.hasOwn(bRecord, k) && equalValues((a as Record<string, unknown>)[k], bRecord[k]));
}

/** Whether `value` is a JSON value: null, a boolean, a finite number, a string, or arrays and objects of them. */
export function isJsonValue(value: unknown): boolean {
  if (value === null || typeof value === "boolean" || typeof value === "string") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value as Record<string, unknown>).every(isJsonValue);
}

const showValue = (value: unknown) => JSON.stringify(value) ?? "undefined";
const isString = (value: unknown): value is string => typeof value === "string";
const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

/** Why a list of elements is not a set of JSON values: a non-JSON element or one twice. */
function invalidElements(items: readonly unknown[]): string | undefined {
  if (!items.every(isJsonValue)) return "its elements must be JSON values";
  const seen = new Set<string>();
  for (const item of items) {
    const text = canonicalJson(item);
    if (seen.has(text)) return `it holds ${text} twice; a set holds each element once`;
    seen.add(text);
  }
  return undefined;
}

/** The register's rule: write takes any JSON value, an ok read returns one. */
function invalidRegister(f: string, input: unknown, output: unknown): string | undefined {
  if (f === "write" && !isJsonValue(input)) return `write takes a JSON value, got ${showValue(input)}`;
  if (f === "read" && output !== undefined && !isJsonValue(output)) {
    return `read returns a JSON value, got ${showValue(output)}`;
  }
  return undefined;
}

/** A cas's input: `[expected, new]`, both satisfying `fits`. */
function invalidCas(input: unknown, fits: (v: unknown) => boolean, kind: string): string | undefined {
  if (Array.isArray(input) && input.length === 2 && input.every(fits)) return undefined;
  return `cas takes [expected, new] (two ${kind}), got ${showValue(input)}`;
}

const show = (state: unknown) => canonicalJson(state);

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
  invalid: invalidRegister,
  invalidInitial: (initial) => isJsonValue(initial) ? undefined : "the initial value must be a JSON value",
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
  invalid: (f, input, output) =>
    f === "cas" ? invalidCas(input, isJsonValue, "JSON values") : invalidRegister(f, input, output),
  invalidInitial: register.invalidInitial,
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
  invalid: invalidString,
  invalidInitial: (initial) =>
    initial === null || isString(initial) ? undefined : `the initial value must be a string, got ${showValue(initial)}`,
};

/** The rule of the string models: put, append and cas take strings, and a get returns one. */
function invalidString(f: string, input: unknown, output: unknown): string | undefined {
  if (f === "cas") return invalidCas(input, isString, "strings");
  if (f === "get") {
    return output === undefined || isString(output) ? undefined : `get returns a string, got ${showValue(output)}`;
  }
  return isString(input) ? undefined : `${f} takes a string, got ${showValue(input)}`;
}

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
  invalid(f, input, output) {
    if (f === "add") return isNumber(input) ? undefined : `add takes a finite number, got ${showValue(input)}`;
    return output === undefined || isNumber(output)
      ? undefined
      : `read returns a finite number, got ${showValue(output)}`;
  },
  invalidInitial: (initial) =>
    initial === null || isNumber(initial) ? undefined : `the initial value must be a number, got ${showValue(initial)}`,
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
  invalid(f, input, output) {
    if (f === "add") return isJsonValue(input) ? undefined : `add takes a JSON value, got ${showValue(input)}`;
    if (output === undefined) return undefined;
    if (!Array.isArray(output)) return `read returns an array of the elements, got ${showValue(output)}`;
    const problem = invalidElements(output);
    return problem === undefined ? undefined : `read returned ${showValue(output)}: ${problem}`;
  },
  invalidInitial(initial) {
    if (initial === null) return undefined;
    if (!Array.isArray(initial)) return `the initial value must be an array of elements, got ${showValue(initial)}`;
    const problem = invalidElements(initial);
    return problem === undefined ? undefined : `the initial value ${showValue(initial)}: ${problem}`;
  },
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
  invalid(f, input, output) {
    // null is what a dequeue of an empty queue returns, so it cannot be an element too.
    if (f === "enqueue") {
      return input !== null && isJsonValue(input)
        ? undefined
        : `enqueue takes a JSON value other than null, got ${showValue(input)}`;
    }
    return output === undefined || isJsonValue(output)
      ? undefined
      : `dequeue returns a JSON value (null when empty), got ${showValue(output)}`;
  },
  invalidInitial: (initial) =>
    initial === null || (Array.isArray(initial) && initial.every((e) => e !== null && isJsonValue(e)))
      ? undefined
      : `the initial value must be an array of JSON values other than null, got ${showValue(initial)}`,
};

function sortedUnique(items: readonly unknown[]): unknown[] {
  const keyed = new Map(items.map((e) => [canonicalJson(e), e]));
  return [...keyed.keys()].sort().map((k) => keyed.get(k));
}

/**
 * A string per key with get, put, delete and cas (input `[expected, next]`; a missing key holds
 * ""): the cas-register model under the register's function names. A delete (input null) is a
 * write of the absent value "", which is what a get of a deleted key returns.
 */
export const kvCas: Model<unknown> = {
  name: "kv-cas",
  describe: 'one string per key: get, put, delete (input null; the key reads "" after), cas ([expected, next])',
  functions: ["get", "put", "delete", "cas"],
  init: (initial): string => (initial === null || initial === undefined ? "" : String(initial)),
  step(state, f, input, output) {
    if (typeof state !== "string") return undefined;
    if (f === "put") return String(input);
    if (f === "delete") return "";
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
  invalid: (f, input, output) =>
    f !== "delete"
      ? invalidString(f, input, output)
      : input === null || input === undefined
      ? undefined
      : `delete takes null, got ${showValue(input)}`,
  invalidInitial: kv.invalidInitial,
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

/**
 * Refuses operations the model cannot judge, naming the operation's first event, the operation
 * and what the model allows: a function the model lacks (a typo, `cas` under `register`, a
 * register history under `kv`) would otherwise be judged "not linearizable", and a value of the
 * wrong type (a counter read of `"1"`, a kv put of `5`) would be coerced or compared wrongly.
 *
 * @throws InputError for the first such operation, or for an initial value the model cannot hold
 */
export function validateOperations(operations: readonly Operation[], model: Model<unknown>, initial: unknown): void {
  const initialProblem = model.invalidInitial?.(initial);
  if (initialProblem !== undefined) throw new InputError(`${model.name}: ${initialProblem}`);
  for (const op of operations) {
    const where = `event ${op.callIndex + 1}: process ${op.process} ${op.f}${
      op.key === undefined ? "" : ` on key ${JSON.stringify(op.key)}`
    }`;
    if (!model.functions.includes(op.f)) {
      throw new InputError(
        `${where}: the ${model.name} model has no function ${JSON.stringify(op.f)}${
          suggest(op.f, model.functions)
        }; allowed: ${model.functions.join(", ")}`,
      );
    }
    const problem = model.invalid?.(op.f, op.input, op.output);
    if (problem !== undefined) throw new InputError(`${where}: ${problem} (model ${model.name})`);
  }
}
