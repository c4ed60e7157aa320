/**
 * `kv-modes`: the leaderless store under one fault package in one consistency mode, with closed-loop
 * clients doing gets, puts of unique values and deletes on a few keys (and, in the CP modes, a
 * `casFraction` of the writes as compare-and-set), a read of every key at the end. A delete is a
 * write of the absent value: the key reads as "" after it.
 *
 * Every mode is held to what it promises. All of them: every acknowledged write keeps the copies
 * it was acknowledged on (`acknowledged-copies`), no session loses its own later write, no value
 * an acknowledged delete replaced comes back (`no-resurrected-deletes`: the runs are far shorter
 * than gc_grace), and the
 * replicas converge within the recovery bound after the heal (liveness). Strict quorums (no
 * stand-ins, R + W > N, 2R > N, blocking read repair, the ABD register's read-impose) also promise
 * linearizability, which is then a check. Every other setting is measured against it instead: the
 * figure `linearizable` says whether the checker found the history linearizable, so a sweep plots
 * the trade-off without calling a weaker mode's designed behaviour a violation. `session` mode
 * promises read-your-writes and monotonic reads (`session-guarantees`, checked from the versions
 * the clients record in the history); `quorum` and `one` are measured against them (the figure
 * `sessionGuarantees`).
 *
 * @example
 * ```ts
 * import { kvModesExperiment } from "./modes.ts";
 * const output = kvModesExperiment.run({ durationUs: 3_000_000, faults: "none" }, 1);
 * output.checks.every((c) => c.valid === true); // true
 * ```
 * @module
 */
import { kvCas } from "../../../check/mod.ts";
import {
  boolean,
  choice,
  type ClusterHandle,
  combinePackages,
  defineExperiment,
  defineParams,
  type Figure,
  finalReads,
  type HarnessRun,
  integer,
  keyValueGenerator,
  linearizable,
  number,
  packageSchedule,
  paramGroups,
  sessionWritesKept,
  standardFaultPackageNames,
  standardFaultPackages,
  type ValuesOf,
  type Workload,
} from "../../../harness/mod.ts";
import { InputError } from "../../../assert.ts";
import type { Schedule } from "../../../faults/mod.ts";
import { kvBugNames, kvLevels, kvSettingsDefaults, siblingPolicies } from "../mod.ts";
import { acknowledgedElementsKept, lostElements } from "./elements.ts";
import { modeFigures, storeFigures } from "./store_figures.ts";
import { noResurrectedDeletes } from "./resurrection.ts";
import { isRaftMode, kvStoreModes, type KvStoreOptions, kvStoreSystem } from "./store.ts";
import { casGenerator, requireCasMode } from "./cas.ts";
import { kvCasTtl, requireTtlMode, ttlExpiry, ttlGenerator } from "./ttl.ts";
import { freshReads, levelGenerator, requireLevelMode } from "./levels.ts";
import { leaderSkewPackage } from "./lease_skew.ts";
import { checkStoreSessions, sessionGuaranteesKept } from "./session_check.ts";

/** The fault packages of the store's experiments: the harness's standard ones, and all of them at once. */
export const kvFaultPackages = ["mixed", ...standardFaultPackageNames, "leader-skew", "none"] as const;

