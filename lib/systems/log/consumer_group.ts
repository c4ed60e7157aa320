/**
 * A consumer's side of the group protocol: membership (join, sync, heartbeats, leave, a crash and
 * the rejoin after it), the leader's assignment, and offset fetches and commits to the group's
 * coordinator, found as the leader of the group's `__consumer_offsets` partition.
 *
 * A member joins, and the coordinator's answer makes one member the leader, which assigns the
 * partitions (`range` under eager rebalancing, the cooperative sticky assignor under cooperative)
 * and sends the assignment in its SyncGroup; every member learns its partitions from its own
 * SyncGroup answer. Then it heartbeats; an answer `rebalanceInProgress` sends it back to join, and
 * `unknownMember` or `illegalGeneration` (it was removed, a zombie) makes it give up everything
 * first. Under eager rebalancing a member revokes all its partitions before it rejoins; under
 * cooperative it keeps them, gives up only those its new assignment lacks, and rejoins at once
 * when it gave any up, so the next generation can hand them over.
 *
 * A consumer outside any group (`membership` undefined: manual assignment) fetches and commits
 * with {@linkcode noGeneration}; the coordinator accepts that only while the group has no members.
 *
 * @example
 * ```ts
 * import { groupClient } from "./consumer_group.ts";
 * // const group = groupClient(context, { controller, group: "g", layout, membership, ... });
 * // group.owns(2); group.commit(2, 17, (result) => ...);
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { ClientContext } from "../../sim/mod.ts";
import { cooperativeAssign, rangeAssign } from "./assignor.ts";
import {
  type GroupError,
  type GroupRequest,
  type GroupResponse,
  isGroupResponse,
  noGeneration,
  offsetsPartitionFor,
  type OffsetsTopicLayout,
  type RebalanceProtocol,
} from "./group_types.ts";
import { type LogMessage, noLeader } from "./types.ts";

/** How a consumer takes part in its group. */
export interface GroupMembership {
  protocol: RebalanceProtocol;
  heartbeatIntervalUs: number;
  /** The coordinator's session timeout: a member that has not heard back for this long rejoins. */
  sessionTimeoutUs: number;
  /** How long a crashed or departed consumer stays away before it joins again as a new member. */
  rejoinDelayUs: number;
}

/** How a group client runs. */
export interface GroupClientOptions {
  controller: number;
  group: string;
  layout: OffsetsTopicLayout;
  /** Undefined: a consumer outside any group (manual assignment). */
  membership: GroupMembership | undefined;
  timeoutUs: number;
  backoffUs: number;
  attemptsMax: number;
  /** Called with the partitions the consumer gives up: it forgets its positions in them. */
  onRevoke: (partitions: readonly number[]) => void;
}

/** How a commit ended: accepted, refused by the fence (definitely not written), or unknown. */
export type CommitResult = "ok" | "refused" | "unknown";

/** A consumer's group client. */
export interface GroupClient {
  /** Joins the group (once; nothing outside a group). */
  subscribe(): void;
  /** Whether the consumer owns `partition` now (always, outside a group). */
  owns(partition: number): boolean;
  /**
   * The generation to commit what is read now with, and a count of revocations so far: a poll
   * that began before a revocation must not take its position from before it.
   */
  lease(): { generation: number; revocations: number };
  fetchOffset(partition: number, then: (offset: number) => void, gaveUp: () => void): void;
  /** Commits `offset` under `generation` (the lease's, taken when the records were fetched). */
  commit(partition: number, offset: number, generation: number, then: (result: CommitResult) => void): void;
  /** The consumer dies: it forgets everything and, after a delay, joins as a new member. */
  crash(): void;
  /** The consumer leaves the group and, after a delay, joins as a new member. */
  leave(): void;
  /** Takes `m` if it is an answer to this client's requests. */
  onMessage(m: LogMessage): boolean;
  /** Takes `tag` if it is this client's timer. */
  onTimer(tag: unknown): boolean;
}

/** Request ids of the group client start here, apart from the client's own. */
const requestIdBase = 1_000_000_000;

type Answer = GroupResponse | Extract<LogMessage, { type: "metadataResponse" }>;

interface Pending {
  onReply: (m: Answer) => void;
  onTimeout: () => void;
  timer: number;
}

/** Errors that mean "ask the coordinator again", possibly another one. */
const retriable = new Set<GroupError>(["notCoordinator", "coordinatorLoading", "notEnoughReplicas", "unstableOffset"]);

