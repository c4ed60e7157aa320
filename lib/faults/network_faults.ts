/**
 * Network faults: partitions by shape and link degradation. Cuts go through reference-counted
 * {@linkcode LinkCuts}, so overlapping partitions compose and each heals only what it cut.
 *
 * @module
 */
import type { Effects, FaultKind, FaultRun } from "./kind.ts";
import { degradableFields, type LinkDegradation } from "./link_cuts.ts";

const droppedSomething = (effects: Effects) => effects.messagesDropped > 0;

function halves(run: FaultRun): [number[], number[]] {
  const shuffled = run.rng.shuffle([...run.targets]);
  const half = Math.floor(shuffled.length / 2);
  return [shuffled.slice(0, half).sort((a, b) => a - b), shuffled.slice(half).sort((a, b) => a - b)];
}

function cutGroups(run: FaultRun, groups: number[][]): () => void {
  const links = run.cuts.cutBetween(groups);
  run.links = links;
  return () => run.cuts.releaseAll(links);
}

function cutLinks(run: FaultRun, links: [number, number][]): () => void {
  for (const [from, to] of links) run.cuts.cut(from, to);
  run.links = links;
  return () => run.cuts.releaseAll(links);
}

export const partitionHalves: FaultKind = {
  kind: "partition-halves",
  area: "network",
  summary: "split the targets into two random halves that cannot reach each other",
  example: { kind: "partition-halves", durationUs: 2_000_000 },
  fields: {},
  start(run) {
    const [a, b] = halves(run);
    run.effects.sideSize = a.length;
    return cutGroups(run, [a, b]);
  },
  touched: droppedSomething,
};

export const isolate: FaultKind = {
  kind: "isolate",
  area: "network",
  summary: "cut the targets off from every other cluster node (one node, the leader, a minority, a region)",
  example: { kind: "isolate", targets: { role: "leader" }, durationUs: 3_000_000 },
  fields: {},
  start(run) {
    const rest = run.cluster.nodes.filter((n) => !run.targets.includes(n));
    run.affected = [...run.cluster.nodes];
    return cutGroups(run, [run.targets, rest]);
  },
  touched: droppedSomething,
};

export const partitionBridge: FaultKind = {
  kind: "partition-bridge",
  area: "network",
  summary: "two halves that cannot reach each other, joined by one bridge node that sees both",
  example: { kind: "partition-bridge", durationUs: 2_000_000 },
  fields: {},
  start(run) {
    const [a, b] = halves(run);
    const bridge = b.shift()!;
    run.effects.bridgeNode = bridge;
    const links: [number, number][] = [];
    for (const x of a) for (const y of b) links.push([x, y], [y, x]);
    return cutLinks(run, links);
  },
  touched: droppedSomething,
};

export const partitionRing: FaultKind = {
  kind: "partition-ring",
  area: "network",
  summary: "each target hears only its two neighbours in a random ring",
  example: { kind: "partition-ring", durationUs: 2_000_000 },
  fields: {},
  start(run) {
    const ring = run.rng.shuffle([...run.targets]);
    const n = ring.length;
    const links: [number, number][] = [];
    ring.forEach((node, i) => {
      const neighbours = new Set([ring[(i + 1) % n], ring[(i + n - 1) % n]]);
      for (const other of ring) if (other !== node && !neighbours.has(other)) links.push([node, other]);
    });
    return cutLinks(run, links);
  },
  touched: droppedSomething,
};

export const partitionOneWay: FaultKind = {
  kind: "partition-one-way",
  area: "network",
  summary: "messages from the targets to `to` are dropped; `to` still reaches the targets",
  example: {
    kind: "partition-one-way",
    targets: { nodes: ["n1"] },
    to: { nodes: ["n2", "n3"] },
    durationUs: 1_000_000,
  },
  fields: { to: { type: "target", required: true, description: "who stops hearing the targets" } },
  start(run) {
    const to = run.resolve("to");
    run.affected = [...new Set([...run.targets, ...to])];
    const links: [number, number][] = [];
    for (const from of run.targets) for (const receiver of to) links.push([from, receiver]);
    return cutLinks(run, links);
  },
  touched: droppedSomething,
};

export const partitionGroups: FaultKind = {
  kind: "partition-groups",
  area: "network",
  summary: "explicit groups that cannot reach each other",
  example: {
    kind: "partition-groups",
    groups: [{ nodes: ["n1", "n2"] }, { nodes: ["n3", "n4", "n5"] }],
    durationUs: 2_000_000,
  },
  fields: { groups: { type: "targets", required: true, description: "the groups, each a target" } },
  refuse(run) {
    const seen = new Map<number, number>();
    for (let g = 0; g < (run.spec.groups as unknown[]).length; g++) {
      for (const node of run.resolve(`groups.${g}`)) {
        if (seen.has(node)) return `node ${run.sim.nodeName(node)} is in groups ${seen.get(node)} and ${g}`;
        seen.set(node, g);
      }
    }
    return undefined;
  },
  start(run) {
    const groups = (run.spec.groups as unknown[]).map((_, i) => run.resolve(`groups.${i}`));
    run.affected = [...new Set(groups.flat())];
    return cutGroups(run, groups);
  },
  touched: droppedSomething,
};

export const linkDegrade: FaultKind = {
  kind: "link-degrade",
  area: "network",
  summary: "extra latency, loss, duplication or reordering on the links between the targets and `peers`",
  example: { kind: "link-degrade", targets: { nodes: ["n1"] }, extraLatencyUs: 50_000, lossProbability: 0.1 },
  conflictClass: "link-degrade",
  fields: {
    peers: { type: "target", description: "the other end of the degraded links (default: all cluster nodes)" },
    extraLatencyUs: { type: "integer", min: 0, description: "latency added to every message" },
    lossProbability: { type: "number", min: 0, max: 1, description: "probability a message is lost" },
    duplicateProbability: { type: "number", min: 0, max: 1, description: "probability a message arrives twice" },
    reorderProbability: { type: "number", min: 0, max: 1, description: "probability a message is held back" },
    reorderDelayUsMax: { type: "integer", min: 0, description: "largest hold-back of a reordered message" },
  },
  start(run) {
    const peers = run.spec.peers === undefined ? run.cluster.nodes : run.resolve("peers");
    run.affected = [...new Set([...run.targets, ...peers])];
    const change: LinkDegradation = {};
    for (const field of degradableFields) if (run.spec[field] !== undefined) change[field] = run.spec[field] as number;
    // Both directions of every target-peer pair, once each, whether or not a target is also a peer.
    const links = new Map<string, [number, number]>();
    for (const a of run.targets) {
      for (const b of peers) {
        if (a === b) continue;
        links.set(`${a}>${b}`, [a, b]);
        links.set(`${b}>${a}`, [b, a]);
      }
    }
    run.links = [...links.values()];
    const owner = run.timed.id;
    for (const [from, to] of run.links) run.cuts.degrade(from, to, owner, change);
    return () => {
      for (const [from, to] of run.links!) run.cuts.restore(from, to, owner);
    };
  },
  touched: (effects) => effects.messagesSent > 0,
};

/** Every network kind. */
export const networkFaults: FaultKind[] = [
  partitionHalves,
  isolate,
  partitionBridge,
  partitionRing,
  partitionOneWay,
  partitionGroups,
  linkDegrade,
];