/** The parameters of `kv-modes`. */
export const kvModesParams = defineParams({
  ...paramGroups.cluster({ default: 5, min: 1, max: 64 }),
  ...paramGroups.clients({ default: 8, max: 256 }),
  ...paramGroups.duration({ defaultUs: 5_000_000 }),
  mode: choice(kvStoreModes, {
    default: "quorum",
    description: "linearizable: Raft with ReadIndex reads; lease: Raft with leader-lease reads; quorum: R and W " +
      "of N; one: R = W = 1; session: R = W = 1 with read-your-writes and monotonic reads",
  }),
  n: integer({ default: kvSettingsDefaults.n, min: 1, max: 9, description: "replication factor N" }),
  r: integer({ default: kvSettingsDefaults.r, min: 1, max: 9, description: "read quorum R (quorum mode)" }),
  w: integer({ default: kvSettingsDefaults.w, min: 1, max: 9, description: "write quorum W (quorum mode)" }),
  readRepair: choice(["blocking", "async", "off"], {
    default: kvSettingsDefaults.readRepair,
    description: "repair stale replicas a read met: before answering, after, or never",
  }),
  sloppyQuorum: boolean({ default: true, description: "stand-ins with hinted handoff for down home replicas" }),
  antiEntropyEveryUs: integer({
    default: kvSettingsDefaults.antiEntropyEveryUs,
    min: 0,
    max: 60_000_000,
    description: "how often a node compares its keys with a peer (0: never)",
  }),
  gcGraceUs: integer({
    default: kvSettingsDefaults.gcGraceUs,
    min: 0,
    max: 3_600_000_000,
    description: "how long a tombstone is kept before compaction may collect it (Cassandra's gc_grace)",
  }),
  memtableBytesMax: integer({
    default: kvSettingsDefaults.memtableBytesMax,
    min: 256,
    max: 1 << 30,
    description: "bytes of records a node's memtable holds before it is flushed to a sorted run",
  }),
  keys: integer({ default: 8, min: 1, max: 10_000, description: "keys the clients work on" }),
  readFraction: number({ default: 0.5, min: 0, max: 1, description: "fraction of operations that are gets" }),
  casFraction: number({
    default: 0,
    min: 0,
    max: 1,
    description: "fraction of writes that are compare-and-set (only in the modes that can: linearizable, lease)",
  }),
  deleteFraction: number({
    default: 0.1,
    min: 0,
    max: 1,
    description: "fraction of operations that delete their key (at most 1 - readFraction)",
  }),
  strongReadFraction: number({
    default: 0,
    min: 0,
    max: 1,
    description: "fraction of gets sent at consistency level strongLevel, the others at the mode's (leaderless " +
      "modes: one and session read 1 replica, quorum r); judged per class by fresh-reads",
  }),
  strongWriteFraction: number({
    default: 0,
    min: 0,
    max: 1,
    description: "fraction of puts sent at consistency level strongLevel (leaderless modes)",
  }),
  strongLevel: choice(kvLevels, {
    default: "quorum",
    description: "the level of the strong requests: one (R or W 1), quorum (r or w), all (N)",
  }),
  ttlFraction: number({
    default: 0,
    min: 0,
    max: 1,
    description: "fraction of puts that give their key a time to live of ttlUs (only in the modes that expire " +
      "keys: linearizable, lease); checked by ttl-expiry, and linearizability lets such a value expire",
  }),
  ttlUs: integer({ default: 10_000, min: 1, description: "the time to live of a put that has one" }),
  thinkTimeUsMean: number({ default: 2_000, min: 0, description: "mean client think time" }),
  siblings: choice(siblingPolicies, {
    default: kvSettingsDefaults.siblings,
    description: "concurrent versions of a key: lww: last-writer-wins by hybrid logical clock; keep: a read " +
      "returns every sibling (joined by |) and the client's next write replaces them; merge: a read returns the " +
      "union of their elements and a write takes in the elements of what it replaces (leaderless modes)",
  }),
  puts: choice(["assign", "add"], {
    default: "assign",
    description: "assign: a put replaces the key's value; add: a put adds its element to the set the client " +
      "last read (read-modify-write), judged by acknowledged-elements (leaderless modes)",
  }),
  ...paramGroups.faults(kvFaultPackages, {
    default: "mixed",
    description: "the harness's standard fault packages (crashes, partitions, disks, pauses, clocks, power), " +
      "mixed: crashes, partitions, disks and clocks together, leader-skew: the leader isolated while its clock " +
      "runs slow and the followers' fast by skewPpm (CP modes)",
  }),
  skewPpm: integer({
    default: 200_000,
    min: 0,
    max: 500_000,
    description: "leader-skew's rate error: the leader's clock slows and the followers' speed up by this much",
  }),
  faultIntervalUsMean: integer({ default: 400_000, min: 50_000, description: "mean time between faults" }),
  ...paramGroups.bug(kvBugNames),
});

/** Typed values of the parameters. */
export type KvModesParams = ValuesOf<typeof kvModesParams>;

