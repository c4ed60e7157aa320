/**
 * Each system's experiments, loaded only when asked for. A sweep worker runs one experiment, and
 * loading every system's modules to run `echo` costs each worker's start-up about twice the
 * module loading it needs; `registry.ts` keeps the eager list the CLI lists and looks names up in.
 *
 * @example
 * ```ts
 * import { systemExperimentLoaders } from "./experiment_modules.ts";
 * const echo = await systemExperimentLoaders.echo(); // only the echo service's modules load
 * echo.map((e) => e.name); // ["echo"]
 * ```
 * @module
 */
import type { Experiment } from "./experiment.ts";

/** The systems whose experiments the lab registers. */
export type ExperimentSystem = "echo" | "raft" | "register" | "kv" | "log";

/** Per system, a loader of its experiments that imports that system's modules only. */
export const systemExperimentLoaders: Readonly<Record<ExperimentSystem, () => Promise<readonly Experiment[]>>> = {
  echo: async () => (await import("../systems/echo/experiments/mod.ts")).echoExperiments,
  raft: async () => (await import("../systems/raft/experiments/mod.ts")).raftExperiments,
  register: async () => (await import("../systems/register/experiments/mod.ts")).registerExperiments,
  kv: async () => (await import("../systems/kv/experiments/mod.ts")).kvExperiments,
  log: async () => (await import("../systems/log/experiments/mod.ts")).logExperiments,
};
