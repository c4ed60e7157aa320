/**
 * The transactional isolation checker, in the manner of Elle (Kingsbury & Alvaro, "Elle:
 * Inferring Isolation Anomalies from Experimental Observations", VLDB 2020).
 *
 * Give it a history whose client operations are transactions (f "txn", value a list of
 * micro-ops in Elle's notation) and a workload:
 *
 * - list-append: `["append", key, value]` and `["r", key, list-or-null]`, values unique per key;
 * - rw-register: `["w", key, value]` and `["r", key, value-or-null]`, values unique per key.
 *
 * It infers ww, wr and rw dependencies (and process and real-time order), finds cycles with
 * Tarjan's algorithm and breadth-first search, classifies them (G0, G1c, G-single,
 * G-nonadjacent, G2), finds the direct anomalies (G1a, G1b, internal, lost update, ...), and
 * judges read-uncommitted, read-committed, snapshot-isolation, serializable, their strong-session
 * variants, strong-snapshot-isolation and strict-serializable. Every anomaly carries a readable
 * explanation; a cycle lists its transactions with the dependency (kind, key, reason) between each
 * pair.
 *
 * @example
 * ```ts
 * import { checkIsolation } from "./mod.ts";
 * // Write skew: each transaction reads both keys empty and appends to one.
 * const t = (process: number, ops: unknown[], done: unknown[]) => [
 *   { process, type: "invoke" as const, f: "txn", value: ops, time: 0 },
 *   { process, type: "ok" as const, f: "txn", value: done, time: 0 },
 * ];
 * const history = [
 *   ...t(0, [["r", "x", null], ["r", "y", null], ["append", "x", 1]], [["r", "x", []], ["r", "y", []], ["append", "x", 1]]),
 *   ...t(1, [["r", "x", null], ["r", "y", null], ["append", "y", 1]], [["r", "x", []], ["r", "y", []], ["append", "y", 1]]),
 * ];
 * const result = checkIsolation(history, { workload: "list-append" });
 * result.models["snapshot-isolation"]; // true
 * result.models.serializable; // false (G2)
 * ```
 * @module
 */
export { checkIsolation, isolationCheckResult } from "./check.ts";
export type { IsolationOptions, IsolationResult } from "./check.ts";
export { consistencyModels, forbids, type ModelName, modelNames, type ModelSpec } from "./models.ts";
export type {
  Anomaly,
  AnomalyType,
  CycleStep,
  CycleType,
  Dependency,
  DependencyKind,
  DirectType,
  Key,
  MicroOp,
  TransactionRef,
  Value,
  Workload,
} from "./types.ts";