/** The store's build options from the parameters. */
export function kvOptions(p: KvModesParams): KvStoreOptions {
  requireCasMode(p.mode, p.casFraction);
  requireTtlMode(p.mode, p.ttlFraction);
  requireLevelMode(p.mode, p);
  if (p.faults === "leader-skew" && !isRaftMode(p.mode)) {
    throw new InputError(
      `faults leader-skew aims at a leader; mode ${p.mode} has none (choose mode linearizable or lease)`,
    );
  }
  if (isRaftMode(p.mode) && (p.siblings !== "lww" || p.puts !== "assign")) {
    throw new InputError(
      `siblings ${p.siblings} and puts ${p.puts} are settings of the leaderless modes; mode ${p.mode} runs on ` +
        "Raft, which has no siblings (choose a mode of quorum, one or session, or siblings lww and puts assign)",
    );
  }
  if (p.n > p.servers && !isRaftMode(p.mode)) {
    throw new InputError(`n ${p.n} is above servers ${p.servers}: a key needs n distinct nodes`);
  }
  if (p.mode === "quorum" && (p.r > p.n || p.w > p.n)) {
    throw new InputError(`r ${p.r} and w ${p.w} must be at most n ${p.n}`);
  }
  return {
    servers: p.servers,
    mode: p.mode,
    settings: {
      ...kvSettingsDefaults,
      n: p.n,
      r: p.r,
      w: p.w,
      readRepair: p.readRepair,
      sloppyQuorum: p.sloppyQuorum,
      antiEntropyEveryUs: p.antiEntropyEveryUs,
      gcGraceUs: p.gcGraceUs,
      memtableBytesMax: p.memtableBytesMax,
      siblings: p.siblings,
    },
    puts: p.puts,
    virtualNodes: 16,
    serviceTimeUsMean: 20,
    // Past the coordinator's own deadline, so a write's fate comes from the coordinator when it can.
    clientTimeoutUs: kvSettingsDefaults.requestTimeoutUs + 50_000,
    attemptsMax: 10,
    bug: p.bug,
  };
}

/** The schedule of the chosen package. */
export function kvSchedule(
  p: Pick<KvModesParams, "faults" | "durationUs" | "faultIntervalUsMean"> & { skewPpm?: number },
): Schedule {
  if (p.faults === "none") return { faults: [], recoveryUs: 0 };
  if (p.faults === "leader-skew") {
    return packageSchedule([leaderSkewPackage(p.skewPpm ?? 0)], { durationUs: p.durationUs });
  }
  const standard = standardFaultPackages();
  const chosen = p.faults === "mixed"
    ? [combinePackages(standard.crashes, standard.partitions, standard.disks, standard.clocks)]
    : [standard[p.faults]];
  return packageSchedule(chosen, { durationUs: p.durationUs, meanIntervalUs: p.faultIntervalUsMean });
}

/** The workload of `kv-modes`: gets, puts, deletes (and cas in the CP modes), checked as the mode promises. */
export function kvModesWorkload(p: KvModesParams): Workload {
  return {
    processes: p.clients,
    thinkTimeUsMean: p.thinkTimeUsMean,
    generator: ttlGenerator(
      casGenerator(
        levelGenerator(
          keyValueGenerator({
            keys: p.keys,
            readFraction: p.readFraction,
            deleteFraction: p.deleteFraction,
            writeF: "put",
          }),
          { readFraction: p.strongReadFraction, writeFraction: p.strongWriteFraction, level: p.strongLevel },
        ),
        p.casFraction,
      ),
      p.ttlFraction,
      p.ttlUs,
    ),
    final: finalReads(p.keys),
    checkers: valuesNameWrites(p)
      ? [
        ...(promisesLinearizability(p) ? [linearizabilityFor(p)] : []),
        ...(p.ttlFraction > 0 ? [ttlExpiryFor(p)] : []),
        ...(p.strongReadFraction > 0 || p.strongWriteFraction > 0
          ? [freshReads(p.mode, { n: p.n, r: p.r, w: p.w }, !p.sloppyQuorum)]
          : []),
        sessionWritesKept(),
        noResurrectedDeletes({ reads: promisesLinearizability(p) ? "all" : "final" }),
        ...(p.mode === "session" ? [sessionGuaranteesKept] : []),
      ]
      : promisesElements(p)
      ? [acknowledgedElementsKept]
      : [],
  };
}

