/**
 * The key-value store's experiments.
 *
 * @module
 */
import { kvModesExperiment } from "./modes.ts";
import { kvTombstonesExperiment } from "./tombstones.ts";

export * from "./system.ts";
export * from "./modes.ts";
export * from "./store.ts";
export * from "./resurrection.ts";
export * from "./tombstones.ts";

/** The store's experiments, for the lab's registry. */
export const kvExperiments = [kvModesExperiment, kvTombstonesExperiment];
