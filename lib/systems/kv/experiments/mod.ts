/**
 * The key-value store's experiments.
 *
 * @module
 */
import { kvModesExperiment } from "./modes.ts";

export * from "./system.ts";
export * from "./modes.ts";
export * from "./store.ts";
export * from "./resurrection.ts";

/** The store's experiments, for the lab's registry. */
export const kvExperiments = [kvModesExperiment];
