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
import { Histogram } from "../../metrics/histogram.ts";
import { type DistributionSpec, Simulation } from "../../sim/mod.ts";
import { bugsFor } from "./bugs.ts";
import { raftClient } from "./client.ts";
import { type RaftServer, raftServer, type Role } from "./node.ts";
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
  /** Leadership transfers an operator asks for: at `atUs`, hand leadership to server `target` (an index). */
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
  /** Servers started outside the cluster, waiting to be added (named after the voters: n5, n6...). */
  spares?: number;
  /** Membership changes an operator asks for: at `atUs`, add or remove server `server` (an index). */
  membershipChanges?: { atUs: number; change: "add" | "remove"; server: number }[];
  /** How clients write: "append" (default) or "put" (bounded state, for benchmarks). */
  writeF?: "append" | "put";
  /** Snapshot cadence in entries (default: the config's 1000; 0: never). */
  snapshotEveryEntries?: number;
  /** Pre-Vote and CheckQuorum (default on). */
  preVote?: boolean;
  checkQuorum?: boolean;
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
  /** The current incarnation of server `node` (for white-box assertions). */
  instance(node: number): RaftServer | undefined;
}

/** Runs a cluster under `schedule` and checks it. */
export function runRaftCluster(options: RaftRunOptions, seed: number): RaftRunResult {
  const sim = new Simulation({ seed, network: options.latencyUs ? { latencyUs: options.latencyUs } : undefined });
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
          readFraction: 0.5,
          writeF: options.writeF,
          thinkTimeUsMean: options.thinkTimeUsMean ?? 2_000,
          timeoutUs: 100_000,
          giveUpUs: 1_000_000,
        }),
    });
  }
  const transfers = options.transfers ?? [];
  const changes = options.membershipChanges ?? [];
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
  if (transfers.length > 0 || changes.length > 0) {
    // An operator's console: it asks every server, and only the leader acts. A membership change
    // the leader refuses (one is still pending, or it has not committed in its term) is asked
    // again every 100 ms until a leader's configuration shows it, as an operator would retry.
    sim.addNode<RaftMessage>({
      name: "operator",
      create: (api) => ({
        onStart: () => {
          transfers.forEach((t, i) => api.setTimer(t.atUs, { transfer: i }));
          changes.forEach((c, i) => api.setTimer(c.atUs, { change: i }));
        },
        onMessage() {},
        onTimer(tag) {
          const { transfer, change } = tag as { transfer?: number; change?: number };
          if (transfer !== undefined) {
            const target = servers[transfers[transfer].target];
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
    cluster: { nodes: servers, roles: { leader: leaderNow } },
    schedule: options.schedule,
  });
  sim.run({ untilUs: Math.max(options.durationUs, nemesis.endUs) });
  const twoLeaders = [...leadersByTerm].filter(([, leaders]) => new Set(leaders).size > 1);
  const linearizable = options.skipLinearizability
    ? { valid: "unknown" as const, operations: 0, keys: 0, steps: 0, counterexample: undefined }
    : checkLinearizable(pairOperations(sim.history.events), kv as never, { initial: "" });
  const latency = new Histogram();
  for (const v of sim.metrics.series("raft_client_latency_us").value) latency.record(v);
  const completions = sim.history.events.filter((op) => op.process !== "nemesis" && op.type !== "invoke");
  return {
    sim,
    servers,
    leadersByTerm,
    leaderChanges,
    instance: (node) => instances.get(node),
    coverage: nemesis.coverage(),
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
    ],
    figures: {
      operationsOk: completions.filter((op) => op.type === "ok").length,
      operationsInfo: completions.filter((op) => op.type === "info").length,
      latencyUsP50: latency.quantile(0.5),
      latencyUsP99: latency.quantile(0.99),
      terms: leadersByTerm.size,
      commitIndexMax: Math.max(0, ...[...instances.values()].map((s) => s.commit)),
    },
  };
}
