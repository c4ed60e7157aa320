/**
 * A budget of steps for building and searching the dependency graph. Every edge added and every
 * edge a search follows costs one step; when the steps run out, `spend` throws
 * {@linkcode BudgetExhausted}, the checker stops where it is, keeps what it has found (every edge
 * and cycle found so far is sound), and answers "unknown" for whatever it could not decide. A
 * step budget rather than a time budget keeps verdicts the same on every machine.
 *
 * @example
 * ```ts
 * import { Budget } from "./budget.ts";
 * const budget = new Budget(1000);
 * budget.spend(10);
 * ```
 * @module
 */
import { assert } from "../../assert.ts";

/** Thrown by {@linkcode Budget.spend} when the steps run out. */
export class BudgetExhausted extends Error {
  constructor(stepsMax: number) {
    super(`the search budget of ${stepsMax} steps ran out`);
    this.name = "BudgetExhausted";
  }
}

/** A count of steps against a maximum. */
export class Budget {
  readonly stepsMax: number;
  #steps = 0;

  constructor(stepsMax: number) {
    assert(Number.isInteger(stepsMax) && stepsMax >= 0, `stepsMax must be a non-negative integer, got ${stepsMax}`);
    this.stepsMax = stepsMax;
  }

  /** Steps spent so far (never more than `stepsMax`). */
  get steps(): number {
    return this.#steps;
  }

  /** Spends `count` steps, or throws {@linkcode BudgetExhausted} when that would pass the maximum. */
  spend(count = 1): void {
    assert(count >= 0, `cannot spend ${count} steps`);
    if (this.#steps + count > this.stepsMax) {
      this.#steps = this.stepsMax;
      throw new BudgetExhausted(this.stepsMax);
    }
    this.#steps += count;
  }
}
