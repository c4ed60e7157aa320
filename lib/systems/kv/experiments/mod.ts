/**
 * The key-value store's experiments.
 *
 * @module
 */
import { kvModesExperiment } from "./modes.ts";
import { kvReplicationExperiment } from "./replication.ts";

export * from "./system.ts";
export * from "./modes.ts";
export * from "./store.ts";
export * from "./replication.ts";

/** The store's experiments, for the lab's registry. */
export const kvExperiments = [kvModesExperiment, kvReplicationExperiment];
