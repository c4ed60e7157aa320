/**
 * The seeded random streams, now in `lib/base/` (the checkers and charts draw from them without
 * the kernel); kept here so existing imports keep working.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * const network = Rng.fromSeed(42).fork("network");
 * ```
 * @module
 */
export { Rng } from "../base/mod.ts";
