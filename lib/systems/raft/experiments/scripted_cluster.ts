/**
 * A Raft cluster driven by a script, as etcd's scenario tests drive theirs. Servers
 * run on the kernel as in any run; clients are driven by hand, one operation at a time each, and
 * every operation they invoke is recorded in the run's history for the linearizability checker.
 * Faults are the kernel's own: link cuts through `cut` and `isolate`, crashes, restarts and pauses
 * called on `sim`. The script reads the servers' state and changes it only through messages.
 *
 * ```ts
 * const cluster = new ScriptedCluster({ voters: 3, seed: 1 });
 * const client = cluster.addClient("client");
 * cluster.start();
 * const leader = cluster.electLeader();
 * cluster.request(client, leader, "put", "v1");
 * cluster.runUntil("the write answered", () => client.open === undefined, 500_000);
 * ```
 *
 * @module
 */
import { checkLinearizable, kv, type LinearizabilityResult, type Model, pairOperations } from "../../../check/mod.ts";
import type { Op } from "../../../history/mod.ts";
import { type NetworkOptions, type NodeApi, Simulation } from "../../../sim/mod.ts";
import {
  bugsFor,
  type RaftConfig,
  raftConfigDefaults,
  type RaftMessage,
  type RaftServer,
  raftServer,
  type Role,
} from "../mod.ts";

/** How a scripted cluster is built. */
export interface ScriptedClusterOptions {
  /** The voters the cluster is bootstrapped with, named s1, s2, ... */
  voters: number;
  /** Servers outside the bootstrap configuration, named after the voters, waiting to be added. Default 0. */
  spares?: number;
  seed: number;
  /** Settings over {@linkcode raftConfigDefaults}. */
  config?: Partial<Omit<RaftConfig, "servers">>;
  /** A planted bug, by its name in bugs.ts. Default "none". */
  bug?: string;
  /** Keep the kernel's trace of every event (needed by {@linkcode ScriptedCluster.votesGranted}). Default false. */
  trace?: boolean;
  /** The network's settings (latency, loss...); default the kernel's. */
  network?: NetworkOptions;
}

/** A client's answered operation. */
export interface ScriptedAnswer {
  timeUs: number;
  server: string;
  f: string;
  value: unknown;
}

/** A hand-driven client: at most one operation open at a time. */
export interface ScriptedClient {
  /** Its node id. */
  readonly id: number;
  /** The operation awaiting its answer, if any: its history entry, its sequence number and its server. */
  readonly open: { op: Op; seq: number; to: number } | undefined;
  /** The operations answered ok, in order. */
  readonly answers: readonly ScriptedAnswer[];
  /** How many times a server refused the open operation (not the leader; the client does not retry). */
  readonly refusals: number;
}

/** A vote or pre-vote a server granted, as the trace saw it sent. */
export interface GrantedVote {
  timeUs: number;
  to: string;
  term: number;
  pre: boolean;
}

/** A client's mutable state, kept inside the cluster. */
interface ClientState {
  id: number;
  api: NodeApi<RaftMessage> | undefined;
  open: { op: Op; seq: number; to: number } | undefined;
  seq: number;
  answers: ScriptedAnswer[];
  refusals: number;
  /** Whether the client has sent load (it then makes no recorded requests). */
  load: boolean;
}

/** The key-value model the checker judges histories by. */
const kvModel = kv as unknown as Model<unknown>;

/** A Raft cluster and its clients, for a test to steer step by step. */
export class ScriptedCluster {
  readonly sim: Simulation;
  /** Every server's node id: the voters first, then the spares. */
  readonly servers: readonly number[];
  /** The configuration every server runs with. */
  readonly config: RaftConfig;
  /** Leaders by term, by name, as the servers reported their role changes (one per term, if all is well). */
  readonly leadersByTerm = new Map<number, string[]>();
  readonly #instances = new Map<number, RaftServer>();
  readonly #clients = new Map<number, ClientState>();

