/**
 * The controller: one node that decides who leads each partition and who is in sync.
 *
 * A documented simplification: the controller is a single deterministic node whose state is not
 * replicated and which the experiments never fault (Kafka replicates it, with ZooKeeper or with
 * KRaft, a Raft log). Brokers heartbeat it; a broker silent for `sessionTimeoutUs` is dead: it
 * leaves every ISR it is in (unless it is the last member) and the partitions it led get a new
 * leader from the live ISR. A broker whose heartbeat shows a new incarnation has restarted (Kafka's
 * broker epochs, KIP-380): it loses the leadership it held, and when its disk does not flush every
 * append (`clean` false) it also leaves every ISR, since its log may have lost acknowledged records
 * (Kafka's unclean-shutdown handling, KIP-966). The election policy is one pure function,
 * {@linkcode electLeader}.
 *
 * @example
 * ```ts
 * import { electLeader } from "./controller.ts";
 * const state = { partition: 0, replicas: [0, 1, 2], leader: 0, leaderEpoch: 3, isr: [0, 1], partitionEpoch: 5 };
 * electLeader(state, { live: (b) => b !== 0, unclean: false, exclude: 0 }); // leader 1 in epoch 4, ISR [1]
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { NodeApi, NodeLogic } from "../../sim/mod.ts";
import { type LogMessage, noLeader, type PartitionState } from "./types.ts";

/**
 * A new leader for `state`: the first replica in preference order that is live, in the ISR and not
 * `exclude`; failing that, `exclude` itself if it is live and in the ISR (its own restart); failing
 * that, with `unclean`, any live replica, whose ISR is then itself alone (acknowledged records
 * beyond its log are lost: the price of availability). `exclude` leaves the ISR when others remain.
 * Returns the new state, with the leader epoch and the partition epoch bumped.
 */
export function electLeader(
  state: PartitionState,
  choice: { live: (broker: number) => boolean; unclean: boolean; exclude?: number; dropExcluded?: boolean },
): PartitionState {
  const eligible = (b: number) => choice.live(b) && state.isr.includes(b);
  let leader = state.replicas.find((b) => b !== choice.exclude && eligible(b));
  if (leader === undefined && choice.exclude !== undefined && eligible(choice.exclude)) leader = choice.exclude;
  let isr = state.isr;
  if (choice.dropExcluded !== false && choice.exclude !== undefined && leader !== choice.exclude) {
    const rest = isr.filter((b) => b !== choice.exclude);
    if (rest.length > 0) isr = rest;
  }
  if (leader === undefined && choice.unclean) {
    leader = state.replicas.find((b) => choice.live(b));
    if (leader !== undefined) isr = [leader];
  }
  const next = {
    ...state,
    leader: leader ?? noLeader,
    leaderEpoch: state.leaderEpoch + 1,
    isr: [...isr],
    partitionEpoch: state.partitionEpoch + 1,
  };
  assert(next.isr.length > 0, `partition ${state.partition}: an election emptied the ISR`);
  assert(
    next.leader === noLeader || next.isr.includes(next.leader),
    `partition ${state.partition}: leader outside the ISR`,
  );
  return next;
}

/** How the controller runs. */
export interface ControllerOptions {
  brokers: readonly number[];
  /** Replicas of each partition, in preference order. */
  assignment: readonly (readonly number[])[];
  sessionTimeoutUs: number;
  uncleanLeaderElection: boolean;
}

/** What the invariants and convergence read of the controller. */
export interface ControllerView {
  partitions(): readonly PartitionState[];
}

interface BrokerLiveness {
  incarnation: number;
  lastHeartbeatUs: number;
  alive: boolean;
}

const sessionCheckUs = 5_000;

