/**
 * The `log-eos` experiment: producers (with retries; by default transactional, one transaction per
 * record, restarting now and then and leaving a zombie that fencing must stop) send unique records
 * to the partitions of a topic under broker crashes that lose unsynced writes, power losses,
 * partitions and the leader changes they cause (a coordinator among them, mid-commit); consumers,
 * members of one group, poll the partitions the group assigns them (`read_committed` with
 * transactions), crashing, leaving and rejoining now and then, which rebalances the group
 * (`rebalance`: eager or cooperative); at the end every partition is drained from the group's
 * committed offsets. Figures: transactions, rebalances, and how long partitions went without an
 * owner. The delivery checker judges the history: no acknowledged record lost, none delivered twice, none out of its
 * producer's order. With `bug` set to a planted bug, the checker catches it.
 *
 * @example
 * ```ts
 * import { logEosExperiment } from "./eos.ts";
 * const output = logEosExperiment.run({ durationUs: 2_000_000, faults: "none" }, 1);
 * output.checks.every((c) => c.valid === true); // true
 * ```
 * @module
 */
import { InputError } from "../../../assert.ts";
import { checkDelivery } from "../../../check/mod.ts";
import type { Schedule } from "../../../faults/mod.ts";
import {
  boolean,
  type Checker,
  choice,
  defineExperiment,
  defineParams,
  type FaultPackage,
  type Generator,
  integer,
  number,
  packageSchedule,
  paramGroups,
  standardFaultPackages,
  type ValuesOf,
  type Workload,
} from "../../../harness/mod.ts";
import { logDeliveryBugNames, partitionKey, partitionsMax } from "../mod.ts";
import { type LogOptions, logSystem } from "./system.ts";

/** The fault packages `faults` chooses from. */
export const logFaultPackages = ["mixed", "crashes", "power", "partitions", "none"] as const;

/** The experiment's parameters. */
export const logEosParams = defineParams({
  ...paramGroups.cluster({ default: 3, min: 1, max: 9 }),
  partitions: integer({ default: 3, min: 1, max: partitionsMax, description: "partitions of the topic" }),
  replicationFactor: integer({ default: 3, min: 1, max: 9, description: "replicas per partition" }),
  minInsyncReplicas: integer({ default: 2, min: 1, max: 9, description: "min.insync.replicas for acks=all" }),
  acks: choice(["all", "1", "0"], {
    default: "all",
    description: "replicas that must have a record before it is acknowledged",
  }),
  fsync: choice(["always", "interval", "never"], { default: "always", description: "when appends are flushed" }),
  unclean: boolean({ default: false, description: "allow unclean leader election (loses acknowledged records)" }),
  producers: integer({ default: 4, min: 1, max: 64, description: "producer processes" }),
  consumers: integer({
    default: 3,
    min: 1,
    max: partitionsMax,
    description: "consumer processes, members of one group (at most partitions)",
  }),
  rebalance: choice(["eager", "cooperative"], {
    default: "eager",
    description:
      "eager: every member revokes all and rejoins; cooperative (KIP-429): only moved partitions are revoked",
  }),
  consumerLeaveProbability: number({
    default: 0.02,
    min: 0,
    max: 1,
    description: "chance a consumer leaves its group after a poll, to join again later",
  }),
  consumerCrashProbability: number({
    default: 0.1,
    min: 0,
    max: 1,
    description: "chance a poll crashes its consumer before processing",
  }),
  thinkTimeUsMean: number({ default: 2_000, min: 0, description: "mean client think time" }),
  transactional: boolean({
    default: true,
    description: "producers send each record in a transaction; consumers read_committed",
  }),
  producerRestartProbability: number({
    default: 0.05,
    min: 0,
    max: 1,
    description: "chance a transaction starts with a producer restart that leaves a zombie",
  }),
  transactionTimeoutUs: integer({
    default: 1_000_000,
    min: 10_000,
    description: "transactions open longer are aborted by the coordinator",
  }),
  ...paramGroups.duration({ defaultUs: 5_000_000 }),
  ...paramGroups.faults(logFaultPackages, {
    default: "mixed",
    description: "crashes losing unsynced writes, power losses of a majority, partitions; mixed: all of them",
  }),
  faultIntervalUsMean: integer({
    default: 400_000,
    min: 50_000,
    description: "mean time between faults of one package",
  }),
  ...paramGroups.bug(logDeliveryBugNames),
}, {
  constraint(p) {
    if (p.replicationFactor > p.servers) {
      return `replicationFactor ${p.replicationFactor} is above servers ${p.servers}`;
    }
    if (p.minInsyncReplicas > p.replicationFactor) {
      return `minInsyncReplicas ${p.minInsyncReplicas} is above replicationFactor ${p.replicationFactor}`;
    }
    if (p.consumers > p.partitions) {
      return `consumers ${p.consumers} is above partitions ${p.partitions}: some would idle`;
    }
    return undefined;
  },
});

