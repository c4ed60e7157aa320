/**
 * Resolving targets: from a JSON description ("the leader", "a random minority", "region eu") to
 * node ids, at the moment a fault starts.
 *
 * @module
 */
import type { Rng } from "../base/mod.ts";
import type { Simulation } from "../sim/mod.ts";
import type { ClusterView, Target } from "./types.ts";

/** What resolution needs: the simulation (names, placement), the cluster, and the nemesis stream. */
export interface TargetContext {
  sim: Simulation;
  cluster: ClusterView;
  rng: Rng;
}

const randomSizes = ["one", "minority", "majority"];

/** Problems with `target` that can be seen before the run, each prefixed by `path`. */
export function checkTarget(target: unknown, path: string, sim: Simulation, cluster: ClusterView): string[] {
  if (target === "all") return [];
  if (target === null || typeof target !== "object" || Array.isArray(target)) {
    return [`${path}: a target is "all" or an object with one of nodes, role, random, region, zone, key`];
  }
  const keys = Object.keys(target);
  const t = target as Record<string, unknown>;
  if ("random" in t) {
    const extra = keys.filter((k) => k !== "random" && k !== "of");
    if (extra.length > 0) return [`${path}: unknown field ${extra[0]} in a random target (allowed: random, of)`];
    const size = t.random;
    const sizeOk = randomSizes.includes(size as string) ||
      (typeof size === "number" && Number.isInteger(size) && size >= 1 && size <= cluster.nodes.length);
    const errors = sizeOk ? [] : [
      `${path}.random: must be one, minority, majority or a count from 1 to ${cluster.nodes.length}; got ${
        JSON.stringify(size)
      }`,
    ];
    return t.of === undefined ? errors : [...errors, ...checkTarget(t.of, `${path}.of`, sim, cluster)];
  }
  if (keys.length !== 1) {
    return [`${path}: a target has exactly one of nodes, role, random, region, zone, key; got ${keys.join(", ")}`];
  }
  const [kind] = keys;
  const value = t[kind];
  switch (kind) {
    case "nodes":
      return checkNodes(value, `${path}.nodes`, sim, cluster);
    case "role": {
      const roles = Object.keys(cluster.roles ?? {});
      return roles.includes(value as string) ? [] : [
        `${path}.role: unknown role ${JSON.stringify(value)}; this system reports: ${roles.join(", ") || "no roles"}`,
      ];
    }
    case "region":
    case "zone": {
      const places = [...new Set(cluster.nodes.map((n) => sim.network.placement(n)[kind]).filter((p) => p))];
      return places.includes(value as string) ? [] : [
        `${path}.${kind}: no cluster node in ${kind} ${JSON.stringify(value)}; ${kind}s: ${
          places.join(", ") || "none"
        }`,
      ];
    }
    case "key":
      if (cluster.nodesForKey === undefined) return [`${path}.key: this system does not report which nodes hold a key`];
      return typeof value === "string" ? [] : [`${path}.key: must be a string`];
    default:
      return [`${path}: unknown target kind ${JSON.stringify(kind)}; allowed: nodes, role, random, region, zone, key`];
  }
}

function checkNodes(value: unknown, path: string, sim: Simulation, cluster: ClusterView): string[] {
  if (!Array.isArray(value) || value.length === 0) return [`${path}: must be a non-empty list of node names or ids`];
  const errors: string[] = [];
  value.forEach((node, i) => {
    const id = lookup(node, sim);
    if (id === undefined) {
      const names = cluster.nodes.map((n) => sim.nodeName(n)).join(", ");
      errors.push(`${path}[${i}]: no node ${JSON.stringify(node)}; cluster nodes: ${names}`);
    }
  });
  return errors;
}

function lookup(node: unknown, sim: Simulation): number | undefined {
  if (typeof node === "number") return Number.isInteger(node) && node >= 0 && node < sim.nodeCount ? node : undefined;
  if (typeof node !== "string") return undefined;
  try {
    return sim.nodeId(node);
  } catch {
    return undefined;
  }
}

/** The nodes `target` names whatever happens during the run, or undefined when that depends on the run. */
export function fixedTargets(target: Target | undefined, sim: Simulation, cluster: ClusterView): number[] | undefined {
  const t = target ?? "all";
  if (t === "all") return [...cluster.nodes];
  if ("nodes" in t) return sorted(t.nodes.map((n) => lookup(n, sim)!));
  if ("region" in t) return cluster.nodes.filter((n) => sim.network.placement(n).region === t.region);
  if ("zone" in t) return cluster.nodes.filter((n) => sim.network.placement(n).zone === t.zone);
  return undefined;
}

/**
 * The most nodes `target` can name in this cluster: exact when it is fixed (or a random count of a
 * fixed pool), the cluster's size when it depends on the run (a role, a key).
 */
export function targetCountMax(target: Target | undefined, sim: Simulation, cluster: ClusterView): number {
  const fixed = fixedTargets(target, sim, cluster);
  if (fixed !== undefined) return fixed.length;
  const t = target as Exclude<Target, "all">;
  if ("random" in t) return randomCount(t.random, cluster.nodes.length, targetCountMax(t.of, sim, cluster));
  return cluster.nodes.length;
}

/** The nodes `target` names now. Random picks draw from the context's stream. */
export function resolveTarget(target: Target | undefined, context: TargetContext): number[] {
  const { sim, cluster, rng } = context;
  const t = target ?? "all";
  const fixed = fixedTargets(t, sim, cluster);
  if (fixed !== undefined) return fixed;
  if (t === "all" || "nodes" in t || "region" in t || "zone" in t) return [];
  if ("role" in t) return sorted(cluster.roles?.[t.role]?.() ?? []);
  if ("key" in t) return sorted(cluster.nodesForKey?.(t.key) ?? []);
  const pool = resolveTarget(t.of, context);
  const count = randomCount(t.random, cluster.nodes.length, pool.length);
  return sorted(rng.shuffle([...pool]).slice(0, count));
}

function randomCount(size: "one" | "minority" | "majority" | number, clusterSize: number, poolSize: number): number {
  const count = size === "one"
    ? 1
    : size === "minority"
    ? Math.floor((clusterSize - 1) / 2)
    : size === "majority"
    ? Math.floor(clusterSize / 2) + 1
    : size;
  return Math.min(count, poolSize);
}

function sorted(nodes: number[]): number[] {
  return [...new Set(nodes)].sort((a, b) => a - b);
}
