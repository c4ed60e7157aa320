/**
 * A Raft cluster run on the harness with the options Raft's experiments share: clients, a fault
 * schedule, the five safety invariants (checked as the run goes), linearizability of the
 * key-value history and the acknowledged appends lost from the committed state.
 *
 * @module
 */
import type { CheckResult } from "../../../check/mod.ts";
import type { CoverageReport, Schedule } from "../../../faults/mod.ts";
import { InputError } from "../../../assert.ts";
import { type HarnessRun, runSystem } from "../../../harness/mod.ts";
import type { HistorySink } from "../../../history/mod.ts";
import type { DistributionSpec, ServiceTimeModel, Simulation, SimulationOptions } from "../../../sim/mod.ts";
import type { RaftServer } from "../mod.ts";
import { observeServers, type RaftServerSample } from "./observer.ts";
import type { RaftConfig } from "../mod.ts";
import { type RaftCluster, type RaftOptions, raftSystem } from "./system.ts";
import { raftWorkload } from "./workload.ts";

/** Options of a cluster run. */
export interface RaftRunOptions {
  servers: number;
  clients: number;
  durationUs: number;
  bug: string;
  schedule: Schedule;
  keys?: number;
  electionTimeoutUsMin?: number;
  electionTimeoutUsMax?: number;
  /** Skip the linearizability check (benchmarks measure the cluster alone). Default false. */
  skipLinearizability?: boolean;
  /** Client think time (default 2 ms). */
  thinkTimeUsMean?: number;
  /**
   * Leadership transfers an operator asks for: at `atUs`, hand leadership to server `target` (an
   * index; -1: the first up server that does not lead at that moment).
   */
  transfers?: { atUs: number; target: number }[];
  /** One-way network latency between all nodes (default: the kernel's same-zone default). */
  latencyUs?: DistributionSpec;
  /** Heartbeat interval (default: the config's 50 ms). */
  heartbeatIntervalUs?: number;
  /** Most entries per append message (default: the config's 64). */
  entriesPerAppendMax?: number;
  /** How reads are served (default: the config's, readIndex). */
  readMode?: "log" | "readIndex" | "lease";
  /** The clock drift a lease allows for (default: the config's 0.1). */
  leaseClockDriftMax?: number;
  /** How many of the closed-loop clients only read (default 0). */
  readOnlyClients?: number;
  /** How long a closed-loop client waits for an answer before trying another server (default 100 ms). */
  clientTimeoutUs?: number;
  /** Times at which an operator asks the leader to send empty appends to every follower at once. */
  heartbeatsNowAtUs?: number[];
  /** Servers started outside the cluster, waiting to be added (named after the voters: n5, n6...). */
  spares?: number;
  /** Membership changes an operator asks for: at `atUs`, add or remove server `server` (an index). */
  membershipChanges?: { atUs: number; change: "add" | "remove"; server: number }[];
  /** How clients write: "append" (default) or "put" (bounded state, for benchmarks). */
  writeF?: "append" | "put";
  /** Snapshot cadence in entries (default: the config's 1000; 0: never). */
  snapshotEveryEntries?: number;
  /** Snapshot cadence in WAL bytes (default 0: by entries only). */
  snapshotEveryWalBytes?: number;
  /** InstallSnapshot chunk size (default: the config's 64 KiB). */
  snapshotChunkBytes?: number;
  /** Pre-Vote and CheckQuorum (default on). */
  preVote?: boolean;
  checkQuorum?: boolean;
  /** Prices each server event in CPU time (see `raftServiceTime`); default none: events are free and never queue. */
  serverServiceTimeUs?: ServiceTimeModel;
  /** An open-loop generator (Poisson arrivals at a fixed rate, see open_loop.ts) beside the closed-loop clients. */
  openLoop?: {
    offeredPerSecond: number;
    /** Most operations in flight; arrivals beyond are shed (default 1000). */
    processesMax?: number;
    /** Fraction of reads (default 0.5). */
    readFraction?: number;
    /** No arrivals after this time (default: until the end). */
    arrivalsStopUs?: number;
  };
  /** Read every server's role, term, commit and applied index this often (see observer.ts); default never. */
  sampleEveryUs?: number;
  /** Fraction of the closed-loop clients' operations that are reads (default 0.5). */
  readFraction?: number;
  /**
   * Called once before the run, after the nemesis is armed (so at a shared instant its faults come
   * first), to schedule kernel-side readings with `sim.at`: of servers' state and files. It must
   * change nothing the servers do.
   */
  probe?: (
    sim: Simulation,
    cluster: { servers: readonly number[]; instance(node: number): RaftServer | undefined },
  ) => void;
  /**
   * What the run keeps of its history: `"memory"` (default) keeps every event; `"discard"` keeps
   * only fault events and counts client operations, so memory stays flat over a long run; a sink
   * (such as `HistoryFileSink`) also receives every event as it happens. Anything but `"memory"`
   * needs `skipLinearizability` and a schedule without faults (fault coverage counts operations
   * from the history in memory).
   */
  history?: "memory" | "discard" | HistorySink;
  /** How metrics are kept: `"series"` (default) keeps every observation; `"histograms"` only distributions. */
  metrics?: "series" | "histograms";
  /** How often Raft's invariants are checked as the run goes (default 10 ms; 0: only at the end). */
  invariantEveryUs?: number;
}

