/**
 * The commit log as the harness runs it: `servers` brokers holding `partitions` partitions of one
 * topic (replication factor `replicationFactor`, leaders spread by preference order) and of
 * `__consumer_offsets` (whose leaders are the group coordinators), a controller node outside the
 * nemesis' reach, clients that produce and consume (members of one group, or with `rebalance`
 * undefined outside any group), the roles faults aim at
 * (`leader`: partition 0's leader; `leaders`; `followers`; `brokers`), the invariants and
 * convergence.
 *
 * @example
 * ```ts
 * import { logSystem } from "./system.ts";
 * Object.keys(logSystem.bugs).length; // 5
 * ```
 * @module
 */
import type { Invariant, SystemDefinition } from "../../../harness/mod.ts";
import {
  type Acks,
  broker,
  type BrokerView,
  controller,
  type ControllerView,
  type FsyncPolicy,
  type Isolation,
  logBugDocs,
  logBugsFor,
  logClient,
  type LogMessage,
  noLeader,
  type RebalanceProtocol,
  transactionStatePartition,
} from "../mod.ts";
import { ConvergenceWatch, type PartitionSnapshot } from "./convergence.ts";

/** How to build the log service. */
export interface LogOptions {
  servers: number;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
  acks: Acks;
  fsyncPolicy: FsyncPolicy;
  uncleanLeaderElection: boolean;
  consumerCrashProbability: number;
  /** The chance a consumer leaves its group after a poll, to join again later; default 0. */
  consumerLeaveProbability?: number;
  /**
   * How consumers rebalance as members of one group; undefined: manual assignment (each consumer
   * reads the partitions it is asked for, outside any group).
   */
  rebalance?: RebalanceProtocol;
  /** Partitions of `__consumer_offsets` (default 1), numbered after the topic's. */
  offsetsPartitions?: number;
  bug: "none" | keyof typeof logBugDocs;
  /** Segment size (default 16 KiB) and retention and cleaning (default: keep everything, no cleaner). */
  segmentBytesMax?: number;
  /** With `interval`: how often appends are flushed (default 5 ms). */
  fsyncIntervalUs?: number;
  /** Recovery: whether the recovery-point checkpoint is kept (default true), whether indexes are flushed at roll (default true), and how fast recovery reads (default 100 MB/s). */
  recoveryPointCheckpoint?: boolean;
  indexFsyncAtRoll?: boolean;
  recoveryBytesPerSecond?: number;
  retention?: {
    retentionUs: number;
    retentionBytes: number;
    checkIntervalUs: number;
  };
  compaction?: {
    deleteRetentionUs: number;
    cleanerBytesPerSecond: number;
  };
  /**
   * Transactional producers (one transactional id per client process) and a `__transaction_state`
   * partition after the topic's, replicated like them; default none.
   */
  transactions?: {
    commitIntervalUs: number;
    restartProbability: number;
    transactionTimeoutUs: number;
  };
  /** What consumers read; default `read_uncommitted`. */
  isolation?: Isolation;
}

/** The consumer group every consumer of a run belongs to. */
export const consumerGroup = "g";

/** The group coordinators' session timeout, and the members' heartbeat interval. */
export const groupSessionTimeoutUs = 100_000;
const groupHeartbeatIntervalUs = 10_000;
/** A crashed or departed consumer is away this long before it joins again. */
const consumerRejoinDelayUs = 20_000;

/**
 * The partitions of the topic and then of `__consumer_offsets`, in one numbering; `__transaction_state`'s
 * follow them (the broker counts them from the end).
 */
function allPartitions(options: Pick<LogOptions, "partitions" | "offsetsPartitions">): number {
  return options.partitions + (options.offsetsPartitions ?? 1);
}

/** The replicas of each partition: consecutive brokers, starting one further along per partition. */
export function assignReplicas(options: Pick<LogOptions, "servers" | "partitions" | "replicationFactor">): number[][] {
  return Array.from(
    { length: options.partitions },
    (_, p) => Array.from({ length: options.replicationFactor }, (_, i) => (p + i) % options.servers),
  );
}