  constructor(options: ScriptedClusterOptions) {
    const spares = options.spares ?? 0;
    if (!Number.isInteger(options.voters) || options.voters < 1 || !Number.isInteger(spares) || spares < 0) {
      throw new Error(`a cluster needs at least one voter and no negative spares: got ${options.voters} and ${spares}`);
    }
    this.sim = new Simulation({ seed: options.seed, trace: options.trace ?? false, network: options.network });
    const bootstrap: number[] = [];
    this.config = { ...raftConfigDefaults, ...options.config, servers: bootstrap };
    const bugs = bugsFor(options.bug ?? "none");
    const onRole = (server: number, role: Role, term: number) => {
      if (role !== "leader") return;
      this.leadersByTerm.set(term, [...(this.leadersByTerm.get(term) ?? []), this.sim.nodeName(server)]);
    };
    const servers: number[] = [];
    for (let i = 1; i <= options.voters + spares; i++) {
      servers.push(this.sim.addNode<RaftMessage>({
        name: `s${i}`,
        create: (api) => {
          const server = raftServer(api, { config: this.config, bugs, onRole }) as RaftServer;
          this.#instances.set(api.id, server);
          return server;
        },
      }));
    }
    bootstrap.push(...servers.slice(0, options.voters));
    this.servers = servers;
  }

  /** Adds a client named `name`: it sends what the script asks and records the answers. */
  addClient(name: string): ScriptedClient {
    const state: ClientState = {
      id: -1,
      api: undefined,
      open: undefined,
      seq: 0,
      answers: [],
      refusals: 0,
      load: false,
    };
    state.id = this.sim.addNode<RaftMessage>({
      name,
      create: (api) => {
        state.api = api;
        return { onMessage: (from, message) => this.#answer(state, from, message) };
      },
    });
    this.#clients.set(state.id, state);
    return state;
  }

  #answer(state: ClientState, from: number, message: RaftMessage): void {
    const open = state.open;
    if (message.type !== "response" || open === undefined || message.seq !== open.seq) return;
    if (!message.ok) {
      state.refusals++;
      return;
    }
    state.api!.complete(open.op, "ok", message.value);
    state.answers.push({ timeUs: this.sim.nowUs, server: this.sim.nodeName(from), f: open.op.f, value: message.value });
    state.open = undefined;
  }