/** What a run produced. */
export interface RaftRunResult {
  sim: Simulation;
  servers: number[];
  checks: CheckResult[];
  coverage: CoverageReport;
  figures: Record<string, number>;
  /** Leaders by term, as observed. */
  leadersByTerm: ReadonlyMap<number, readonly number[]>;
  /** Every server becoming leader, with the true time. */
  leaderChanges: { timeUs: number; server: number; term: number }[];
  /** The observer's readings of the servers (empty unless `sampleEveryUs` was given). */
  samples: RaftServerSample[];
  /** The current incarnation of server `node` (for white-box assertions). */
  instance(node: number): RaftServer | undefined;
  /** The harness's run. */
  run: HarnessRun<RaftCluster>;
}

/** Runs a cluster under `schedule` on the harness and checks it. */
export function runRaftCluster(options: RaftRunOptions, seed: number): RaftRunResult {
  const writeF = options.writeF ?? "append";
  const keys = options.keys ?? 3;
  let samples: RaftServerSample[] = [];
  const run = runSystem({
    system: raftSystem,
    options: systemOptions(options, keys, writeF),
    workload: raftWorkload({
      clients: options.clients,
      keys,
      readFraction: options.readFraction,
      writeF,
      readOnlyClients: options.readOnlyClients,
      thinkTimeUsMean: options.thinkTimeUsMean,
      checks: !options.skipLinearizability,
    }),
    schedule: options.schedule,
    phases: {
      warmupUs: 0,
      durationUs: options.durationUs,
      recoveryBoundUs: recoveryBoundUs,
      extendForLiveness: false,
      invariantEveryUs: options.invariantEveryUs,
    },
    seed,
    simulation: {
      network: options.latencyUs ? { latencyUs: options.latencyUs } : undefined,
      ...retentionOptions(options),
    },
    probe: (sim, cluster, { endUs }) => {
      if (options.sampleEveryUs !== undefined) {
        samples = observeServers(sim, {
          servers: cluster.servers,
          instance: cluster.instance,
          everyUs: options.sampleEveryUs,
          untilUs: endUs,
        });
      }
      options.probe?.(sim, { servers: cluster.servers, instance: cluster.instance });
    },
  });
  const latency = run.sim.metrics.histogram("raft_client_latency_us");
  return {
    sim: run.sim,
    servers: [...run.cluster.servers],
    checks: run.checks,
    coverage: run.coverage,
    leadersByTerm: run.cluster.invariantsState.leadersByTerm,
    leaderChanges: run.cluster.leaderChanges,
    samples,
    instance: run.cluster.instance,
    run,
    figures: {
      operationsOk: run.sim.history.counts.ok,
      operationsInfo: run.sim.history.counts.info,
      latencyUsP50: latency.quantile(0.5),
      latencyUsP99: latency.quantile(0.99),
      ...(run.cluster.figures!() as Record<string, number>),
    },
  };
}

/** How long after the heal a cluster must have a leader that has committed in its term. */
export const recoveryBoundUs = 2_000_000;

function systemOptions(options: RaftRunOptions, keys: number, writeF: "append" | "put"): RaftOptions {
  const config: Partial<Omit<RaftConfig, "servers">> = {};
  for (const name of configNames) {
    if (options[name] !== undefined) (config as Record<string, unknown>)[name] = options[name];
  }
  return {
    servers: options.servers,
    spares: options.spares,
    bug: options.bug,
    config,
    serverServiceTimeUs: options.serverServiceTimeUs,
    clientTimeoutUs: options.clientTimeoutUs,
    transfers: options.transfers,
    membershipChanges: options.membershipChanges,
    heartbeatsNowAtUs: options.heartbeatsNowAtUs,
    openLoop: options.openLoop === undefined ? undefined : { ...options.openLoop, keys, writeF },
  };
}

/** The run options that are protocol settings. */
const configNames = [
  "electionTimeoutUsMin",
  "electionTimeoutUsMax",
  "preVote",
  "checkQuorum",
  "snapshotEveryEntries",
  "snapshotChunkBytes",
  "snapshotEveryWalBytes",
  "readMode",
  "entriesPerAppendMax",
  "heartbeatIntervalUs",
  "leaseClockDriftMax",
] as const satisfies readonly (keyof RaftRunOptions & keyof RaftConfig)[];

/** The simulation options that keep less in memory, as `history` and `metrics` ask (none by default). */
function retentionOptions(options: RaftRunOptions): Pick<SimulationOptions, "history" | "metrics"> {
  const retention: Pick<SimulationOptions, "history" | "metrics"> = {};
  const history = options.history ?? "memory";
  if (typeof history === "string" && history !== "memory" && history !== "discard") {
    throw new InputError(`history must be "memory", "discard" or a sink; got ${JSON.stringify(history)}`);
  }
  if (history !== "memory") {
    const name = history === "discard" ? '"discard"' : "a sink";
    if (!options.skipLinearizability) {
      throw new InputError(`history ${name} needs skipLinearizability: the check reads the history from memory`);
    }
    if (options.schedule.faults.length > 0) {
      throw new InputError(`history ${name} needs a schedule without faults: coverage reads the history from memory`);
    }
    retention.history = { retain: "faults", sink: history === "discard" ? undefined : history };
  }
  const metrics = options.metrics ?? "series";
  if (metrics !== "series" && metrics !== "histograms") {
    throw new InputError(`metrics must be "series" or "histograms"; got ${JSON.stringify(metrics)}`);
  }
  if (metrics === "histograms") retention.metrics = { histograms: "all" };
  return retention;
}
