/**
 * The primary-backup register's experiments, as the lab registers them.
 *
 * @example
 * ```ts
 * import { registerExperiments } from "./mod.ts";
 * registerExperiments.map((e) => e.name); // ["register"]
 * ```
 * @module
 */
import { registerExperiment } from "./register.ts";

export * from "./register.ts";
export * from "./system.ts";

/** Every experiment of the register. */
export const registerExperiments = [registerExperiment];
