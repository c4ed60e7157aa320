/**
 * The commit log's experiments, as the lab registers them.
 *
 * @example
 * ```ts
 * import { logExperiments } from "./mod.ts";
 * logExperiments.map((e) => e.name); // ["log-eos", "log-retention", "log-recovery", "log-txn-overhead"]
 * ```
 * @module
 */
import { logEosExperiment } from "./eos.ts";
import { logRecoveryExperiment } from "./recovery.ts";
import { logRetentionExperiment } from "./retention.ts";
import { logTxnOverheadExperiment } from "./txn_overhead.ts";

export * from "./eos.ts";
export * from "./recovery.ts";
export * from "./retention.ts";
export * from "./table.ts";
export * from "./txn_overhead.ts";
export * from "./system.ts";

/** Every experiment of the commit log. */
export const logExperiments = [
  logEosExperiment,
  logRetentionExperiment,
  logRecoveryExperiment,
  logTxnOverheadExperiment,
];
