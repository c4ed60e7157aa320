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
  type Operation,
  pairOperations,
  type SessionOptions,
  unknownExplanation,
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
          : `unknown: ${unknownExplanation(result)}`,
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
      // The durable state is read after every operation ended, so only final reads can race a write.
      const judged = input.events.filter((op) =>
        op.process === "nemesis" ||
        (values.has(op.key ?? "") && (source === "final" || op.process !== finalProcessId))
      );
      const unread = new Set(
        input.events.filter((op) => op.type === "ok" && op.process !== "nemesis" && !values.has(op.key ?? ""))
          .map((op) => op.key ?? ""),
      );
      const result = lostAcknowledgedWrites(judged, values, input.elements);
      const concurrent = result.concurrentWithFinal;
      const valid = result.lostCount > 0 ? false : unread.size > 0 || concurrent > 0 ? "unknown" : true;
      return {
        checker: name,
        valid,
        message: result.lostCount > 0
          ? `${result.lostCount} of ${result.acknowledged} acknowledged writes are missing (first: ${
            result.lostValues.slice(0, 5).map((v) => JSON.stringify(v)).join(", ")
          })`
          : `all ${result.acknowledged} acknowledged writes are present` +
            (concurrent > 0 ? `; ${concurrent} acknowledged after the final read of their key began, not judged` : "") +
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
 * RPO they imply (see `recoveryPoint` in lib/metrics). A write acknowledged after the final read of
 * its key began is left out and counted in `concurrentWithFinal`: the read may be ordered before
 * it, so the read's not holding it proves nothing.
 */
export function lostAcknowledgedWrites(
  events: readonly Op[],
  values: ReadonlyMap<string, unknown>,
  elements: (value: unknown) => readonly unknown[] = elementsOf,
  endUs?: number,
): RecoveryPointResult & { concurrentWithFinal: number } {
  const present: Record<string, unknown[]> = {};
  for (const [key, value] of values) present[key] = [...elements(value)];
  const concurrent = concurrentWithFinalReads(events);
  // Appends are writes of one element to a list: present when the final list holds it.
  const writes = events.filter((op) => op.process !== finalProcessId && !concurrent.has(op))
    .map((op) => op.f === "append" ? { ...op, f: "write" } : op);
  const concurrentWithFinal = [...concurrent].filter((op) => op.type === "ok" && isWrite(op.f)).length;
  return { ...recoveryPoint(writes, { present, endUs }), concurrentWithFinal };
}

/** Whether `f` writes: the functions `recoveryPoint` judges, and appends. */
function isWrite(f: string): boolean {
  return f === "write" || f === "put" || f === "append";
}

/** The client operations (invocation and completion) completed after the final read of their key began. */
function concurrentWithFinalReads(events: readonly Op[]): Set<Op> {
  const finalReadUs = new Map<string, number>();
  for (const op of events) {
    const key = op.key ?? "";
    if (op.process === finalProcessId && op.type === "invoke" && !finalReadUs.has(key)) finalReadUs.set(key, op.time);
  }
  const concurrent = new Set<Op>();
  if (finalReadUs.size === 0) return concurrent;
  const pending = new Map<Op["process"], Op>();
  for (const op of events) {
    if (op.process === finalProcessId || op.process === "nemesis") continue;
    if (op.type === "invoke") {
      pending.set(op.process, op);
      continue;
    }
    const invocation = pending.get(op.process);
    pending.delete(op.process);
    const readUs = finalReadUs.get(invocation?.key ?? op.key ?? "");
    if (invocation === undefined || readUs === undefined || op.time <= readUs) continue;
    concurrent.add(invocation);
    concurrent.add(op);
  }
  return concurrent;
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

/**
 * No session loses its own later write: when a key's final value was written by process p, no
 * write of p to that key was invoked after that one had been acknowledged and was itself
 * acknowledged. A last-writer-wins store must order a session's writes as the session made them
 * (its clock must follow what the session saw); overwrites by other sessions are not judged here
 * (that is linearizability's job), so this holds for every consistency mode. Needs unique values.
 */
export function sessionWritesKept(options: { name?: string; writes?: readonly string[] } = {}): Checker {
  const name = options.name ?? "lost-session-writes";
  const writeFs = new Set(options.writes ?? ["put", "write"]);
  return {
    name,
    check({ events, finalValues }) {
      if (finalValues === undefined) return { checker: name, valid: "unknown", message: "no final reads to judge" };
      // Acknowledged writes by key, each with its invocation and completion places in the history.
      const written = new Map<string, Operation[]>();
      for (const operation of pairOperations(clientOperations(events))) {
        if (!operation.known || !writeFs.has(operation.f)) continue;
        const key = operation.key ?? "";
        if (!written.has(key)) written.set(key, []);
        written.get(key)!.push(operation);
      }
      const lost: string[] = [];
      for (const [key, finalValue] of finalValues) {
        const writes = written.get(key) ?? [];
        const last = writes.find((w) => w.input === finalValue);
        if (last === undefined) continue;
        const later = writes.find((w) => w.process === last.process && w.callIndex > last.returnIndex);
        if (later !== undefined) {
          lost.push(
            `key ${key} ends with ${JSON.stringify(last.input)}, but process ${last.process} later wrote ` +
              `${JSON.stringify(later.input)} (acknowledged, event ${later.returnIndex + 1})`,
          );
        }
      }
      return {
        checker: name,
        valid: lost.length === 0,
        message: lost.length === 0
          ? `every session's last acknowledged write to each final key survived (${finalValues.size} keys)`
          : `${lost.length} keys lost a session's later write: ${lost.slice(0, 3).join("; ")}`,
        details: lost.length === 0 ? undefined : { lost: lost.slice(0, 100) },
      };
    },
  };
}
