/**
 * Checkers: each judges a recorded history (or final replica states) and returns valid true,
 * false or "unknown" with an explanation.
 *
 * - {@linkcode checkLinearizable}: linearizability against a sequential model (register,
 *   cas-register, kv, counter, set, queue), per key.
 * - {@linkcode checkIsolation}: transactional isolation in the manner of Elle.
 * - {@linkcode checkDelivery}: lost, duplicated and reordered messages of logs and streams.
 * - {@linkcode checkConvergence}: equal replica states after faults heal.
 * - {@linkcode checkSessionGuarantees}: read-your-writes, monotonic reads and writes,
 *   writes-follow-reads.
 *
 * @example
 * ```ts
 * import { checkLinearizable, modelNamed, pairOperations } from "./mod.ts";
 * const result = checkLinearizable(pairOperations([]), modelNamed("register"));
 * result.valid; // true
 * ```
 * @module
 */
export * from "./result.ts";
export * from "./operations.ts";
export * from "./models.ts";
export * from "./linearizability.ts";
export * from "./elle/mod.ts";
export * from "./delivery.ts";
export * from "./convergence.ts";
export * from "./session.ts";
export * from "./generate.ts";
export * from "./html.ts";
