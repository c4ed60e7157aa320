/**
 * Raft's experiments on the harness: the system declaration (system.ts), the shared key-value
 * workload (workload.ts), the fault packages (schedules.ts), and the experiments the lab
 * registers: `raft-chaos`, `raft-election` (the paper's Figure 16), `raft-election-wan` (the thesis' §9.4), `raft-faults`, `raft-lease`,
 * `raft-load`, `raft-load-curve`, `raft-snapshot` and `raft-swarm`.
 *
 * @example
 * ```ts
 * import { raftExperiments } from "./mod.ts";
 * raftExperiments.map((e) => e.name).includes("raft-chaos"); // true
 * ```
 * @module
 */
import { raftChaosExperiment } from "./chaos.ts";
import { raftElectionExperiment, raftElectionWanExperiment } from "./lab.ts";
import { raftFaultsExperiment } from "./faults_lab.ts";
import { raftLeaseExperiment } from "./lease_lab.ts";
import { raftLoadCurveExperiment, raftLoadExperiment } from "./load_lab.ts";
import { raftSnapshotExperiment } from "./snapshot_lab.ts";
import { raftSwarmExperiment } from "./swarm.ts";

export * from "./system.ts";
export * from "./workload.ts";
export * from "./schedules.ts";
export * from "./chaos.ts";
export * from "./cluster.ts";
export * from "./lab.ts";
export * from "./election.ts";
export * from "./faults_lab.ts";
export * from "./fault_figures.ts";
export * from "./lease_lab.ts";
export * from "./load_lab.ts";
export * from "./snapshot_lab.ts";
export * from "./observer.ts";
export * from "./open_loop.ts";
export * from "./scripted_cluster.ts";
export * from "./swarm.ts";

/** Every experiment of Raft, in the order `faultline list` shows them. */
export const raftExperiments = [
  raftChaosExperiment,
  raftElectionExperiment,
  raftElectionWanExperiment,
  raftFaultsExperiment,
  raftLeaseExperiment,
  raftLoadExperiment,
  raftLoadCurveExperiment,
  raftSnapshotExperiment,
  raftSwarmExperiment,
];