/** A group client for one consumer process. */
export function groupClient(context: ClientContext<LogMessage>, options: GroupClientOptions): GroupClient {
  const membership = options.membership;
  const pending = new Map<number, Pending>();
  let nextId = requestIdBase;
  let coordinator: number | undefined;
  let incarnation = 0;
  let phase: "away" | "joining" | "syncing" | "stable" = "away";
  let generation = noGeneration;
  let owned: number[] = [];
  let revocations = 0;
  let commitSeq = 0;
  let lastHeardUs = 0;
  let heartbeating = false;
  let heartbeatScheduled = false;
  /** Each join starts a round; answers to an older round's requests are ignored. */
  let round = 0;
  const memberId =
    () => (membership === undefined ? `standalone-${context.session}` : `c${context.session}.${incarnation}`);

  function call(
    to: number,
    build: (id: number) => LogMessage,
    timeoutUs: number,
    onReply: Pending["onReply"],
    onTimeout: () => void,
  ) {
    const id = ++nextId;
    const timer = context.setTimer(timeoutUs, { groupRequest: id });
    pending.set(id, { onReply, onTimeout, timer });
    context.send(to, build(id));
  }

  function after(delayUs: number, then: () => void): void {
    const at = incarnation;
    context.setTimer(delayUs, { groupThen: () => at === incarnation && then() });
  }

  /** Finds the coordinator (the leader of the group's offsets partition), then calls `then`. */
  function withCoordinator(then: (node: number) => void, gaveUp: () => void, attempt = 0): void {
    if (coordinator !== undefined) return then(coordinator);
    if (attempt >= options.attemptsMax) return gaveUp();
    call(options.controller, (id) => ({ type: "metadata", requestId: id }), options.timeoutUs, (r) => {
      const leader = r.type === "metadataResponse"
        ? r.leaders[offsetsPartitionFor(options.group, options.layout)]
        : noLeader;
      if (leader === undefined || leader === noLeader) {
        return after(options.backoffUs, () => withCoordinator(then, gaveUp, attempt + 1));
      }
      coordinator = leader;
      then(leader);
    }, () => withCoordinator(then, gaveUp, attempt + 1));
  }

  /**
   * Sends a request to the coordinator and hands its answer to `onAnswer`; a retriable error or a
   * timeout asks again (a fresh coordinator) until `attempts` run out, then `gaveUp`.
   */
  function ask(
    request: (id: number) => GroupRequest,
    onAnswer: (r: GroupResponse) => void,
    gaveUp: () => void,
    choice: { attempts: number; timeoutUs?: number },
    attempt = 0,
  ): void {
    if (attempt >= choice.attempts) return gaveUp();
    const again = () => after(options.backoffUs, () => ask(request, onAnswer, gaveUp, choice, attempt + 1));
    withCoordinator((node) => {
      call(node, request, choice.timeoutUs ?? options.timeoutUs, (r) => {
        if (!isGroupResponse(r)) return again();
        if (r.error !== undefined && retriable.has(r.error)) {
          if (r.error === "notCoordinator") coordinator = undefined;
          return again();
        }
        onAnswer(r);
      }, () => {
        coordinator = undefined;
        again();
      });
    }, gaveUp);
  }

  function revoke(partitions: readonly number[]): void {
    if (partitions.length === 0) return;
    revocations++;
    owned = owned.filter((p) => !partitions.includes(p));
    options.onRevoke(partitions);
  }

  // ---- membership ----

  function join(): void {
    assert(membership !== undefined, "only a member joins");
    // Eager: everything is given up before rejoining; cooperative keeps what it owns.
    if (membership.protocol === "eager") revoke([...owned]);
    phase = "joining";
    const id = memberId();
    const r0 = ++round;
    ask(
      (requestId) => ({
        type: "joinGroup",
        requestId,
        group: options.group,
        memberId: id,
        protocol: membership.protocol,
        owned: [...owned],
      }),
      (r) => {
        if (r0 !== round) return;
        if (r.type !== "joinGroupResponse" || r.error !== undefined) return after(options.backoffUs, join);
        generation = r.generation!;
        sync(r0, r.leader === id ? assign(r.members!) : undefined);
      },
      () => r0 === round && after(options.backoffUs, join),
      {
        attempts: Infinity,
        timeoutUs: membership.sessionTimeoutUs + options.timeoutUs,
      },
    );
  }

  function assign(members: { memberId: string; owned: number[] }[]): [string, number[]][] {
    const partitions = options.layout.dataPartitions;
    const assignment = membership!.protocol === "eager"
      ? rangeAssign(members.map((m) => m.memberId), partitions)
      : cooperativeAssign(members, partitions);
    return [...assignment];
  }

  function sync(r0: number, assignment: [string, number[]][] | undefined): void {
    phase = "syncing";
    ask(
      (requestId) => ({
        type: "syncGroup",
        requestId,
        group: options.group,
        memberId: memberId(),
        generation,
        ...(assignment === undefined ? {} : { assignment }),
      }),
      (r) => {
        if (r0 !== round) return;
        if (r.type !== "syncGroupResponse") return join();
        if (r.error !== undefined) return rejoin(r.error);
        const assigned = r.partitions!;
        const gone = owned.filter((p) => !assigned.includes(p));
        revoke(gone);
        owned = [...assigned];
        phase = "stable";
        lastHeardUs = context.monotonicUs();
        // Cooperative: what was given up goes to its new owner in the next generation.
        if (gone.length > 0 && membership!.protocol === "cooperative") return join();
        scheduleHeartbeat();
      },
      () => r0 === round && join(),
      { attempts: options.attemptsMax },
    );
  }

  /** After a refusal: a removed member (or zombie) gives up everything; a rebalance only rejoins. */
  function rejoin(error: GroupError): void {
    if (error === "unknownMember" || error === "illegalGeneration") revoke([...owned]);
    join();
  }

  function scheduleHeartbeat(): void {
    if (heartbeatScheduled) return;
    heartbeatScheduled = true;
    after(membership!.heartbeatIntervalUs, () => {
      heartbeatScheduled = false;
      heartbeat();
    });
  }

  function heartbeat(): void {
    if (phase !== "stable" || heartbeating) return;
    // Unheard for a session: the coordinator has removed this member; what it owned is others' now.
    if (context.monotonicUs() - lastHeardUs > membership!.sessionTimeoutUs) return rejoin("unknownMember");
    heartbeating = true;
    const at = incarnation;
    ask((requestId) => ({
      type: "groupHeartbeat",
      requestId,
      group: options.group,
      memberId: memberId(),
      generation,
    }), (r) => {
      heartbeating = false;
      if (at !== incarnation || phase !== "stable") return;
      lastHeardUs = context.monotonicUs();
      if (r.error !== undefined) return rejoin(r.error);
      scheduleHeartbeat();
    }, () => {
      heartbeating = false;
      scheduleHeartbeat();
    }, { attempts: 1 });
  }

  /** Drops everything this incarnation had in flight and comes back later as a new member. */
  function goAway(): void {
    for (const p of pending.values()) context.cancelTimer(p.timer);
    pending.clear();
    heartbeating = false;
    heartbeatScheduled = false;
    round++;
    revoke([...owned]);
    incarnation++;
    commitSeq = 0;
    generation = noGeneration;
    phase = "away";
    after(membership!.rejoinDelayUs, join);
  }

  let subscribed = false;

  return {
    subscribe() {
      if (membership === undefined || subscribed) return;
      subscribed = true;
      join();
    },
    owns: (partition) => membership === undefined || owned.includes(partition),
    fetchOffset(partition, then, gaveUp) {
      ask(
        (requestId) => ({ type: "offsetFetch", requestId, group: options.group, partition }),
        (r) => {
          if (r.type !== "offsetFetchResponse" || r.offset === undefined) return gaveUp();
          then(r.offset);
        },
        gaveUp,
        { attempts: options.attemptsMax },
      );
    },
    lease: () => ({ generation: membership === undefined ? noGeneration : generation, revocations }),
    commit(partition, offset, gen, then) {
      const seq = ++commitSeq;
      const id = memberId();
      const at = incarnation;
      ask(
        (requestId) => ({
          type: "offsetCommit",
          requestId,
          group: options.group,
          memberId: id,
          generation: gen,
          partition,
          offset,
          commitSeq: seq,
        }),
        (r) => {
          if (r.error === undefined) return then("ok");
          // Fenced: this member no longer owns the partition; the rebalance that took it is under way.
          if (at === incarnation && membership !== undefined && phase === "stable") {
            rejoin(
              r.error === "notOwner" ? "rebalanceInProgress" : r.error,
            );
          }
          then("refused");
        },
        () => then("unknown"),
        { attempts: options.attemptsMax },
      );
    },
    crash() {
      if (membership !== undefined) goAway();
    },
    leave() {
      if (membership === undefined || phase === "away") return;
      const id = memberId();
      const node = coordinator;
      goAway();
      // Fire and forget: a lost leave is a crash, found by the session timeout.
      if (node !== undefined) {
        context.send(node, { type: "leaveGroup", requestId: ++nextId, group: options.group, memberId: id });
      }
    },
    onMessage(m) {
      if (!("requestId" in m) || m.requestId <= requestIdBase) return false;
      const waiting = pending.get(m.requestId);
      if (waiting === undefined) return true;
      pending.delete(m.requestId);
      context.cancelTimer(waiting.timer);
      waiting.onReply(m as Answer);
      return true;
    },
    onTimer(tag) {
      const t = tag as { groupRequest?: number; groupThen?: () => void } | null;
      if (t?.groupThen !== undefined) {
        t.groupThen();
        return true;
      }
      if (t?.groupRequest === undefined) return false;
      const waiting = pending.get(t.groupRequest);
      if (waiting !== undefined) {
        pending.delete(t.groupRequest);
        waiting.onTimeout();
      }
      return true;
    },
  };
}
