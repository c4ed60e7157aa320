/**
 * The experiment types the lab runs, sweeps and stores; they are declared by the harness.
 *
 * @module
 */
export type { Experiment, Figure, RunOutput } from "../harness/mod.ts";
