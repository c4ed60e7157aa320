/**
 * The echo service's experiments, as the lab registers them.
 *
 * @example
 * ```ts
 * import { echoExperiments } from "./mod.ts";
 * echoExperiments.map((e) => e.name); // ["echo"]
 * ```
 * @module
 */
import { echoExperiment } from "./echo.ts";

export * from "./echo.ts";
export * from "./system.ts";

/** Every experiment of the echo service. */
export const echoExperiments = [echoExperiment];
