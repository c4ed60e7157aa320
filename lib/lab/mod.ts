/**
 * The lab: experiments by name, single runs and their result directories, sweeps over parameter
 * grids and seeds (in workers, cached per cell), comparisons, reports, and the notebook helpers.
 * The sweep worker (`worker.ts`) is started by the sweep, not imported: `sweepWorkerModule` names it
 * for whatever else starts one (the sweep benchmark times its start-up).
 *
 * @example
 * ```ts
 * import { experimentNamed, runExperiment } from "./mod.ts";
 * const experiment = experimentNamed("echo");
 * const run = await runExperiment(experiment, { clients: 2 }, 1, () => 0);
 * ```
 * @module
 */
export * from "./cells.ts";
export * from "./compare.ts";
export * from "./experiment.ts";
export * from "./files.ts";
export * from "./load.ts";
export * from "./notebook.ts";
export * from "./registry.ts";
export * from "./report_html.ts";
export * from "./results.ts";
export * from "./run.ts";
export * from "./sweep.ts";
export * from "./shard.ts";
export * from "./merge.ts";
export * from "./campaign.ts";
export * from "./fixtures.ts";
export * from "./rca.ts";
export type { CellReply, CellRequest } from "./worker.ts";

/** The sweep worker's module, to start one as the sweep does. */
export const sweepWorkerModule: URL = new URL("./worker.ts", import.meta.url);
