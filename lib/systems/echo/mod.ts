/**
 * The echo service with retries: the kernel's example system, used by the demo, the tour notebook
 * and the determinism tests.
 *
 * @example
 * ```ts
 * import { runEcho } from "./mod.ts";
 * console.log(runEcho({ durationUs: 1_000_000 }, 7).summary);
 * ```
 * @module
 */
export * from "./echo.ts";
export * from "./experiment.ts";
