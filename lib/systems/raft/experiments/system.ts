/**
 * Raft's replicated key-value store as the harness runs it: servers bootstrapped with the first
 * `servers` as voters (spares wait to be added), clients that find the leader, the roles the
 * nemesis targets (`leader`, `followers`), Raft's five safety properties as invariants
 * (invariants.ts), convergence as "a leader has committed in its term", and an operator's console
 * for leadership transfers, membership changes and synchronised heartbeats.
 *
 * @module
 */
import type { ClusterHandle, SystemDefinition } from "../../../harness/mod.ts";
import type { ServiceTimeModel, Simulation } from "../../../sim/mod.ts";
import { bugsFor, raftBugDocs } from "../mod.ts";
import { raftClient } from "../mod.ts";
import { RaftInvariants } from "../mod.ts";
import { type RaftServer, raftServer, type Role } from "../mod.ts";
import { openLoopProcessBase, raftOpenLoopClient } from "./open_loop.ts";
import { type Entry, type RaftConfig, raftConfigDefaults, type RaftMessage } from "../mod.ts";

/** How to build a Raft cluster. */
export interface RaftOptions {
  servers: number;
  /** Servers started outside the cluster, waiting to be added (named after the voters: n5, n6...). */
  spares?: number;
  bug: string;
  /** Protocol settings beyond the defaults (types.ts). */
  config?: Partial<Omit<RaftConfig, "servers">>;
  /** Prices each server event in CPU time; default none: events are free and never queue. */
  serverServiceTimeUs?: ServiceTimeModel;
  /** How long a client waits for an answer before trying another server (default 100 ms). */
  clientTimeoutUs?: number;
  /** When a client gives an operation up as `info` (default 1 s). */
  clientGiveUpUs?: number;
  /** At `atUs`, hand leadership to server `target` (an index; -1: the first up server that does not lead). */
  transfers?: { atUs: number; target: number }[];
  /** At `atUs`, add or remove server `server` (an index), asked again every 100 ms until in force. */
  membershipChanges?: { atUs: number; change: "add" | "remove"; server: number }[];
  /** Times at which an operator asks the leader to send empty appends to every follower at once. */
  heartbeatsNowAtUs?: number[];
  /**
   * How long a server that fail-stopped on a WAL error stays down before its supervisor starts it
   * again (default 100 ms); it then recovers from what is durable.
   */
  failStopRestartUs?: number;
  /** An open-loop generator (Poisson arrivals, see open_loop.ts) beside the closed-loop clients. */
  openLoop?: {
    offeredPerSecond: number;
    processesMax?: number;
    readFraction?: number;
    arrivalsStopUs?: number;
    keys: number;
    writeF: "append" | "put";
  };
}

/** The running cluster: the harness's handle plus what Raft's experiments read. */
export interface RaftCluster extends ClusterHandle {
  /** The current incarnation of server `node` (white-box). */
  instance(node: number): RaftServer | undefined;
  /** Servers leading now. */
  leaders(): number[];
  /** Every server becoming leader, with the true time. */
  leaderChanges: { timeUs: number; server: number; term: number }[];
  invariantsState: RaftInvariants;
  /** The key-value state of a leader that has committed in its term (so holds every committed entry). */
  committedState(): ReadonlyMap<string, string> | undefined;
}

/** Raft on the harness. */
export const raftSystem: SystemDefinition<RaftMessage, RaftOptions, RaftCluster> = {
  name: "raft",
  bugs: raftBugDocs,
  build: buildCluster,
  client(context, cluster, options) {
    return raftClient(context, {
      servers: cluster.servers,
      timeoutUs: options.clientTimeoutUs ?? 100_000,
      giveUpUs: options.clientGiveUpUs ?? 1_000_000,
    });
  },
};