/** The log service on the harness. */
export const logSystem: SystemDefinition<LogMessage, LogOptions> = {
  name: "log",
  bugs: logBugDocs,
  build(sim, options) {
    const bugs = logBugsFor(options.bug);
    // The topic's partitions, then `__consumer_offsets`' and `__transaction_state`'s, placed alike.
    const assignmentByIndex = assignReplicas({
      ...options,
      partitions: allPartitions(options) + statePartitions(options),
    });
    const offsetsPartitions = Array.from(
      { length: options.offsetsPartitions ?? 1 },
      (_, i) => options.partitions + i,
    );
    const brokers = new Map<number, BrokerView>();
    // Every incarnation's view, by broker, for the recovery figures.
    const incarnations = new Map<number, BrokerView[]>();
    const ids: number[] = [];
    for (let i = 0; i < options.servers; i++) {
      ids.push(sim.addNode<LogMessage>({
        name: `broker${i}`,
        create: (api) => {
          const b = broker(api, {
            controller: controllerId,
            assignment,
            fsyncPolicy: options.fsyncPolicy,
            fsyncIntervalUs: options.fsyncIntervalUs ?? 5_000,
            segmentBytesMax: options.segmentBytesMax ?? 16_384,
            segmentAgeUsMax: 1_000_000,
            indexIntervalBytes: 1_024,
            heartbeatIntervalUs: 10_000,
            fetchIntervalUs: 2_000,
            requestTimeoutUs: 30_000,
            lagTimeMaxUs: 100_000,
            minInsyncReplicas: options.minInsyncReplicas,
            highWatermarkCheckpointIntervalUs: 100_000,
            recoveryPointCheckpoint: options.recoveryPointCheckpoint,
            indexFsyncAtRoll: options.indexFsyncAtRoll,
            recoveryBytesPerSecond: options.recoveryBytesPerSecond,
            retentionUs: options.retention?.retentionUs,
            retentionBytes: options.retention?.retentionBytes,
            retentionCheckIntervalUs: options.retention?.checkIntervalUs,
            compact: options.compaction !== undefined,
            deleteRetentionUs: options.compaction?.deleteRetentionUs,
            cleanerBytesPerSecond: options.compaction?.cleanerBytesPerSecond,
            transactionStatePartitions: statePartitions(options),
            groups: { offsetsPartitions, dataPartitions: options.partitions, sessionTimeoutUs: groupSessionTimeoutUs },
            bugs,
          });
          brokers.set(api.id, b);
          incarnations.set(api.id, [...incarnations.get(api.id) ?? [], b]);
          return b;
        },
      }));
    }
    const assignment = assignmentByIndex.map((replicas) => replicas.map((i) => ids[i]));
    let control: ControllerView | undefined;
    const controllerId = sim.addNode<LogMessage>({
      name: "controller",
      create: (api) => {
        const c = controller(api, {
          brokers: ids,
          assignment,
          sessionTimeoutUs: 60_000,
          uncleanLeaderElection: options.uncleanLeaderElection,
        });
        control = c;
        return c;
      },
    });
    const serving = (b: number) => (sim.isUp(b) ? brokers.get(b) : undefined);
    const partitionStates = () => control?.partitions() ?? [];
    const convergence = new ConvergenceWatch();
    const leaderOf = (p: number) => partitionStates()[p]?.leader ?? noLeader;
    const leaders = () =>
      [...new Set(partitionStates().map((p) => p.leader))].filter((b) => b !== noLeader && sim.isUp(b));
    return {
      // The controller is left out: the nemesis never faults it (see controller.ts).
      servers: ids,
      roles: {
        leader: () => [leaderOf(0)].filter((b) => b !== noLeader && sim.isUp(b)),
        leaders,
        followers: () => ids.filter((b) => !leaders().includes(b) && sim.isUp(b)),
        brokers: () => [...ids],
      },
      invariants: logInvariants({ assignment, serving }),
      converged: () => convergence.observe(partitionSnapshots({ assignment, serving, states: partitionStates() })),
      figures: () => figures(incarnations),
    };
  },
  client(context, cluster, options) {
    void cluster;
    return logClient(context, {
      controller: controllerNode(options),
      partitions: options.partitions,
      acks: options.acks,
      group: consumerGroup,
      timeoutUs: 40_000,
      attemptsMax: 60,
      backoffUs: 10_000,
      consumerCrashProbability: options.consumerCrashProbability,
      ...(options.isolation === undefined ? {} : { isolation: options.isolation }),
      ...(options.transactions === undefined ? {} : {
        transactional: {
          ...options.transactions,
          transactionalId: transactionalIdOf(context.session),
          statePartition: transactionStatePartition(transactionalIdOf(context.session), allPartitions(options)),
        },
      }),
      consumerLeaveProbability: options.consumerLeaveProbability,
      offsetsPartitions: options.offsetsPartitions ?? 1,
      membership: options.rebalance === undefined ? undefined : {
        protocol: options.rebalance,
        heartbeatIntervalUs: groupHeartbeatIntervalUs,
        sessionTimeoutUs: groupSessionTimeoutUs,
        rejoinDelayUs: consumerRejoinDelayUs,
      },
      bugs: logBugsFor(options.bug),
    });
  },
};

/** `__transaction_state` partitions: one when producers are transactional. */
function statePartitions(options: Pick<LogOptions, "transactions">): number {
  return options.transactions === undefined ? 0 : 1;
}

/** A client process's transactional id: the same across its producer's restarts. */
export function transactionalIdOf(session: number): string {
  return `tx-${session}`;
}

/** The controller's node id: added right after the brokers, so it is `servers`. */
function controllerNode(options: Pick<LogOptions, "servers">): number {
  return options.servers;
}

interface Observed {
  assignment: readonly (readonly number[])[];
  serving: (broker: number) => BrokerView | undefined;
}

/** Records compared per pair of replicas at a checkpoint; the end of the run compares everything. */
const recentRecordsCompared = 32;

/**
 * The log's invariants:
 * - `one-leader-per-epoch`: no two live brokers lead a partition in the same leader epoch;
 * - `committed-logs-agree`: below the smaller of their high watermarks, two live replicas of a
 *   partition hold the same records (at checkpoints, the most recent ones; at the end, all).
 */
