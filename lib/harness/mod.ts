/**
 * The harness every system runs on: a system declares how to build its servers and clients, its
 * invariants and planted bugs ({@linkcode SystemDefinition}); a workload brings a generator, final
 * operations and checkers ({@linkcode Workload}); a run goes through warm-up, faults, heal,
 * bounded recovery and final reads ({@linkcode runSystem}); every run gets the standard figures
 * ({@linkcode standardFigures}); and an experiment is a short declaration with typed parameters
 * ({@linkcode defineExperiment}, {@linkcode defineParams}).
 *
 * @example
 * ```ts
 * import { defineParams, integer, paramGroups } from "./mod.ts";
 * const params = defineParams({ ...paramGroups.cluster({ default: 3, max: 9 }) });
 * params.resolve({}).servers; // 3
 * ```
 * @module
 */
export * from "./params.ts";
export * from "./system.ts";
export * from "./workload.ts";
export * from "./run.ts";
export * from "./figures.ts";
export * from "./experiment.ts";
export * from "./checkers.ts";
export * from "./fault_packages.ts";
export * from "./swarm.ts";
export * from "./swarm_fixture.ts";
export * from "./shrink.ts";