/** The controller node. */
export function controller(
  api: NodeApi<LogMessage>,
  options: ControllerOptions,
): NodeLogic<LogMessage> & ControllerView {
  const partitions: PartitionState[] = options.assignment.map((replicas, partition) => ({
    partition,
    replicas: [...replicas],
    leader: replicas[0],
    leaderEpoch: 1,
    isr: [...replicas],
    partitionEpoch: 1,
  }));
  const brokers = new Map<number, BrokerLiveness>(
    options.brokers.map((b) => [b, { incarnation: 1, lastHeartbeatUs: 0, alive: true }]),
  );
  const live = (b: number) => brokers.get(b)?.alive === true;

  function reelect(where: (p: PartitionState) => boolean, choice: { exclude?: number; dropExcluded?: boolean }): void {
    for (let i = 0; i < partitions.length; i++) {
      if (where(partitions[i])) {
        partitions[i] = electLeader(partitions[i], { live, unclean: options.uncleanLeaderElection, ...choice });
      }
    }
  }

  /** A broker is gone: elect for what it led, and take it out of the ISRs where others remain. */
  function brokerFailed(broker: number, dropFromIsr: boolean): void {
    reelect((p) => p.leader === broker, { exclude: broker, dropExcluded: dropFromIsr });
    if (!dropFromIsr) return;
    for (let i = 0; i < partitions.length; i++) {
      const p = partitions[i];
      if (p.isr.includes(broker) && p.isr.length > 1) {
        partitions[i] = { ...p, isr: p.isr.filter((b) => b !== broker), partitionEpoch: p.partitionEpoch + 1 };
      }
    }
  }

  function onHeartbeat(from: number, incarnation: number, clean: boolean): void {
    const known = brokers.get(from);
    assert(known !== undefined, `heartbeat from ${from}, which is not a broker`);
    if (incarnation !== known.incarnation) {
      assert(incarnation > known.incarnation, `broker ${from} went back from incarnation ${known.incarnation}`);
      known.alive = false;
      brokerFailed(from, !clean);
      known.incarnation = incarnation;
    }
    known.alive = true;
    known.lastHeartbeatUs = api.monotonicUs();
    // An offline partition comes back when a member of its ISR does (or any replica, unclean).
    reelect((p) => p.leader === noLeader && p.replicas.includes(from), {});
    api.send(from, { type: "controllerState", partitions: partitions.map((p) => ({ ...p })) }, 64 * partitions.length);
  }

  function onAlterIsr(from: number, m: Extract<LogMessage, { type: "alterIsr" }>): void {
    const p = partitions[m.partition];
    const valid = p.leader === from && p.leaderEpoch === m.leaderEpoch && p.partitionEpoch === m.partitionEpoch &&
      m.isr.includes(from);
    if (valid) {
      // A dead broker does not rejoin through a leader's stale view.
      const isr = m.isr.filter((b) => b === from || live(b) || p.isr.includes(b));
      partitions[m.partition] = { ...p, isr, partitionEpoch: p.partitionEpoch + 1 };
    }
    api.send(from, {
      type: "alterIsrResult",
      partition: m.partition,
      state: valid ? { ...partitions[m.partition] } : undefined,
    });
  }

  function checkSessions(): void {
    const now = api.monotonicUs();
    for (const [broker, liveness] of brokers) {
      if (liveness.alive && now - liveness.lastHeartbeatUs > options.sessionTimeoutUs) {
        liveness.alive = false;
        brokerFailed(broker, true);
      }
    }
    api.setTimer(sessionCheckUs, "sessions");
  }

  return {
    onStart: () => void api.setTimer(sessionCheckUs, "sessions"),
    onTimer: () => checkSessions(),
    onMessage(from, m) {
      switch (m.type) {
        case "heartbeat":
          return onHeartbeat(from, m.incarnation, m.clean);
        case "alterIsr":
          return onAlterIsr(from, m);
        case "metadata":
          return api.send(from, {
            type: "metadataResponse",
            requestId: m.requestId,
            leaders: partitions.map((p) => p.leader),
          });
      }
    },
    partitions: () => partitions,
  };
}