/** The leaderless store in one mode under one fault package. */
export const kvModesExperiment = defineExperiment({
  name: "kv-modes",
  description: "leaderless key-value store (ring, N/R/W, sloppy quorum, read repair, anti-entropy) in one " +
    "consistency mode under a fault package; checks linearizability, lost session writes and convergence",
  params: kvModesParams,
  system: kvStoreSystem,
  options: kvOptions,
  workload: kvModesWorkload,
  schedule: kvSchedule,
  phases: (p) => ({ warmupUs: 300_000, durationUs: p.durationUs, recoveryBoundUs: 3_000_000 }),
  figures: (p) => ({ staleness: valuesNameWrites(p) }),
  extras: (run, p) => {
    const mode = modeFigures(run, { staleness: valuesNameWrites(p) });
    const store = { ...mode.figures, ...(isRaftMode(p.mode) ? {} : storeFigures(run)) };
    const tables = { latency: mode.latency };
    if (!valuesNameWrites(p)) return { figures: { ...store, ...setFigures(run, p) }, tables };
    const linearizable = promisesLinearizability(p)
      ? run.checks.find((c) => c.checker === linearizabilityName)?.valid
      : linearizabilityFor(p).check({
        events: run.sim.history.events,
        finalValues: run.finalValues,
        durableValues: undefined,
        elements: run.elements,
      }).valid;
    // The leaderless clients record versions: the session guarantees are measured where not promised.
    const figures: Record<string, Figure> = { ...store, linearizable: String(linearizable) };
    if (!isRaftMode(p.mode) && p.mode !== "session") {
      figures.sessionGuarantees = String(checkStoreSessions(run.sim.history.events).valid);
    }
    return { figures, tables };
  },
});

/**
 * Whether every value read names one write (last-writer-wins, puts that assign): the checks and
 * figures that compare a read with the writes (linearizability, lost session writes, resurrected
 * deletes, session guarantees, staleness) need it. Sets and siblings are judged by
 * `acknowledged-elements` instead.
 */
export function valuesNameWrites(p: Pick<KvModesParams, "siblings" | "puts">): boolean {
  return p.siblings === "lww" && p.puts === "assign";
}

/**
 * Whether the settings promise that no acknowledged element is lost: clients that add to what they
 * read, and siblings kept (merged by the store, or by the client from a `keep` read).
 */
export function promisesElements(p: Pick<KvModesParams, "siblings" | "puts">): boolean {
  return p.puts === "add" && p.siblings !== "lww";
}

/** The figures of a run whose reads return sets or siblings: the elements lost, measured. */
function setFigures(run: HarnessRun<ClusterHandle>, p: KvModesParams): Record<string, Figure> {
  if (p.puts !== "add" || run.finalValues === undefined) return {};
  const acknowledged = run.sim.history.events.filter((op) => op.f === "put" && op.type === "ok").length;
  const lost = lostElements(run.sim.history.events, run.finalValues).length;
  return { elementsLost: lost, elementsLostFraction: acknowledged === 0 ? null : lost / acknowledged };
}

const linearizabilityName = "linearizability (kv)";

/**
 * Linearizability per key, the final reads included; with TTLs in the workload, on the model in
 * which a value written with one may expire (`ttl.ts`: the model has no clock, `ttl-expiry` judges
 * when).
 */
function linearizabilityFor(p: Pick<KvModesParams, "ttlFraction">) {
  return linearizable(linearizabilityName, p.ttlFraction > 0 ? kvCasTtl : kvCas, { initial: "", includeFinal: true });
}

/**
 * Expiry against the clock: a clock may run fast or slow by the clocks package's 50,000 ppm, or
 * leader-skew's `skewPpm`; an expiry takes a round of the log after its deadline (slack: 50 ms).
 * Late reads are judged only without faults: a new leader starts every TTL again.
 */
function ttlExpiryFor(p: Pick<KvModesParams, "skewPpm" | "faults">) {
  return ttlExpiry({
    driftPpm: Math.max(50_000, p.skewPpm),
    slackUs: 50_000,
    late: p.faults === "none" ? "check" : "count",
  });
}

/**
 * Whether the settings promise linearizability: quorum mode with strict quorums that intersect
 * (R + W > N), reads that intersect each other (2R > N), and blocking read repair, so a value a
 * read returned is on a read quorum before the read answers (the write-back of ABD).
 */
export function promisesLinearizability(
  p: Pick<KvModesParams, "mode" | "sloppyQuorum" | "r" | "w" | "n" | "readRepair">,
): boolean {
  if (isRaftMode(p.mode)) return true;
  return p.mode === "quorum" && !p.sloppyQuorum && p.r + p.w > p.n && 2 * p.r > p.n && p.readRepair === "blocking";
}
