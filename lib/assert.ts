/**
 * Always-on assertions for library code.
 *
 * Test-assertion libraries stay in tests; production code checks its own invariants with these.
 * In a simulation an assertion failure is a found bug, so the message must say what was expected.
 *
 * @example
 * ```ts
 * import { assert } from "./assert.ts";
 * assert(1 + 1 === 2, "arithmetic still works");
 * ```
 * @module
 */

/** The error thrown when an invariant of the library itself does not hold. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Throws an {@linkcode AssertionError} with `message` unless `condition` holds. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** The error thrown for bad input from a user: an unknown name, a value out of range, a bad file. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/**
 * Checks a user-supplied number and names the parameter and the allowed range when it is wrong.
 *
 * @example
 * ```ts
 * import { checkNumber } from "./assert.ts";
 * checkNumber("lossProbability", 0.1, { min: 0, max: 1 });
 * ```
 */
export function checkNumber(
  name: string,
  value: unknown,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number {
  // The valid case is checked first and returns without building a message: the kernel checks
  // every timer and message delay with this.
  if (
    typeof value === "number" && Number.isFinite(value) && (!range.integer || Number.isInteger(value)) &&
    (range.min === undefined || value >= range.min) && (range.max === undefined || value <= range.max)
  ) {
    return value;
  }
  const allowed = describeRange(range);
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InputError(`${name} must be a finite number${allowed}, got ${String(value)}`);
  }
  if (range.integer && !Number.isInteger(value)) {
    throw new InputError(`${name} must be an integer${allowed}, got ${value}`);
  }
  if (range.min !== undefined && value < range.min) {
    throw new InputError(`${name} must be${allowed}, got ${value}`);
  }
  if (range.max !== undefined && value > range.max) {
    throw new InputError(`${name} must be${allowed}, got ${value}`);
  }
  return value;
}

function describeRange(range: { min?: number; max?: number }): string {
  if (range.min !== undefined && range.max !== undefined) {
    return ` between ${range.min} and ${range.max}`;
  }
  if (range.min !== undefined) return ` at least ${range.min}`;
  if (range.max !== undefined) return ` at most ${range.max}`;
  return "";
}
