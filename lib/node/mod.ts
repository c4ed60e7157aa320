/**
 * Faultline as an npm package, for Node and tslab notebooks: `./faultline build` compiles this
 * module and everything it imports to `dist/` (ESM JavaScript with type declarations), and
 * `dist/mod.js` re-exports it. Each part of the library is one namespace, named after its folder,
 * so that names which repeat across folders stay apart; each system's experiments are
 * `<system>Experiments`.
 *
 * Under Node the Deno runtime API the library uses is provided by `./deno_shim.ts`, imported
 * first so that it is in place before any other module runs.
 *
 * @example
 * ```ts
 * import { lab } from "./mod.ts";
 * const run = await lab.runExperiment(lab.experimentNamed("echo"), {}, 1, () => 0);
 * run.output.traceHash.length > 0; // true
 * ```
 * @module
 */
import { underDeno } from "./deno_shim.ts";

export * as base from "../base/mod.ts";
export * as history from "../history/mod.ts";
export * as sim from "../sim/mod.ts";
export * as check from "../check/mod.ts";
export * as viz from "../viz/mod.ts";
export * as metrics from "../metrics/mod.ts";
export * as faults from "../faults/mod.ts";
export * as harness from "../harness/mod.ts";
export * as params from "../params.ts";
export * as lab from "../lab/mod.ts";
export * as echo from "../systems/echo/mod.ts";
export * as echoExperiments from "../systems/echo/experiments/mod.ts";
export * as kv from "../systems/kv/mod.ts";
export * as kvExperiments from "../systems/kv/experiments/mod.ts";
export * as log from "../systems/log/mod.ts";
export * as logExperiments from "../systems/log/experiments/mod.ts";
export * as raft from "../systems/raft/mod.ts";
export * as raftExperiments from "../systems/raft/experiments/mod.ts";
export * as register from "../systems/register/mod.ts";
export * as registerExperiments from "../systems/register/experiments/mod.ts";

/** The runtime this copy of the library runs on: `deno`, or `node` (through the Deno shim). */
export const runtime: "deno" | "node" = underDeno ? "deno" : "node";
