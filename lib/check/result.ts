/**
 * What every checker returns: valid true, false, or "unknown" when its budget ran out, with an
 * explanation. Results compose: any false makes the whole false; otherwise any unknown makes it
 * unknown.
 *
 * @module
 */

/** A three-valued verdict. */
export type Validity = true | false | "unknown";

/** One checker's result. */
export interface CheckResult {
  checker: string;
  valid: Validity;
  /** One line a person can read. */
  message: string;
  /** Checker-specific details (counterexample, anomalies, counts). */
  details?: Record<string, unknown>;
}

/** Combines verdicts: false beats unknown beats true. */
export function combineValidity(verdicts: Validity[]): Validity {
  if (verdicts.includes(false)) return false;
  if (verdicts.includes("unknown")) return "unknown";
  return true;
}

/** The process exit code for a verdict: 0 valid, 1 violation, 3 inconclusive. */
export function exitCodeOf(valid: Validity): number {
  return valid === true ? 0 : valid === false ? 1 : 3;
}
