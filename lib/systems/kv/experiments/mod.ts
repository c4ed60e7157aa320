/**
 * The key-value store's experiments.
 *
 * @module
 */
import { kvModesExperiment } from "./modes.ts";
import { kvPbsExperiment } from "./pbs.ts";
import { kvTombstonesExperiment } from "./tombstones.ts";
import { kvSwarmExperiment } from "./swarm.ts";
import { kvReplicationExperiment } from "./replication.ts";

export * from "./system.ts";
export * from "./modes.ts";
export * from "./store.ts";
export * from "./wars.ts";
export * from "./pbs.ts";
export * from "./pbs_paper.ts";
export * from "./pbs_store.ts";
export * from "./cas.ts";
export * from "./lease_skew.ts";
export * from "./session_check.ts";
export * from "./resurrection.ts";
export * from "./elements.ts";
export * from "./store_figures.ts";
export * from "./mode_sweep.ts";
export * from "./tombstones.ts";
export * from "./replication.ts";
export * from "./swarm.ts";

/** The store's experiments, for the lab's registry. */
export const kvExperiments = [
  kvModesExperiment,
  kvPbsExperiment,
  kvTombstonesExperiment,
  kvReplicationExperiment,
  kvSwarmExperiment,
];
