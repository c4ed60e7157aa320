/**
 * Consistency models as the anomalies they forbid, after Adya's isolation levels and Elle's
 * `consistency-model` table. Each model forbids some cycle types in a scope of edges (data
 * dependencies only; plus process order for "strong session" models; plus real time for "strong"
 * and strict models) and some direct anomalies:
 *
 * | model                              | scope    | forbids                                        |
 * |------------------------------------|----------|------------------------------------------------|
 * | read-uncommitted (PL-1)            | data     | G0, duplicate-elements, garbage-read           |
 * | read-committed (PL-2)              | data     | + G1a, G1b, G1c, incompatible-order, future-read |
 * | snapshot-isolation (PL-SI)         | data     | + G-single, G-nonadjacent, internal, lost-update |
 * | serializable (PL-3)                | data     | + G2                                           |
 * | strong-session-snapshot-isolation  | process  | as snapshot-isolation                          |
 * | strong-session-serializable        | process  | as serializable                                |
 * | strong-snapshot-isolation          | realtime | as snapshot-isolation                          |
 * | strict-serializable (PL-SS)        | realtime | as serializable                                |
 *
 * Snapshot isolation allows G2 with adjacent rw edges (write skew) but forbids G-single (read
 * skew, lost update) and, by Cerone & Gotsman's characterisation, any cycle whose rw edges are
 * never adjacent (G-nonadjacent). Following Elle, `internal` is forbidden from snapshot isolation
 * up, and read committed does not forbid it (Adya's PL-2 says nothing of a transaction's view of
 * its own writes).
 *
 * @example
 * ```ts
 * import { forbids } from "./models.ts";
 * forbids("snapshot-isolation", "G2"); // false: write skew is allowed
 * forbids("serializable", "G2"); // true
 * ```
 * @module
 */
import { InputError } from "../../assert.ts";
import type { Scope } from "./cycles.ts";
import type { AnomalyType, CycleType, DirectType } from "./types.ts";

/** The models the checker judges, weakest first. */
export const modelNames = [
  "read-uncommitted",
  "read-committed",
  "snapshot-isolation",
  "serializable",
  "strong-session-snapshot-isolation",
  "strong-session-serializable",
  "strong-snapshot-isolation",
  "strict-serializable",
] as const;

/** A consistency model's name. */
export type ModelName = typeof modelNames[number];

/** What a model forbids. */
export interface ModelSpec {
  /** The widest edges its cycles may use. */
  scope: Scope;
  cycles: readonly CycleType[];
  direct: readonly DirectType[];
}

const readUncommitted = { cycles: ["G0"], direct: ["duplicate-elements", "garbage-read"] } as const;
const readCommitted = {
  cycles: [...readUncommitted.cycles, "G1c"],
  direct: [...readUncommitted.direct, "G1a", "G1b", "incompatible-order", "future-read"],
} as const;
const snapshotIsolation = {
  cycles: [...readCommitted.cycles, "G-single", "G-nonadjacent"],
  direct: [...readCommitted.direct, "internal", "lost-update"],
} as const;
const serializable = { cycles: [...snapshotIsolation.cycles, "G2"], direct: snapshotIsolation.direct } as const;

/** Every model's specification. */
export const consistencyModels: Readonly<Record<ModelName, ModelSpec>> = {
  "read-uncommitted": { scope: "data", ...readUncommitted },
  "read-committed": { scope: "data", ...readCommitted },
  "snapshot-isolation": { scope: "data", ...snapshotIsolation },
  "serializable": { scope: "data", ...serializable },
  "strong-session-snapshot-isolation": { scope: "process", ...snapshotIsolation },
  "strong-session-serializable": { scope: "process", ...serializable },
  "strong-snapshot-isolation": { scope: "realtime", ...snapshotIsolation },
  "strict-serializable": { scope: "realtime", ...serializable },
};

const scopeRank: Record<Scope, number> = { data: 0, process: 1, realtime: 2 };

/** Whether an anomaly of `type` rules out `model`. */
export function forbids(model: ModelName, type: AnomalyType): boolean {
  const spec = consistencyModels[model];
  const scope: Scope = type.endsWith("-realtime") ? "realtime" : type.endsWith("-process") ? "process" : "data";
  const base = scope === "data" ? type : type.slice(0, type.length - scope.length - 1);
  if ((spec.direct as readonly string[]).includes(base)) return true;
  return (spec.cycles as readonly string[]).includes(base) && scopeRank[scope] <= scopeRank[spec.scope];
}

/** Whether judging `model` needs real-time edges. */
export function needsRealtime(model: ModelName): boolean {
  return consistencyModels[model].scope === "realtime";
}

/** Checks a model name from a user, naming the allowed ones when it is wrong. */
export function checkModelName(name: unknown): ModelName {
  if (!(modelNames as readonly unknown[]).includes(name)) {
    throw new InputError(`unknown consistency model ${JSON.stringify(name)}; known: ${modelNames.join(", ")}`);
  }
  return name as ModelName;
}