function buildCluster(sim: Simulation, options: RaftOptions): RaftCluster {
  const servers: number[] = [];
  const instances = new Map<number, RaftServer>();
  /** Up, and its incarnation started (one that refused to start holds no state to judge). */
  const running = (s: number) =>
    sim.isUp(s) && instances.has(s) && instances.get(s)!.refusedToStart === undefined &&
    !instances.get(s)!.failStopped;
  const leaderChanges: { timeUs: number; server: number; term: number }[] = [];
  const invariants = new RaftInvariants({
    servers: () => servers.filter((s) => running(s)).map((s) => observe(s, instances.get(s)!)),
    name: (server) => sim.nodeName(server),
  });
  const onRole = (server: number, role: Role, term: number) => {
    if (role !== "leader") return;
    leaderChanges.push({ timeUs: sim.nowUs, server, term });
    invariants.leaderElected(server, term);
  };
  const onApply = (server: number, entry: Entry) => invariants.applied(server, entry);
  // Every server is bootstrapped with the first `servers` as voters; spares wait to be added.
  const bootstrap: number[] = [];
  const config = { ...raftConfigDefaults, ...options.config, servers: bootstrap };
  const bugs = bugsFor(options.bug);
  const onFailStop = superviseFailStops(sim, options.failStopRestartUs ?? 100_000);
  for (let i = 0; i < options.servers + (options.spares ?? 0); i++) {
    servers.push(sim.addNode<RaftMessage>({
      name: `n${i}`,
      create: (api) => {
        const server = raftServer(api, { config, bugs, onRole, onFailStop, onApply }) as RaftServer;
        instances.set(api.id, server);
        return server;
      },
      serviceTimeUs: options.serverServiceTimeUs,
    }));
  }
  bootstrap.push(...servers.slice(0, options.servers));
  const leaders = () => servers.filter((s) => sim.isUp(s) && instances.get(s)?.role === "leader");
  const committedLeader = () => leaders().map((s) => instances.get(s)!).find((s) => s.log.termAt(s.commit) === s.term);
  addOperator(sim, servers, instances, leaders, options);
  if (options.openLoop !== undefined) addOpenLoop(sim, servers, options);
  return {
    servers,
    roles: {
      leader: leaders,
      followers: () => servers.filter((s) => sim.isUp(s) && instances.get(s)?.role === "follower"),
    },
    invariants: invariants.list(),
    converged: () => committedLeader() !== undefined,
    figures: () => ({
      terms: invariants.leadersByTerm.size,
      commitIndexMax: Math.max(0, ...[...instances.values()].map((s) => s.commit)),
      // Servers whose last incarnation refused to start (a damaged WAL or snapshot): they stay down.
      serversRefusedToStart: servers.filter((s) => instances.get(s)?.refusedToStart !== undefined).length,
      walFailStops: sim.metrics.count("raft_wal_errors"),
    }),
    instance: (node) => instances.get(node),
    leaders,
    leaderChanges,
    invariantsState: invariants,
    committedState: () => committedLeader()?.kv.data,
    durableValues: () => committedLeader()?.kv.data ?? new Map(),
  };
}

/**
 * A supervisor, as systemd or Kubernetes restarts a process that exited: a server that fail-stops
 * on a WAL error is crashed at once (its unsynced writes are not trusted) and started again after
 * `restartUs`, unless something else restarted it meanwhile.
 */
function superviseFailStops(sim: Simulation, restartUs: number): (server: number) => void {
  return (server) =>
    sim.after(0, (now) => {
      if (!now.isUp(server)) return;
      now.crash(server, { unsyncedOnCrash: "lose" });
      now.after(restartUs, (later) => {
        if (!later.isUp(server)) later.restart(server);
      });
    });
}

function observe(id: number, server: RaftServer) {
  return { id, role: server.role, term: server.term, commit: server.commit, log: server.log };
}

/**
 * An operator's console: it asks every server, and only the leader acts. A membership change the
 * leader refuses (one is still pending, or it has not committed in its term) is asked again every
 * 100 ms until a leader's configuration shows it, as an operator would retry.
 */
function addOperator(
  sim: Simulation,
  servers: readonly number[],
  instances: ReadonlyMap<number, RaftServer>,
  leaders: () => number[],
  options: RaftOptions,
): void {
  const transfers = options.transfers ?? [];
  const changes = options.membershipChanges ?? [];
  const heartbeatsNow = options.heartbeatsNowAtUs ?? [];
  if (transfers.length === 0 && changes.length === 0 && heartbeatsNow.length === 0) return;
  /** Whether a leader has change `i` in its configuration, committed (an uncommitted one may be undone). */
  const changeInForce = (i: number) => {
    const { change, server } = changes[i];
    return leaders().some((s) => {
      if (!instances.get(s)!.membershipCommitted) return false;
      const { voters, learners } = instances.get(s)!.membership;
      const member = voters.includes(servers[server]) || learners.includes(servers[server]);
      return change === "add" ? voters.includes(servers[server]) : !member;
    });
  };
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
        const { transfer, change, heartbeatNow } = tag as { transfer?: number; change?: number; heartbeatNow?: true };
        if (heartbeatNow) {
          for (const server of servers) api.send(server, { type: "heartbeatNow" });
          return;
        }
        if (transfer !== undefined) {
          // Target -1: the first up server that does not lead now, whoever leads when the time comes.
          const index = transfers[transfer].target;
          const target = index >= 0
            ? servers[index]
            : servers.find((s) => sim.isUp(s) && !leaders().includes(s)) ?? servers[0];
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

function addOpenLoop(sim: Simulation, servers: number[], options: RaftOptions): void {
  const openLoop = options.openLoop!;
  const keys = Array.from({ length: openLoop.keys }, (_, i) => `k${i}`);
  sim.addNode<RaftMessage>({
    name: "loadgen",
    create: (api) =>
      raftOpenLoopClient(api, {
        servers,
        keys,
        readFraction: openLoop.readFraction ?? 0.5,
        writeF: openLoop.writeF,
        offeredPerSecond: openLoop.offeredPerSecond,
        processesMax: openLoop.processesMax ?? 1000,
        processBase: openLoopProcessBase,
        timeoutUs: 100_000,
        giveUpUs: 1_000_000,
        arrivalsStopUs: openLoop.arrivalsStopUs,
      }),
  });
}
