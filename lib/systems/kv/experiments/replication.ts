/**
 * `kv-replication`: what the replication factor N buys and costs in the leaderless store. Nodes
 * lose power (their unsynced writes with it) and, now and then, lose their disk for good: the node
 * is replaced by an empty one under the same ring position, which anti-entropy and read repair must
 * fill again. With N = 1, or W = 1, or more disks lost at once than a write had copies, acknowledged
 * writes are expected to go, so their loss is a figure here (`lostAcknowledgedWrites`), not a
 * violation; every copy on a disk that survived is still held to the `acknowledged-copies`
 * invariant. Beside the loss: latency, availability, bytes on disk per byte of user data and per
 * key, and the repair traffic (anti-entropy bytes, read repairs, hints handed off).
 *
 * @example
 * ```ts
 * import { kvReplicationExperiment } from "./replication.ts";
 * const output = kvReplicationExperiment.run({ n: 1, durationUs: 3_000_000 }, 1);
 * typeof output.figures.lostAcknowledgedWrites; // "number"
 * ```
 * @module
 */
import { InputError } from "../../../assert.ts";
import type { FaultPackage, HarnessRun } from "../../../harness/mod.ts";
import type { Schedule } from "../../../faults/mod.ts";
import {
  boolean,
  choice,
  defineExperiment,
  defineParams,
  type Figure,
  finalReads,
  integer,
  keyValueGenerator,
  number,
  packageSchedule,
  paramGroups,
  sessionWritesKept,
  type ValuesOf,
} from "../../../harness/mod.ts";
import { kvSettingsDefaults } from "../mod.ts";
import { type KvCluster, type KvOptions, kvSystem } from "./system.ts";

/** How R and W follow from N. */
export const kvQuorums = ["majority", "one", "all"] as const;

/** The largest replication factor the experiment sweeps. */
export const replicationFactorMax = 5;

/** The parameters of `kv-replication`. */
export const kvReplicationParams = defineParams({
  ...paramGroups.cluster({ default: 5, min: 1, max: 64 }),
  ...paramGroups.clients({ default: 8, max: 256 }),
  ...paramGroups.duration({ defaultUs: 6_000_000 }),
  n: integer({ default: 3, min: 1, max: replicationFactorMax, description: "replication factor N" }),
  quorum: choice(kvQuorums, {
    default: "majority",
    description: "R and W from N: majority (floor(N/2) + 1 each), one (1 each), all (N each)",
  }),
  sloppyQuorum: boolean({ default: false, description: "stand-ins with hinted handoff for down home replicas" }),
  readRepair: choice(["blocking", "async", "off"], {
    default: kvSettingsDefaults.readRepair,
    description: "repair stale replicas a read met: before answering, after, or never",
  }),
  antiEntropyEveryUs: integer({
    default: kvSettingsDefaults.antiEntropyEveryUs,
    min: 0,
    max: 60_000_000,
    description: "how often a node compares its keys with a peer (0: never)",
  }),
  keys: integer({
    default: 2_000,
    min: 1,
    max: 100_000,
    description: "keys the clients work on (many keys: a lost write is rarely hidden by a later one)",
  }),
  readFraction: number({ default: 0.5, min: 0, max: 1, description: "fraction of operations that are gets" }),
  thinkTimeUsMean: number({ default: 2_000, min: 0, description: "mean client think time" }),
  powerLossIntervalUsMean: integer({
    default: 400_000,
    min: 0,
    max: 60_000_000,
    description: "mean time between power losses of one random node (unsynced writes lost; 0: none)",
  }),
  powerLossDownUs: integer({
    default: 300_000,
    min: 0,
    max: 60_000_000,
    description: "how long a node stays down after losing power",
  }),
  diskLossEveryUs: integer({
    default: 1_000_000,
    min: 0,
    max: 600_000_000,
    description: "period of disk losses: up nodes replaced by empty ones (0: none)",
  }),
  diskLossNodes: integer({ default: 1, min: 1, max: 64, description: "nodes that lose their disk at each loss" }),
  replaceAfterUs: integer({
    default: 200_000,
    min: 0,
    max: 60_000_000,
    description: "how long after a disk loss the empty replacement starts",
  }),
});

/** Typed values of the parameters. */
export type KvReplicationParams = ValuesOf<typeof kvReplicationParams>;

/** R and W of a quorum rule at replication factor `n`. */
export function quorumsOf(n: number, quorum: typeof kvQuorums[number]): { r: number; w: number } {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`replication factor n must be a whole number >= 1, got ${n}`);
  const size = quorum === "one" ? 1 : quorum === "all" ? n : Math.floor(n / 2) + 1;
  return { r: size, w: size };
}

