/**
 * A Raft cluster on the kernel with clients, a fault schedule and the checks: the harness the
 * experiments and tests share.
 *
 * Invariants checked: election safety (at most one leader per term, §5.2, checked on every role
 * change) and linearizability of the replicated key-value store, judged on the clients' history
 * (acknowledged appends that vanish show up there too, as reads that miss them).
 *
 * @module
 */
import { checkLinearizable } from "../../check/linearizability.ts";
import { kv } from "../../check/models.ts";
import { pairOperations } from "../../check/operations.ts";
import type { CheckResult } from "../../check/result.ts";
import { type CoverageReport, Nemesis, type Schedule } from "../../faults/mod.ts";
import { InputError } from "../../assert.ts";
import type { HistorySink } from "../../history/history.ts";
import { type DistributionSpec, type ServiceTimeModel, Simulation, type SimulationOptions } from "../../sim/mod.ts";
import { bugsFor } from "./bugs.ts";
import { checkLostWrites } from "./lost_writes.ts";
import { raftClient } from "./client.ts";
import { type RaftServer, raftServer, type Role } from "./node.ts";
import { observeServers, type RaftServerSample } from "./observer.ts";
import { openLoopProcessBase, raftOpenLoopClient } from "./open_loop.ts";
import { raftConfigDefaults, type RaftMessage } from "./types.ts";

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
}

/** What a run produced. */
export interface RaftRunResult {
  sim: Simulation;
  servers: number[];
  checks: CheckResult[];
  coverage: CoverageReport;
  figures: Record<string, number>;
  /** Leaders by term, as observed. */
  leadersByTerm: Map<number, number[]>;
  /** Every server becoming leader, with the true time. */
  leaderChanges: { timeUs: number; server: number; term: number }[];
  /** The observer's readings of the servers (empty unless `sampleEveryUs` was given). */
  samples: RaftServerSample[];
  /** The current incarnation of server `node` (for white-box assertions). */
  instance(node: number): RaftServer | undefined;
}