/** Typed values of the experiment's parameters. */
export type LogEosParams = ValuesOf<typeof logEosParams>;

const warmupUs = 300_000;
const quietEndUs = 1_500_000;

/** Producers send `process:sequence` to a random partition. */
export function sendGenerator(partitions: number): Generator {
  return {
    next: (rng, { process, sequence }) => ({
      f: "send",
      key: partitionKey(Math.floor(rng.next() * partitions)),
      value: `${process}:${sequence}`,
    }),
  };
}

/**
 * A consumer polls every partition in turn: the group decides which it owns, and a poll of one it
 * does not own in the current generation fails at once.
 */
export function pollGenerator(options: { partitions: number }): Generator {
  if (!Number.isInteger(options.partitions) || options.partitions < 1) {
    throw new InputError(`a consumer polls at least one partition; got ${options.partitions}`);
  }
  return {
    next: (_rng, { sequence }) => ({ f: "poll", key: partitionKey(sequence % options.partitions), value: null }),
  };
}

/** Producers and consumers, a drain of every partition at the end, judged by the delivery checker. */
export function logEosWorkload(
  p: Pick<LogEosParams, "producers" | "consumers" | "partitions" | "thinkTimeUsMean">,
): Workload {
  return {
    processes: p.producers + p.consumers,
    thinkTimeUsMean: p.thinkTimeUsMean,
    generator: sendGenerator(p.partitions),
    generatorFor: (index) => index < p.producers ? undefined : pollGenerator({ partitions: p.partitions }),
    final: Array.from({ length: p.partitions }, (_, i) => ({ f: "drain", key: partitionKey(i), value: null })),
    checkers: [drainedDeliveryChecker()],
  };
}

/**
 * The delivery checker over the clients' sends and polls and the final drains. The harness's
 * `deliveryChecker` leaves out the final process's operations (it treats them as final reads,
 * the yardstick), which removes the drains the checker needs to call a record lost; here the
 * drains are the consumer group's last polls, so they are judged with the rest.
 */
export function drainedDeliveryChecker(): Checker {
  const name = "delivery";
  return {
    name,
    check: ({ events }) => ({
      ...checkDelivery(events.filter((op) => op.process !== "nemesis"), { ordered: true }),
      checker: name,
    }),
  };
}

const standard = standardFaultPackages({ focus: "leader" });

/** The faults of each package, aimed at partition 0's leader as often as at a random broker. */
const packages: Record<Exclude<LogEosParams["faults"], "none" | "mixed">, FaultPackage> = {
  crashes: standard.crashes,
  partitions: standard.partitions,
  // A random majority loses power (and its unsynced writes) and comes back: with epochs the
  // restarted replicas keep what they flushed; without, they cut it back to a stale watermark.
  power: standard.power,
};