export function logInvariants(observed: Observed): Invariant[] {
  return [
    {
      name: "one-leader-per-epoch",
      check() {
        for (const [partition, holders] of observed.assignment.entries()) {
          const seen = new Map<number, number>();
          for (const b of holders) {
            const r = observed.serving(b)?.replica(partition);
            if (r?.role !== "leader") continue;
            const other = seen.get(r.leaderEpoch);
            if (other !== undefined) {
              return `partition ${partition}: brokers ${other} and ${b} both lead epoch ${r.leaderEpoch}`;
            }
            seen.set(r.leaderEpoch, b);
          }
        }
        return undefined;
      },
    },
    {
      name: "committed-logs-agree",
      check(final) {
        for (const [partition, holders] of observed.assignment.entries()) {
          const broken = committedDisagreement(partition, holders, observed, final);
          if (broken !== undefined) return broken;
        }
        return undefined;
      },
    },
  ];
}

function committedDisagreement(
  partition: number,
  holders: readonly number[],
  observed: Observed,
  final: boolean,
): string | undefined {
  const live = holders.map((b) => ({ b, r: observed.serving(b)?.replica(partition) })).filter((x) => x.r !== undefined);
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i], c = live[j];
      const to = Math.min(a.r!.highWatermark, c.r!.highWatermark, a.r!.endOffset, c.r!.endOffset);
      const from = Math.max(a.r!.startOffset, c.r!.startOffset, final ? 0 : to - recentRecordsCompared);
      if (from >= to) continue;
      // Retention and cleaning run on each replica at its own pace: compare the offsets both hold,
      // walking the two ascending lists side by side.
      const lefts = a.r!.records(from, to), rights = c.r!.records(from, to);
      for (let i = 0, j = 0; i < lefts.length; i++) {
        const left = lefts[i];
        while (j < rights.length && rights[j].offset < left.offset) j++;
        const other = rights[j];
        if (other === undefined || other.offset !== left.offset || other === left) continue;
        if (left.value !== other.value || left.leaderEpoch !== other.leaderEpoch) {
          return `partition ${partition}: brokers ${a.b} and ${c.b} differ at committed offset ${left.offset} ` +
            `(${JSON.stringify(left.value)} in epoch ${left.leaderEpoch} vs ${JSON.stringify(other.value)})`;
        }
      }
    }
  }
  return undefined;
}

/** Each partition as `ConvergenceWatch` judges it: undefined unless its leader serves and every replica is up and in the ISR. */
function partitionSnapshots(
  input: Observed & { states: readonly { leader: number; isr: readonly number[]; leaderEpoch: number }[] },
): (PartitionSnapshot | undefined)[] {
  if (input.states.length !== input.assignment.length) return [undefined];
  return input.states.map((state, partition) => {
    const leader = input.serving(state.leader)?.replica(partition);
    if (leader === undefined || leader.role !== "leader" || leader.leaderEpoch !== state.leaderEpoch) return undefined;
    const replicaEndOffsets: number[] = [];
    for (const b of input.assignment[partition]) {
      const r = input.serving(b)?.replica(partition);
      if (r === undefined || !state.isr.includes(b)) return undefined;
      replicaEndOffsets.push(r.endOffset);
    }
    return {
      leaderEpoch: state.leaderEpoch,
      highWatermark: leader.highWatermark,
      endOffset: leader.endOffset,
      replicaEndOffsets,
    };
  });
}

/**
 * The recovery figures: over every broker start, recoveries, indexes rebuilt and bytes cut; over
 * the restarts (not the first starts), the segments and bytes recovery read, and the records a
 * broker had in its logs when it went down that its recovery did not find (the unflushed ones a
 * power loss took).
 */
function figures(incarnations: ReadonlyMap<number, readonly BrokerView[]>) {
  let indexesRebuilt = 0, timeIndexesRebuilt = 0, bytesTruncated = 0, recoveries = 0;
  let segmentsScanned = 0, bytesScanned = 0, recordsLost = 0;
  for (const views of incarnations.values()) {
    for (const [i, view] of views.entries()) {
      for (const report of view.recoveries()) {
        recoveries++;
        indexesRebuilt += report.indexesRebuilt;
        timeIndexesRebuilt += report.timeIndexesRebuilt;
        bytesTruncated += report.bytesTruncated;
        if (i === 0) continue;
        segmentsScanned += report.segmentsScanned;
        bytesScanned += report.bytesScanned;
        recordsLost += Math.max(0, views[i - 1].replica(report.partition).endOffset - report.endOffset);
      }
    }
  }
  return {
    logRecoveries: recoveries,
    logIndexesRebuilt: indexesRebuilt,
    logTimeIndexesRebuilt: timeIndexesRebuilt,
    logBytesTruncated: bytesTruncated,
    logRecoverySegmentsScanned: segmentsScanned,
    logRecoveryBytesScanned: bytesScanned,
    logRecordsLostAtRestart: recordsLost,
  };
}
