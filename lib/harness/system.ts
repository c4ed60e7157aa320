/**
 * What a system declares to the harness: how to build its servers on the kernel, how a client
 * talks to them, what the nemesis may target, which invariants hold over its servers' state, and
 * which planted bugs it carries. The system itself stays a set of state machines on the kernel's
 * node API; this declaration is the only thing the harness knows of it.
 *
 * @example
 * ```ts
 * import type { SystemDefinition } from "./system.ts";
 * // See lib/systems/register/experiments/system.ts for a whole one, and docs/adding-a-system.md.
 * type Options = { servers: number; bug: "none" };
 * const declared: Partial<SystemDefinition<unknown, Options>> = { name: "mine" };
 * ```
 * @module
 */
import type { ClientContext, NodeApi, ServiceTimeModel, Simulation, SystemClient } from "../sim/mod.ts";

export type { ClientContext, Outcome, Request, SystemClient } from "../sim/mod.ts";

/** A property of the servers' state that must always hold. */
export interface Invariant {
  /** A short name, as it appears in checks: `election-safety`. */
  name: string;
  /**
   * Looks at the servers now (white-box: through the cluster handle) and returns undefined when the
   * property holds, else what broke, naming the servers. `final` is false at the checkpoints during
   * the run (a check may then look at a bounded window of recent state) and true once at the end
   * (it looks at everything).
   */
  check(final: boolean): string | undefined;
}

/** The running cluster, as the harness and the nemesis see it. */
export interface ClusterHandle {
  /** The server nodes: the nemesis targets them; clients are not among them. */
  servers: readonly number[];
  /** Role name to the servers holding it now (`leader`, `followers`, `primary`...), for fault targets. */
  roles?: Record<string, () => number[]>;
  /** The servers that hold `key` now, for key-targeted faults. */
  nodesForKey?: (key: string) => number[];
  /** Invariants over the servers' state, checked as the run goes and at its end. */
  invariants?: readonly Invariant[];
  /**
   * Whether the system has converged after the heal (a leader serves, replicas agree): the
   * recovery phase waits for it, within its bound. Default: always converged.
   */
  converged?: () => boolean;
  /**
   * The values the servers' durable state holds, by key ("" for none): what a power loss of every
   * server now would keep. Read once at the end, for the `acknowledged-durable` check.
   */
  durableValues?: () => ReadonlyMap<string, unknown>;
  /** Figures only the system can give (white-box), read once at the end of the run. */
  figures?: () => Record<string, number | string | boolean | null>;
}

/** A system as the harness runs it. `O` are its typed build options (cluster size, bug, modes). */
export interface SystemDefinition<M, O, C extends ClusterHandle = ClusterHandle> {
  name: string;
  /** Adds the servers to `sim` and returns the handle the harness and nemesis use. */
  build(sim: Simulation, options: O): C;
  /** Builds a client for one client process, talking to `cluster.servers`. */
  client(context: ClientContext<M>, cluster: C, options: O): SystemClient<M>;
  /** Planted bugs by name, each with a sentence on what it breaks and which check catches it. */
  bugs: Readonly<Record<string, string>>;
}

/** The client context of a node: its API less history access. */
export function clientContext<M>(api: NodeApi<M>, session: number): ClientContext<M> {
  return {
    id: api.id,
    session,
    rng: api.rng,
    send: (to, message, sizeBytes) => api.send(to, message, sizeBytes),
    setTimer: (delayUs, tag) => api.setTimer(delayUs, tag),
    cancelTimer: (timerId) => api.cancelTimer(timerId),
    monotonicUs: () => api.monotonicUs(),
    record: (name, value) => api.record(name, value),
  };
}

/**
 * A service-time model that prices each message at an exponentially distributed CPU time of mean
 * `meanUs` (timers, disk completions and starts are free), as a server whose requests cost about
 * the same on average.
 */
export function exponentialMessageServiceTime(meanUs: number): ServiceTimeModel {
  return (kind, _payload, rng) => (kind === "message" ? -meanUs * Math.log(1 - rng.next()) : 0);
}
