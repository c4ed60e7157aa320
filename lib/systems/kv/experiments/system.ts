/**
 * The key-value store as the harness runs it: `servers` nodes on one consistent-hash ring, clients
 * that are sessions of the chosen mode, replicas of a key as its fault targets, convergence of the
 * home replicas after the heal, and what the nodes' disks hold at the end.
 *
 * @example
 * ```ts
 * import { kvSystem } from "./system.ts";
 * Object.keys(kvSystem.bugs).length; // 4 planted bugs
 * ```
 * @module
 */
import { exponentialMessageServiceTime, type Invariant, type SystemDefinition } from "../../../harness/mod.ts";
import {
  contextOf,
  covers,
  type Dot,
  HashRing,
  kvBugDocs,
  kvBugsFor,
  kvClient,
  type KvMessage,
  type KvMode,
  kvNode,
  type KvNodeState,
  type KvSettings,
  newest,
  sameSiblings,
  type Sibling,
  sync,
  type WriteCopy,
} from "../mod.ts";
import type { ClusterHandle } from "../../../harness/mod.ts";

/** How to build the store. */
export interface KvOptions {
  servers: number;
  settings: KvSettings;
  mode: KvMode;
  /** Ring tokens per node. */
  virtualNodes: number;
  /** Mean node CPU time per message (exponential). */
  serviceTimeUsMean: number;
  clientTimeoutUs: number;
  attemptsMax: number;
  bug: "none" | keyof typeof kvBugDocs;
}

/** The running store. */
export interface KvCluster extends ClusterHandle {
  ring: () => HashRing;
  /** Node id to its current incarnation's state (white-box). */
  states: ReadonlyMap<number, KvNodeState>;
}

/** The store on the harness. */
export const kvSystem: SystemDefinition<KvMessage, KvOptions, KvCluster> = {
  name: "kv",
  bugs: kvBugDocs,
  build(sim, options) {
    const bugs = kvBugsFor(options.bug);
    const serviceTimeUs = exponentialMessageServiceTime(options.serviceTimeUsMean);
    const states = new Map<number, KvNodeState>();
    const acknowledged: { key: string; dot: Dot; copies: WriteCopy[] }[] = [];
    const observer = {
      acknowledged(write: { key: string; dot: Dot; copies: WriteCopy[] }) {
        if (acknowledged.length < acknowledgedKeptMax) acknowledged.push(write);
      },
    };
    const servers: number[] = [];
    // Nodes start after every id is known, so the ring is built once, on first use.
    let ring: HashRing | undefined;
    const ringOf = () => (ring ??= new HashRing({ nodes: servers, virtualNodes: options.virtualNodes }));
    for (let i = 0; i < options.servers; i++) {
      servers.push(sim.addNode<KvMessage>({
        name: `kv${i}`,
        serviceTimeUs,
        create: (api) => {
          const node = kvNode(api, { ring: ringOf(), settings: options.settings, bugs, observer });
          states.set(api.id, node);
          return node;
        },
      }));
    }
    const upStates = () => servers.filter((s) => sim.isUp(s)).map((s) => states.get(s)).filter((s) => s !== undefined);
    const keys = () => new Set(upStates().flatMap((s) => [...s.versions.keys()]));
    return {
      servers,
      ring: ringOf,
      states,
      nodesForKey: (key) => ringOf().preferenceList(key, options.settings.n),
      roles: { replicas: () => servers.filter((s) => sim.isUp(s)) },
      invariants: [acknowledgedCopies(acknowledged, states, options.settings.w)],
      // Converged: every key's home replicas that are up hold the same versions, and no hint waits.
      converged: () => {
        for (const key of keys()) {
          const homes = ringOf().preferenceList(key, options.settings.n).filter((n) => sim.isUp(n));
          const held = homes.map((n) => states.get(n)?.versions.get(key) ?? []);
          if (held.some((h) => !sameSiblings(h, held[0]))) return false;
        }
        return upStates().every((s) => s.hints.size === 0);
      },
      durableValues: () => {
        const merged = new Map<string, Sibling[]>();
        for (const state of states.values()) {
          for (const [key, siblings] of state.durable) merged.set(key, sync(merged.get(key) ?? [], siblings));
        }
        return new Map([...merged].map(([key, siblings]) => [key, newest(siblings)?.value ?? ""]));
      },
      figures: () => ({
        hintsPendingFinal: upStates().reduce((n, s) => n + [...s.hints.values()].reduce((m, k) => m + k.size, 0), 0),
        nodesStoppedFinal: upStates().filter((s) => s.stopped() !== undefined).length,
      }),
    };
  },
  client: (context, cluster, options) =>
    kvClient(context, {
      ring: cluster.ring(),
      settings: options.settings,
      mode: options.mode,
      timeoutUs: options.clientTimeoutUs,
      attemptsMax: options.attemptsMax,
    }),
};

/** Acknowledged writes the invariant remembers; past this a run judges its first ones only. */
export const acknowledgedKeptMax = 1_000_000;

/**
 * Every acknowledged write keeps the copies it was acknowledged on: each node that counted toward
 * W holds it durably, or something newer that replaced it. A stand-in's copy may have moved: to its
 * durable hints, then to the home replica's disk once handed off. Judged at the end of the run,
 * against what the disks hold (a power loss would keep that), whether the node is up or down.
 */
function acknowledgedCopies(
  acknowledged: readonly { key: string; dot: Dot; copies: WriteCopy[] }[],
  states: ReadonlyMap<number, KvNodeState>,
  w: number,
): Invariant {
  const holds = (node: number, key: string, dot: Dot) => {
    const durable = states.get(node)?.durable.get(key);
    return durable !== undefined && covers(contextOf(durable), dot);
  };
  const hinted = (node: number, home: number, key: string, dot: Dot) => {
    const hint = states.get(node)?.durableHints.get(home)?.get(key);
    return hint !== undefined && covers(contextOf(hint), dot);
  };
  return {
    name: "acknowledged-copies",
    check(final) {
      if (!final) return undefined;
      for (const { key, dot, copies } of acknowledged) {
        if (copies.length < Math.min(w, 1)) return `a write to ${key} was acknowledged with no copy`;
        for (const { node, home } of copies) {
          if (holds(node, key, dot) || (node !== home && (hinted(node, home, key, dot) || holds(home, key, dot)))) {
            continue;
          }
          const as = node === home ? "" : ` standing in for node ${home}`;
          return `write ${dot.node}.${dot.counter} to ${key} was acknowledged on node ${node}${as}, whose disk ` +
            `no longer holds it (nor anything newer)`;
        }
      }
      return undefined;
    },
  };
}