/** The store's build options from the parameters. */
export function kvReplicationOptions(p: KvReplicationParams): KvOptions {
  if (p.n > p.servers) {
    throw new InputError(`n ${p.n} is above servers ${p.servers}: a key needs n distinct nodes`);
  }
  if (p.diskLossEveryUs > 0 && p.diskLossNodes > p.servers) {
    throw new InputError(`diskLossNodes ${p.diskLossNodes} is above servers ${p.servers}`);
  }
  return {
    servers: p.servers,
    mode: "quorum",
    settings: {
      ...kvSettingsDefaults,
      n: p.n,
      ...quorumsOf(p.n, p.quorum),
      readRepair: p.readRepair,
      sloppyQuorum: p.sloppyQuorum,
      antiEntropyEveryUs: p.antiEntropyEveryUs,
    },
    virtualNodes: 16,
    serviceTimeUsMean: 20,
    // Past the coordinator's own deadline, so a write's fate comes from the coordinator when it can.
    clientTimeoutUs: kvSettingsDefaults.requestTimeoutUs + 50_000,
    attemptsMax: 10,
    bug: "none",
  };
}

/**
 * Power losses of one random node at random, and disk losses of `diskLossNodes` nodes that are up
 * (a node down already has nothing more to lose at that instant) every `diskLossEveryUs`.
 */
export function kvReplicationSchedule(
  p: Pick<
    KvReplicationParams,
    | "durationUs"
    | "powerLossIntervalUsMean"
    | "powerLossDownUs"
    | "diskLossEveryUs"
    | "diskLossNodes"
    | "replaceAfterUs"
  >,
): Schedule {
  const packages: FaultPackage[] = [];
  if (p.powerLossIntervalUsMean > 0) {
    const powerLoss = {
      kind: "crash",
      targets: { random: "one" as const },
      unsyncedOnCrash: "lose",
      durationUs: p.powerLossDownUs,
    };
    packages.push({ choices: [{ weight: 1, fault: powerLoss }] });
  }
  if (p.diskLossEveryUs > 0) {
    const diskLoss = {
      kind: "disk-loss",
      targets: { random: p.diskLossNodes, of: { role: "replicas" } },
      durationUs: p.replaceAfterUs,
    };
    packages.push({ periodic: { everyUs: p.diskLossEveryUs, node: { fault: diskLoss } } });
  }
  return packageSchedule(packages, {
    durationUs: p.durationUs,
    meanIntervalUs: Math.max(1, p.powerLossIntervalUsMean),
  });
}

/** The leaderless store at replication factor N under power and disk losses. */
export const kvReplicationExperiment = defineExperiment({
  name: "kv-replication",
  description: "leaderless key-value store at replication factor N (R and W by quorum rule) under power " +
    "losses and disk losses: lost acknowledged writes, latency, availability, storage and repair traffic",
  params: kvReplicationParams,
  system: kvSystem,
  options: kvReplicationOptions,
  workload: (p) => ({
    processes: p.clients,
    thinkTimeUsMean: p.thinkTimeUsMean,
    generator: keyValueGenerator({ keys: p.keys, readFraction: p.readFraction, writeF: "put" }),
    final: finalReads(p.keys),
    // A lost disk may take a session's later write and leave its earlier one elsewhere: that is a
    // lost acknowledged write, measured; the session check holds the store to it only without them.
    checkers: p.diskLossEveryUs > 0 ? [] : [sessionWritesKept()],
  }),
  schedule: kvReplicationSchedule,
  phases: (p) => ({ warmupUs: 300_000, durationUs: p.durationUs, recoveryBoundUs: 5_000_000 }),
  extras: (run, p) => ({ figures: replicationFigures(run, p) }),
});

/** The figures of the loss, storage and repair, beyond the standard ones. */
function replicationFigures(run: HarnessRun<KvCluster>, p: KvReplicationParams): Record<string, Figure> {
  const { r, w } = quorumsOf(p.n, p.quorum);
  const { acknowledged, lost } = run.cluster.acknowledgedWrites();
  const storage = run.cluster.storage();
  const struck = (kind: string) => run.coverage.faults.filter((f) => f.kind === kind && f.skipped === undefined);
  return {
    r,
    w,
    acknowledgedWrites: acknowledged,
    lostAcknowledgedWrites: lost,
    lostAcknowledgedWriteFraction: acknowledged === 0 ? null : lost / acknowledged,
    powerLosses: struck("crash").length,
    disksLost: struck("disk-loss").reduce((sum, f) => sum + (f.effects.disksReplaced ?? 0), 0),
    storageBytes: storage.diskBytes,
    storageBytesPerUserByte: storage.userBytes === 0 ? null : storage.diskBytes / storage.userBytes,
    storageBytesPerKey: storage.keys === 0 ? null : storage.diskBytes / storage.keys,
    copiesPerKey: storage.keys === 0 ? null : storage.copies / storage.keys,
    keysHeld: storage.keys,
    antiEntropyBytes: metricSum(run, "kv_anti_entropy_bytes"),
    readRepairs: metricSum(run, "kv_read_repairs"),
    hintsDelivered: metricSum(run, "kv_hints_delivered"),
  };
}

function metricSum(run: HarnessRun<KvCluster>, name: string): number {
  let sum = 0;
  for (const value of run.sim.metrics.series(name).value) sum += value;
  return sum;
}