/** The fault schedule of a package; `mixed` runs crashes, partitions and power losses side by side. */
export function logEosSchedule(params: Pick<LogEosParams, "faults" | "durationUs" | "faultIntervalUsMean">): Schedule {
  if (params.faults === "none") return { faults: [], recoveryUs: 0 };
  const names = params.faults === "mixed" ? (["crashes", "partitions", "power"] as const) : [params.faults];
  return packageSchedule(names.map((name) => packages[name]), {
    durationUs: params.durationUs,
    warmupUs,
    quietEndUs,
    meanIntervalUs: params.faultIntervalUsMean,
  });
}

/** The build options a parameter set gives. */
export function logEosOptions(p: LogEosParams): LogOptions {
  return {
    servers: p.servers,
    partitions: p.partitions,
    replicationFactor: p.replicationFactor,
    minInsyncReplicas: p.minInsyncReplicas,
    acks: p.acks === "all" ? "all" : p.acks === "1" ? 1 : 0,
    fsyncPolicy: p.fsync,
    uncleanLeaderElection: p.unclean,
    consumerCrashProbability: p.consumerCrashProbability,
    consumerLeaveProbability: p.consumerLeaveProbability,
    rebalance: p.rebalance,
    bug: p.bug,
    ...(p.transactional
      ? {
        transactions: {
          commitIntervalUs: 0,
          restartProbability: p.producerRestartProbability,
          transactionTimeoutUs: p.transactionTimeoutUs,
        },
        isolation: "read_committed" as const,
      }
      : {}),
  };
}

/** Exactly-once delivery of acknowledged records under broker faults. */
export const logEosExperiment = defineExperiment({
  name: "log-eos",
  description: "Kafka-like log (ISR, high watermark, leader epochs, idempotent and transactional producers with " +
    "zombies) under crashes, power losses and partitions; checks no acknowledged record is lost or duplicated",
  params: logEosParams,
  system: logSystem,
  options: logEosOptions,
  workload: logEosWorkload,
  schedule: logEosSchedule,
  phases: (p) => ({ warmupUs, durationUs: p.durationUs, recoveryBoundUs: 3_000_000 }),
  extras: (run) => ({ figures: { ...transactionFigures(run.sim.metrics), ...groupFigures(run.sim.metrics) } }),
});

/**
 * What the transactions went through: commits, zombies fenced (or, with the bug, committed),
 * prepared transactions a new coordinator finished, and aborts by fencing and by timeout.
 */
export function transactionFigures(metrics: { series(name: string): { value: ArrayLike<number> } }) {
  const total = (name: string) => Array.from(metrics.series(name).value).reduce((a, b) => a + b, 0);
  return {
    txnCommits: metrics.series("txn_records_committed").value.length,
    txnZombiesFenced: total("txn_zombie_fenced"),
    txnZombiesCommitted: total("txn_zombie_committed"),
    txnPreparedResumed: total("txn_prepared_resumed"),
    txnFencingAborts: total("txn_fencing_aborts"),
    txnTimeoutAborts: total("txn_timeout_aborts"),
  };
}

/**
 * The group's figures from the coordinators' metrics: generations started (`rebalances`), and
 * how long partitions went without an owner, from the moment their owner gave them up (or, for a
 * crash, its last heartbeat) to their new owner's assignment.
 */
export function groupFigures(metrics: { series(name: string): { value: ArrayLike<number> } }) {
  const unowned = Array.from(metrics.series("group_partition_unowned_us").value).sort((a, b) => a - b);
  const at = (
    q: number,
  ) => (unowned.length === 0 ? 0 : unowned[Math.min(unowned.length - 1, Math.floor(q * unowned.length))]);
  return {
    rebalances: metrics.series("group_rebalances").value.length,
    partitionsUnowned: unowned.length,
    unownedUsTotal: unowned.reduce((a, b) => a + b, 0),
    unownedUsP50: at(0.5),
    unownedUsMax: at(1),
  };
}
