/**
 * The checkers a workload picks from, each a small record with a name and a `check` over the
 * recorded history: linearizability against a model, acknowledged writes lost (against the final
 * reads or the system's durable state), session guarantees, delivery, convergence of replicas and
 * Elle-style isolation. They wrap the checkers of `lib/check`, which know nothing of the kernel.
 *
 * @example
 * ```ts
 * import { linearizable } from "./checkers.ts";
 * import { kv } from "../check/mod.ts";
 * const checker = linearizable("linearizability (kv)", kv, { initial: "" });
 * checker.check({ events: [], finalValues: undefined, durableValues: undefined, elements: (v) => [v] }).valid; // true
 * ```
 * @module
 */
import {
  checkConvergence,
  checkDelivery,
  checkIsolation,
  checkLinearizable,
  type CheckResult,
  checkSessionGuarantees,
  type DeliveryOptions,
  isolationCheckResult,
  type IsolationOptions,
  type Model,
  pairOperations,
  type SessionOptions,
} from "../check/mod.ts";
import type { Op } from "../history/mod.ts";
import { recoveryPoint, type RecoveryPointResult } from "../metrics/mod.ts";
import { type Checker, type CheckInput, elementsOf, finalProcessId } from "./workload.ts";

/** Linearizability of the client operations against `model`, each key on its own. */
export function linearizable(
  name: string,
  model: Model<unknown>,
  options: {
    initial?: unknown;
    stepsMax?: number;
    /**
     * Judge the final reads too: they are the last word on what survived, so an acknowledged write
     * lost at the end shows even when no client read its key again. Default false.
     */
    includeFinal?: boolean;
  } = {},
): Checker {
  return {
    name,
    check({ events }) {
      const judged = options.includeFinal ? events.filter((op) => op.process !== "nemesis") : clientOperations(events);
      const result = checkLinearizable(pairOperations(judged), model, options);
      const example = result.counterexample;
      return {
        checker: name,
        valid: result.valid,
        message: result.valid === true
          ? `linearizable (${result.operations} operations)`
          : result.valid === false
          ? `not linearizable on key ${example?.key}: ${example?.stuck.f} ${JSON.stringify(example?.stuck.output)} ` +
            `met state ${example?.stateAtStuck}`
          : `unknown: ${result.unknownReason ?? "the search ran out of budget"} on key ${result.unknownKey}`,
        details: example === undefined ? undefined : { counterexample: example },
      };
    },
  };
}

/**
 * Acknowledged writes (`put`, `write` or `append` completed ok) missing at the end, from the final
 * reads (`"final"`: what clients can still read) or from the system's durable state (`"durable"`:
 * what a power loss now would keep). A write's value counts as present when the final value of its
 * key equals it or, for lists, contains it. This is set semantics: right for appends and journals,
 * whose writes accumulate; overwritten puts would look lost, so judge those by linearizability.
 */
export function lostWrites(source: "final" | "durable", options: { name?: string } = {}): Checker {
  const name = options.name ?? (source === "final" ? "lost-writes" : "acknowledged-durable");
  return {
    name,
    check(input) {
      const values = source === "final" ? input.finalValues : input.durableValues;
      if (values === undefined) {
        return { checker: name, valid: "unknown", message: `no ${source} state to compare with` };
      }
      // Only keys whose final state is known are judged: a key no final read reached proves nothing.
      const judged = input.events.filter((op) => op.process === "nemesis" || values.has(op.key ?? ""));
      const unread = new Set(
        input.events.filter((op) => op.type === "ok" && op.process !== "nemesis" && !values.has(op.key ?? ""))
          .map((op) => op.key ?? ""),
      );
      const result = lostAcknowledgedWrites(judged, values, input.elements);
      const valid = result.lostCount > 0 ? false : unread.size > 0 ? "unknown" : true;
      return {
        checker: name,
        valid,
        message: result.lostCount > 0
          ? `${result.lostCount} of ${result.acknowledged} acknowledged writes are missing (first: ${
            result.lostValues.slice(0, 5).map((v) => JSON.stringify(v)).join(", ")
          })`
          : `all ${result.acknowledged} acknowledged writes are present` +
            (unread.size > 0
              ? `; keys with no ${source} state, not judged: ${[...unread].slice(0, 5).join(", ")}`
              : ""),
        details: result.lostCount === 0 ? undefined : { lost: result.lost.slice(0, 100), rpoUs: result.rpoUs },
      };
    },
  };
}

/**
 * The acknowledged writes and appends of `events` whose values `values` (by key) lack, with the
 * RPO they imply (see `recoveryPoint` in lib/metrics).
 */
export function lostAcknowledgedWrites(
  events: readonly Op[],
  values: ReadonlyMap<string, unknown>,
  elements: (value: unknown) => readonly unknown[] = elementsOf,
  endUs?: number,
): RecoveryPointResult {
  const present: Record<string, unknown[]> = {};
  for (const [key, value] of values) present[key] = [...elements(value)];
  // Appends are writes of one element to a list: present when the final list holds it.
  const writes = events.filter((op) => op.process !== finalProcessId)
    .map((op) => op.f === "append" ? { ...op, f: "write" } : op);
  return recoveryPoint(writes, { present, endUs });
}

/** Session guarantees of each client process. */
export function sessionGuaranteesChecker(options: SessionOptions = {}): Checker {
  return named("session-guarantees", ({ events }) => checkSessionGuarantees(clientOperations(events), options));
}

/** Delivery of sent messages to consumers. */
export function deliveryChecker(options: DeliveryOptions = {}): Checker {
  return named("delivery", ({ events }) => checkDelivery(clientOperations(events), options));
}

/** Elle-style isolation of transactions. */
export function isolationChecker(options: IsolationOptions): Checker {
  return named(
    `isolation (${options.model ?? "serializable"})`,
    ({ events }) => isolationCheckResult(checkIsolation(clientOperations(events), options)),
  );
}

/** Replicas hold equal states at the end (`replicaStates` reads them, white-box). */
export function convergenceChecker(replicaStates: () => Record<string, unknown>): Checker {
  return named("convergence", () => checkConvergence(replicaStates()));
}

function named(name: string, check: (input: CheckInput) => CheckResult): Checker {
  return { name, check: (input) => ({ ...check(input), checker: name }) };
}

/** The clients' operations without the final reads (the yardstick, not part of what is judged). */
export function clientOperations(events: readonly Op[]): Op[] {
  return events.filter((op) => op.process !== "nemesis" && op.process !== finalProcessId);
}