/** Runs a cluster under `schedule` and checks it. */
export function runRaftCluster(options: RaftRunOptions, seed: number): RaftRunResult {
  const sim = new Simulation({
    seed,
    network: options.latencyUs ? { latencyUs: options.latencyUs } : undefined,
    ...retentionOptions(options),
  });
  const servers: number[] = [];
  const instances = new Map<number, RaftServer>();
  const leadersByTerm = new Map<number, number[]>();
  const leaderChanges: { timeUs: number; server: number; term: number }[] = [];
  const config = {
    ...raftConfigDefaults,
    servers,
    electionTimeoutUsMin: options.electionTimeoutUsMin ?? raftConfigDefaults.electionTimeoutUsMin,
    electionTimeoutUsMax: options.electionTimeoutUsMax ?? raftConfigDefaults.electionTimeoutUsMax,
    preVote: options.preVote ?? raftConfigDefaults.preVote,
    checkQuorum: options.checkQuorum ?? raftConfigDefaults.checkQuorum,
    snapshotEveryEntries: options.snapshotEveryEntries ?? raftConfigDefaults.snapshotEveryEntries,
    snapshotChunkBytes: options.snapshotChunkBytes ?? raftConfigDefaults.snapshotChunkBytes,
    snapshotEveryWalBytes: options.snapshotEveryWalBytes ?? raftConfigDefaults.snapshotEveryWalBytes,
    readMode: options.readMode ?? raftConfigDefaults.readMode,
    entriesPerAppendMax: options.entriesPerAppendMax ?? raftConfigDefaults.entriesPerAppendMax,
    heartbeatIntervalUs: options.heartbeatIntervalUs ?? raftConfigDefaults.heartbeatIntervalUs,
    leaseClockDriftMax: options.leaseClockDriftMax ?? raftConfigDefaults.leaseClockDriftMax,
  };
  const bugs = bugsFor(options.bug);
  const onRole = (server: number, role: Role, term: number) => {
    if (role !== "leader") return;
    leaderChanges.push({ timeUs: sim.nowUs, server, term });
    const leaders = leadersByTerm.get(term) ?? [];
    leaders.push(server);
    leadersByTerm.set(term, leaders);
  };
  // Every server is bootstrapped with the first `servers` as voters; spares wait to be added.
  const bootstrap: number[] = [];
  for (let i = 0; i < options.servers + (options.spares ?? 0); i++) {
    servers.push(sim.addNode<RaftMessage>({
      name: `n${i}`,
      create: (api) => {
        const server = raftServer(api, { config: { ...config, servers: bootstrap }, bugs, onRole }) as RaftServer;
        instances.set(api.id, server);
        return server;
      },
      serviceTimeUs: options.serverServiceTimeUs,
    }));
  }
  bootstrap.push(...servers.slice(0, options.servers));
  const keys = Array.from({ length: options.keys ?? 3 }, (_, i) => `k${i}`);
  for (let i = 0; i < options.clients; i++) {
    sim.addNode<RaftMessage>({
      name: `client${i}`,
      create: (api) =>
        raftClient(api, {
          servers,
          keys,
          readFraction: i < (options.readOnlyClients ?? 0) ? 1 : options.readFraction ?? 0.5,
          writeF: options.writeF,
          thinkTimeUsMean: options.thinkTimeUsMean ?? 2_000,
          timeoutUs: options.clientTimeoutUs ?? 100_000,
          giveUpUs: 1_000_000,
        }),
    });
  }
  if (options.openLoop !== undefined) {
    const openLoop = options.openLoop;
    sim.addNode<RaftMessage>({
      name: "loadgen",
      create: (api) =>
        raftOpenLoopClient(api, {
          servers,
          keys,
          readFraction: openLoop.readFraction ?? 0.5,
          writeF: options.writeF,
          offeredPerSecond: openLoop.offeredPerSecond,
          processesMax: openLoop.processesMax ?? 1000,
          processBase: openLoopProcessBase,
          timeoutUs: 100_000,
          giveUpUs: 1_000_000,
          arrivalsStopUs: openLoop.arrivalsStopUs,
        }),
    });
  }
  const transfers = options.transfers ?? [];
  const changes = options.membershipChanges ?? [];
  const heartbeatsNow = options.heartbeatsNowAtUs ?? [];
  const leaderNow = () => servers.filter((s) => sim.isUp(s) && instances.get(s)?.role === "leader");
  /** Whether a leader has change `i` in its configuration, committed (an uncommitted one may be undone). */
  const changeInForce = (i: number) => {
    const { change, server } = changes[i];
    return leaderNow().some((s) => {
      if (!instances.get(s)!.membershipCommitted) return false;
      const { voters, learners } = instances.get(s)!.membership;
      const member = voters.includes(servers[server]) || learners.includes(servers[server]);
      return change === "add" ? voters.includes(servers[server]) : !member;
    });
  };
  if (transfers.length > 0 || changes.length > 0 || heartbeatsNow.length > 0) {
    // An operator's console: it asks every server, and only the leader acts. A membership change
    // the leader refuses (one is still pending, or it has not committed in its term) is asked
    // again every 100 ms until a leader's configuration shows it, as an operator would retry.
    sim.addNode<RaftMessage>({
      name: "operator",
      create: (api) => ({
        onStart: () => {
          transfers.forEach((t, i) => api.setTimer(t.atUs, { transfer: i }));
          changes.forEach((c, i) => api.setTimer(c.atUs, { change: i }));
          heartbeatsNow.forEach((atUs) => api.setTimer(atUs, { heartbeatNow: true }));
        },
        onMessage() {},
        onTimer(tag) {
          const { transfer, change, heartbeatNow } = tag as {
            transfer?: number;
            change?: number;
            heartbeatNow?: true;
          };
          if (heartbeatNow) {
            for (const server of servers) api.send(server, { type: "heartbeatNow" });
            return;
          }
          if (transfer !== undefined) {
            // Target -1: the first up server that does not lead now, whoever leads when the time comes.
            const index = transfers[transfer].target;
            const target = index >= 0
              ? servers[index]
              : servers.find((s) => sim.isUp(s) && !leaderNow().includes(s)) ?? servers[0];
            for (const server of servers) api.send(server, { type: "transferLeadership", target });
            return;
          }
          const i = change!;
          if (changeInForce(i)) {
            api.record("raft_membership_in_force", i);
            return;
          }
          const request = {
            type: "changeMembership" as const,
            change: changes[i].change,
            server: servers[changes[i].server],
          };
          for (const server of servers) api.send(server, request);
          api.setTimer(100_000, { change: i });
        },
      }),
    });
  }
  const nemesis = new Nemesis({
    sim,
    cluster: {
      nodes: servers,
      roles: {
        leader: leaderNow,
        followers: () => servers.filter((s) => sim.isUp(s) && instances.get(s)?.role === "follower"),
      },
    },
    schedule: options.schedule,
  });
  const untilUs = Math.max(options.durationUs, nemesis.endUs);
  const samples = options.sampleEveryUs === undefined ? [] : observeServers(sim, {
    servers,
    instance: (node) => instances.get(node),
    everyUs: options.sampleEveryUs,
    untilUs,
  });
  options.probe?.(sim, { servers, instance: (node) => instances.get(node) });
  sim.run({ untilUs });
  const twoLeaders = [...leadersByTerm].filter(([, leaders]) => new Set(leaders).size > 1);
  // A leader that has committed in its term holds and has applied every committed entry.
  const holder = leaderNow().map((s) => instances.get(s)!).find((s) => s.log.termAt(s.commit) === s.term);
  const lostWrites = options.skipLinearizability
    ? { checker: "lost-committed-writes", valid: "unknown" as const, message: "not checked" }
    : checkLostWrites(sim.history.events, holder?.kv.data);
  const linearizable = options.skipLinearizability
    ? { valid: "unknown" as const, operations: 0, keys: 0, steps: 0, counterexample: undefined }
    : checkLinearizable(pairOperations(sim.history.events), kv as never, { initial: "" });
  const latency = sim.metrics.histogram("raft_client_latency_us");
  return {
    sim,
    servers,
    leadersByTerm,
    leaderChanges,
    instance: (node) => instances.get(node),
    samples,
    // Without faults there is nothing to cover; a history not kept in memory cannot be asked.
    coverage: sim.history.retain === "all" ? nemesis.coverage() : { faults: [], faultsTouched: 0, vacuous: true },
    checks: [
      {
        checker: "election-safety",
        valid: twoLeaders.length === 0,
        message: twoLeaders.length === 0
          ? "at most one leader per term"
          : `two leaders in term ${twoLeaders[0][0]}: ${twoLeaders[0][1].map((s) => sim.nodeName(s)).join(", ")}`,
      },
      {
        checker: "linearizability (kv)",
        valid: linearizable.valid,
        message: linearizable.valid === true
          ? `the key-value history is linearizable (${linearizable.operations} operations)`
          : linearizable.valid === false
          ? `not linearizable on key ${linearizable.counterexample?.key}: ${linearizable.counterexample?.stuck.f} ` +
            `${
              JSON.stringify(linearizable.counterexample?.stuck.output)
            } met state ${linearizable.counterexample?.stateAtStuck}`
          : "unknown: the search ran out of budget",
        details: linearizable.counterexample === undefined
          ? undefined
          : { counterexample: linearizable.counterexample },
      },
      // Lost writes are judged on appends only (puts overwrite each other): with puts, no such check.
      ...((options.writeF ?? "append") === "append" ? [lostWrites] : []),
    ],
    figures: {
      operationsOk: sim.history.counts.ok,
      operationsInfo: sim.history.counts.info,
      latencyUsP50: latency.quantile(0.5),
      latencyUsP99: latency.quantile(0.99),
      terms: leadersByTerm.size,
      commitIndexMax: Math.max(0, ...[...instances.values()].map((s) => s.commit)),
    },
  };
}

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