  #client(client: ScriptedClient): ClientState {
    const state = this.#clients.get(client.id);
    if (state?.api === undefined) throw new Error(`client ${client.id} is not running: start the cluster first`);
    return state;
  }

  /** Starts every node (time 0). */
  start(): void {
    this.sim.run({ untilUs: 0 });
  }

  /** The Raft server of node `server`: its last incarnation started (a crashed one until the restart). */
  raft(server: number): RaftServer {
    const instance = this.#instances.get(server);
    if (instance === undefined) throw new Error(`no server ${server}`);
    return instance;
  }

  /** Whether `server` is up and believes it leads. */
  leads(server: number): boolean {
    return this.sim.isUp(server) && this.raft(server).role === "leader";
  }

  /** Leads with an entry of its own term committed: it can serve reads, and its log is the newest. */
  leadsCommitted(server: number): boolean {
    const raft = this.raft(server);
    return this.leads(server) && raft.log.termAt(raft.commit) === raft.term;
  }

  /** The servers that are up and believe they lead. */
  leaders(): number[] {
    return this.servers.filter((server) => this.leads(server));
  }

  /** Runs until exactly one server leads with its term's entry committed (within `maxUs`); returns it. */
  electLeader(maxUs = 2_000_000): number {
    this.runUntil("a leader", () => this.leaders().length === 1 && this.leadsCommitted(this.leaders()[0]), maxUs);
    return this.leaders()[0];
  }

  /**
   * Invokes `f` on `key` at server `to`, recorded in the history (a put with `ttlUs` gives the key
   * that time to live). An operation still open is given up first, as unknown (info): it may yet
   * take effect.
   */
  request(
    client: ScriptedClient,
    to: number,
    f: "put" | "get" | "append" | "delete",
    value: string | null,
    key = "k",
    ttlUs?: number,
  ): void {
    const state = this.#client(client);
    if (state.load) throw new Error("a load client makes no recorded requests");
    if (state.open !== undefined) state.api!.complete(state.open.op, "info");
    state.seq++;
    state.open = { op: state.api!.invoke(f, value, { key }), seq: state.seq, to };
    const request = { type: "request" as const, clientId: state.id, seq: state.seq, f, key, value };
    state.api!.send(to, ttlUs === undefined ? request : { ...request, ttlUs });
  }

  /**
   * Sends `count` puts of `key` to server `to` at once, not recorded in the history: load whose
   * answers no check reads. `key` must be one the recorded operations never touch, and `client`
   * serves for load alone (a server applies a client's commands in sequence order, so a recorded
   * request overtaken by load would be refused).
   */
  load(client: ScriptedClient, to: number, count: number, key: string): void {
    const state = this.#client(client);
    if (state.open !== undefined) throw new Error("a client with a recorded request open sends no load");
    state.load = true;
    for (let i = 0; i < count; i++) {
      state.seq++;
      this.send(client, to, {
        type: "request",
        clientId: state.id,
        seq: state.seq,
        f: "put",
        key,
        value: `${state.seq}`,
      });
    }
  }

  /** Sends `message` from the client to server `to` (an operator's request, or a hand-made peer message). */
  send(client: ScriptedClient, to: number, message: RaftMessage): void {
    this.#client(client).api!.send(to, message);
  }

  /** Runs until `condition` holds (checked after every event), failing loudly after `maxUs`. */
  runUntil(what: string, condition: () => boolean, maxUs: number): void {
    this.sim.run({ until: condition, untilUs: this.sim.nowUs + maxUs });
    if (!condition()) throw new Error(`${what} did not happen within ${maxUs} us (at ${this.sim.nowUs} us)`);
  }

  /** Runs for `us` microseconds. */
  runFor(us: number): void {
    this.sim.run({ untilUs: this.sim.nowUs + us });
  }

  /** Cuts (or, with `cut` false, restores) the links both ways between `a` and `b`. */
  cut(a: number, b: number, cut = true): void {
    for (const [from, to] of [[a, b], [b, a]]) {
      if (cut && !this.sim.network.isBlocked(from, to)) this.sim.network.block(from, to);
      if (!cut && this.sim.network.isBlocked(from, to)) this.sim.network.unblock(from, to);
    }
  }

  /** Cuts (or restores) `server`'s links to every other server; clients still reach it. */
  isolate(server: number, isolated = true): void {
    for (const other of this.servers) if (other !== server) this.cut(server, other, isolated);
  }

  /** The votes and pre-votes `server` granted so far (the cluster must be built with `trace`). */
  votesGranted(server: number): GrantedVote[] {
    if (!this.sim.trace.enabled) throw new Error("votesGranted needs a cluster built with trace: true");
    if (this.sim.trace.truncated) throw new Error("the trace is full: the votes granted are not all known");
    const granted: GrantedVote[] = [];
    for (const event of this.sim.trace.events) {
      if (event.kind !== "send" || event.node !== server) continue;
      const message = event.detail as RaftMessage;
      if (message.type !== "voteResponse" || !message.granted) continue;
      granted.push({ timeUs: event.timeUs, to: this.sim.nodeName(event.peer), term: message.term, pre: message.pre });
    }
    return granted;
  }

  /** Checks the clients' history against a key-value store (unset keys read as ""). */
  linearizability(): LinearizabilityResult {
    return checkLinearizable(pairOperations(this.sim.history.events), kvModel, { initial: "" });
  }
}
