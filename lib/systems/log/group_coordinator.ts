/**
 * The group coordinator: the broker leading a `__consumer_offsets` partition runs one for the
 * groups that hash to it (Kafka's rule), with their membership in memory and their committed
 * offsets in that compacted partition.
 *
 * Membership follows Kafka's group protocol. A member's JoinGroup starts a rebalance
 * (`preparingRebalance`); every known member must rejoin (they learn of it from their heartbeat's
 * `rebalanceInProgress`) within `rebalanceTimeoutUs`, or it is removed. Then the generation is
 * bumped, the join answers go out (the leader's lists every member and what it owns), and the
 * group waits in `completingRebalance` for the leader's SyncGroup carrying the assignment, which
 * every member's SyncGroup answer then hands out (`stable`). A member that does not heartbeat for
 * `sessionTimeoutUs` (a crash) is removed, and so is one that leaves; either starts a rebalance.
 *
 * Under eager rebalancing a member revokes everything before it rejoins; under cooperative
 * rebalancing (KIP-429) it keeps what it owns, and a partition the assignment moves is withheld
 * from both members for one generation, until its old owner has given it up.
 *
 * The fence: the coordinator knows who may commit each partition (`owners`: member and the first
 * generation of its ownership) and accepts a commit only from that member with a generation from
 * then to now. An owner is dropped when its member revokes (eager rejoin), loses the partition in
 * an assignment, leaves or is removed, so a zombie's commit is refused (`notOwner`,
 * `illegalGeneration`, `unknownMember`).
 *
 * Commits are records appended to the partition (key group/topic/partition, value the offset, the
 * member and its commit number), answered once replicated like an `acks=all` produce. A retry of
 * a commit that already landed (its number is the member's last or older) is answered with
 * success without a second record, so a commit whose answer was lost is not refused after a
 * rebalance. A new coordinator rebuilds the offsets and those numbers from the partition's
 * records (coordinator failover), and serves only once a marker record it appends is replicated
 * (so a commit it does not find can never resurface through a later leader: a refusal is final);
 * membership is not persisted, so its groups rejoin. Generations
 * start at the partition's leader epoch times a million, so none is ever reused across failovers.
 *
 * @example
 * ```ts
 * import { GroupCoordinator } from "./group_coordinator.ts";
 * // broker.ts: on becoming leader of an offsets partition,
 * // new GroupCoordinator(host, { leaderEpoch, records: log.read(...), dataPartitions, ... });
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import {
  type GroupError,
  type GroupRequest,
  type GroupResponse,
  noGeneration,
  type OffsetCommitValue,
  offsetKey,
  type RebalanceProtocol,
} from "./group_types.ts";
import type { LogRecord } from "./types.ts";

/** What the coordinator needs of the broker it runs on. */
export interface GroupCoordinatorHost {
  nowUs(): number;
  send(to: number, message: GroupResponse): void;
  /** Appends a keyed record to the offsets partition and returns its offset. */
  append(key: string, value: string): number;
  /**
   * Calls `then()` once the record at `offset` is below the high watermark with enough in-sync
   * replicas, or `then(error)` when that fails (leadership lost, the ISR too small).
   */
  whenReplicated(offset: number, then: (error?: GroupError) => void): void;
  highWatermark(): number;
  record(name: string, value: number): void;
}

/** How a coordinator runs. */
export interface GroupCoordinatorOptions {
  /** The leader epoch of the offsets partition this coordinator leads. */
  leaderEpoch: number;
  /** The partition's records when it became leader: the offsets are rebuilt from them. */
  records: readonly LogRecord[];
  /** Partitions of the data topic: commits name one of them. */
  dataPartitions: number;
  sessionTimeoutUs: number;
  rebalanceTimeoutUs: number;
}

/** What a test or figure reads of a coordinator. */
export interface CoordinatorView {
  committed(group: string, partition: number): number | undefined;
  group(group: string): { state: GroupState; generation: number; members: string[] } | undefined;
  ownerOf(group: string, partition: number): string | undefined;
}

type GroupState = "empty" | "preparingRebalance" | "completingRebalance" | "stable";

interface Waiting {
  client: number;
  requestId: number;
}

interface Member {
  memberId: string;
  owned: number[];
  lastHeartbeatUs: number;
  join: Waiting | undefined;
  sync: Waiting | undefined;
  assignment: number[] | undefined;
}

interface Group {
  id: string;
  protocol: RebalanceProtocol;
  state: GroupState;
  generation: number;
  leader: string | undefined;
  members: Map<string, Member>;
  rebalanceDeadlineUs: number;
  owners: Map<number, { memberId: string; sinceGeneration: number }>;
  unownedSinceUs: Map<number, number>;
}

/** Groups a coordinator serves at most, and members of a group: beyond, a join is refused loudly. */
const groupsMax = 1_024;
const membersMax = 1_024;

/** The coordinator of the groups of one offsets partition. */
export class GroupCoordinator implements CoordinatorView {
  readonly #host: GroupCoordinatorHost;
  readonly #options: GroupCoordinatorOptions;
  readonly #groups = new Map<string, Group>();
  readonly #offsets = new Map<string, { value: OffsetCommitValue; logOffset: number }>();
  readonly #lastCommit = new Map<string, { commitSeq: number; logOffset: number }>();
  /** Where this coordinator's load marker sits: it serves once the marker is replicated. */
  readonly #loadMarkerOffset: number;

  constructor(host: GroupCoordinatorHost, options: GroupCoordinatorOptions) {
    this.#host = host;
    this.#options = options;
    for (const record of options.records) {
      if (!isOffsetRecord(record)) continue;
      this.#remember(record.key!, JSON.parse(record.value) as OffsetCommitValue, record.offset);
    }
    // Raft's no-op at a new term: once a record of this epoch is below the watermark, no record
    // missing from this log can come back through a later leader that still has it, so a
    // commit this coordinator does not find is one that will never count.
    this.#loadMarkerOffset = host.append(loadMarkerKey, JSON.stringify({ leaderEpoch: options.leaderEpoch }));
  }

  /** Whether the load is complete: the marker is replicated. */
  ready(): boolean {
    return this.#host.highWatermark() > this.#loadMarkerOffset;
  }

  /** Handles a request from `client`. */
  handle(client: number, m: GroupRequest): void {
    if (!this.ready()) {
      return this.#answer({ client, requestId: m.requestId }, {
        type: `${m.type}Response`,
        error: "coordinatorLoading",
      } as DistributiveOmit<GroupResponse, "requestId">);
    }
    switch (m.type) {
      case "joinGroup":
        return this.#join(client, m);
      case "syncGroup":
        return this.#sync(client, m);
      case "groupHeartbeat":
        return this.#heartbeat(client, m);
      case "leaveGroup":
        return this.#leave(client, m);
      case "offsetCommit":
        return this.#commit(client, m);
      case "offsetFetch":
        return this.#fetch(client, m);
    }
  }

  /** Removes members silent past the session timeout and ends rebalances past their deadline. */
  tick(): void {
    if (!this.ready()) return;
    const now = this.#host.nowUs();
    for (const group of this.#groups.values()) {
      for (const member of [...group.members.values()]) {
        // A member waiting for a join or sync answer is not expected to heartbeat.
        if (member.join !== undefined || member.sync !== undefined) continue;
        if (now - member.lastHeartbeatUs > this.#options.sessionTimeoutUs) {
          this.#remove(group, member.memberId, member.lastHeartbeatUs);
          this.#rebalance(group);
        }
      }
      if (group.state === "preparingRebalance" && now > group.rebalanceDeadlineUs) {
        for (const member of [...group.members.values()]) {
          if (member.join === undefined) this.#remove(group, member.memberId, now);
        }
        this.#completeJoin(group);
      }
    }
  }

  committed(group: string, partition: number): number | undefined {
    return this.#offsets.get(offsetKey(group, partition))?.value.offset;
  }

  group(id: string) {
    const g = this.#groups.get(id);
    return g === undefined ? undefined : { state: g.state, generation: g.generation, members: [...g.members.keys()] };
  }

  ownerOf(group: string, partition: number): string | undefined {
    return this.#groups.get(group)?.owners.get(partition)?.memberId;
  }

  #remember(key: string, value: OffsetCommitValue, logOffset: number): void {
    this.#offsets.set(key, { value, logOffset });
    const last = this.#lastCommit.get(value.memberId);
    if (value.memberId !== "" && (last === undefined || value.commitSeq >= last.commitSeq)) {
      this.#lastCommit.set(value.memberId, { commitSeq: value.commitSeq, logOffset });
    }
  }

  #groupFor(id: string, protocol: RebalanceProtocol): Group {
    let group = this.#groups.get(id);
    if (group === undefined) {
      assert(this.#groups.size < groupsMax, `a coordinator serves at most ${groupsMax} groups`);
      group = {
        id,
        protocol,
        state: "empty",
        generation: this.#options.leaderEpoch * 1_000_000,
        leader: undefined,
        members: new Map(),
        rebalanceDeadlineUs: 0,
        owners: new Map(),
        unownedSinceUs: new Map(),
      };
      this.#groups.set(id, group);
    }
    return group;
  }

  #join(client: number, m: Extract<GroupRequest, { type: "joinGroup" }>): void {
    const group = this.#groupFor(m.group, m.protocol);
    const now = this.#host.nowUs();
    let member = group.members.get(m.memberId);
    if (member === undefined) {
      assert(group.members.size < membersMax, `group ${m.group} has ${membersMax} members`);
      member = {
        memberId: m.memberId,
        owned: [],
        lastHeartbeatUs: now,
        join: undefined,
        sync: undefined,
        assignment: [],
      };
      group.members.set(m.memberId, member);
    }
    member.owned = [...m.owned];
    member.join = { client, requestId: m.requestId };
    member.lastHeartbeatUs = now;
    // Joining says what the member still owns: the rest it has revoked (eager: everything).
    for (const [p, owner] of [...group.owners]) {
      if (owner.memberId === m.memberId && !m.owned.includes(p)) this.#disown(group, p, now);
    }
    this.#rebalance(group);
    this.#maybeCompleteJoin(group);
  }

  /** Starts a rebalance unless one is preparing; a group completing one starts over. */
  #rebalance(group: Group): void {
    if (group.members.size === 0) {
      group.state = "empty";
      return;
    }
    if (group.state === "preparingRebalance") return;
    for (const member of group.members.values()) {
      if (member.sync !== undefined) {
        this.#answer(member.sync, { type: "syncGroupResponse", error: "rebalanceInProgress" });
      }
      member.sync = undefined;
    }
    group.state = "preparingRebalance";
    group.rebalanceDeadlineUs = this.#host.nowUs() + this.#options.rebalanceTimeoutUs;
  }

  #maybeCompleteJoin(group: Group): void {
    if (group.state !== "preparingRebalance") return;
    if ([...group.members.values()].every((m) => m.join !== undefined)) this.#completeJoin(group);
  }

  #completeJoin(group: Group): void {
    if (group.members.size === 0) {
      group.state = "empty";
      return;
    }
    const now = this.#host.nowUs();
    group.generation++;
    this.#host.record("group_rebalances", 1);
    const ids = [...group.members.keys()].sort();
    if (group.leader === undefined || !group.members.has(group.leader)) group.leader = ids[0];
    if (group.protocol === "eager") { for (const p of [...group.owners.keys()]) this.#disown(group, p, now); }
    group.state = "completingRebalance";
    const members = ids.map((id) => ({ memberId: id, owned: [...group.members.get(id)!.owned] }));
    for (const member of group.members.values()) {
      member.assignment = undefined;
      member.lastHeartbeatUs = now;
      const waiting = member.join!;
      member.join = undefined;
      this.#answer(waiting, {
        type: "joinGroupResponse",
        generation: group.generation,
        leader: group.leader,
        ...(member.memberId === group.leader ? { members } : {}),
      });
    }
  }

  #sync(client: number, m: Extract<GroupRequest, { type: "syncGroup" }>): void {
    const group = this.#groups.get(m.group);
    const member = group?.members.get(m.memberId);
    const waiting = { client, requestId: m.requestId };
    if (group === undefined || member === undefined) {
      return this.#answer(waiting, { type: "syncGroupResponse", error: "unknownMember" });
    }
    if (m.generation !== group.generation) {
      return this.#answer(waiting, { type: "syncGroupResponse", error: "illegalGeneration" });
    }
    if (group.state === "preparingRebalance") {
      return this.#answer(waiting, { type: "syncGroupResponse", error: "rebalanceInProgress" });
    }
    member.lastHeartbeatUs = this.#host.nowUs();
    member.sync = waiting;
    if (group.state === "completingRebalance" && m.assignment !== undefined && m.memberId === group.leader) {
      this.#install(group, new Map(m.assignment));
    }
    if (group.state === "stable" && member.sync !== undefined) this.#answerSync(group, member);
  }

  /** The leader's assignment: partitions withheld from their owners lose them now. */
  #install(group: Group, assignment: Map<string, number[]>): void {
    const now = this.#host.nowUs();
    for (const member of group.members.values()) member.assignment = [...(assignment.get(member.memberId) ?? [])];
    for (const [p, owner] of [...group.owners]) {
      if (!(group.members.get(owner.memberId)?.assignment ?? []).includes(p)) this.#disown(group, p, now);
    }
    group.state = "stable";
    for (const member of group.members.values()) if (member.sync !== undefined) this.#answerSync(group, member);
  }

  #answerSync(group: Group, member: Member): void {
    const now = this.#host.nowUs();
    const partitions = member.assignment ?? [];
    for (const p of partitions) {
      if (group.owners.get(p)?.memberId !== member.memberId) {
        group.owners.set(p, { memberId: member.memberId, sinceGeneration: group.generation });
      }
      const since = group.unownedSinceUs.get(p);
      if (since !== undefined) {
        this.#host.record("group_partition_unowned_us", now - since);
        group.unownedSinceUs.delete(p);
      }
    }
    const waiting = member.sync!;
    member.sync = undefined;
    this.#answer(waiting, { type: "syncGroupResponse", partitions: [...partitions] });
  }

  #disown(group: Group, partition: number, sinceUs: number): void {
    if (!group.owners.delete(partition)) return;
    if (!group.unownedSinceUs.has(partition)) group.unownedSinceUs.set(partition, sinceUs);
  }

  #remove(group: Group, memberId: string, sinceUs: number): void {
    group.members.delete(memberId);
    for (const [p, owner] of [...group.owners]) if (owner.memberId === memberId) this.#disown(group, p, sinceUs);
    if (group.leader === memberId) group.leader = undefined;
  }

  #heartbeat(client: number, m: Extract<GroupRequest, { type: "groupHeartbeat" }>): void {
    const group = this.#groups.get(m.group);
    const member = group?.members.get(m.memberId);
    const answer = (error?: GroupError) =>
      this.#answer({ client, requestId: m.requestId }, { type: "groupHeartbeatResponse", ...(error ? { error } : {}) });
    if (group === undefined || member === undefined) return answer("unknownMember");
    member.lastHeartbeatUs = this.#host.nowUs();
    if (group.state === "preparingRebalance") return answer("rebalanceInProgress");
    if (m.generation !== group.generation) return answer("illegalGeneration");
    answer();
  }

  #leave(client: number, m: Extract<GroupRequest, { type: "leaveGroup" }>): void {
    const group = this.#groups.get(m.group);
    if (group?.members.has(m.memberId)) {
      this.#remove(group, m.memberId, this.#host.nowUs());
      this.#rebalance(group);
      this.#maybeCompleteJoin(group);
    }
    this.#answer({ client, requestId: m.requestId }, { type: "leaveGroupResponse" });
  }

  /** Why `m` may not commit, or undefined when it may. */
  #fence(m: Extract<GroupRequest, { type: "offsetCommit" }>): GroupError | undefined {
    const group = this.#groups.get(m.group);
    // A consumer outside any group (manual assignment) commits only while the group has no members.
    if (m.generation === noGeneration) return (group?.members.size ?? 0) === 0 ? undefined : "unknownMember";
    if (group === undefined || !group.members.has(m.memberId)) return "unknownMember";
    const owner = group.owners.get(m.partition);
    if (m.generation > group.generation) return "illegalGeneration";
    if (owner === undefined || owner.memberId !== m.memberId) return "notOwner";
    if (m.generation < owner.sinceGeneration) return "illegalGeneration";
    return undefined;
  }

  #commit(client: number, m: Extract<GroupRequest, { type: "offsetCommit" }>): void {
    assert(
      Number.isInteger(m.partition) && m.partition >= 0 && m.partition < this.#options.dataPartitions,
      `a commit for partition ${m.partition}, not of the topic`,
    );
    const waiting = { client, requestId: m.requestId };
    const reply = (error?: GroupError) =>
      this.#answer(waiting, { type: "offsetCommitResponse", ...(error ? { error } : {}) });
    const last = m.memberId === "" ? undefined : this.#lastCommit.get(m.memberId);
    // A retry of a commit that landed (its first attempt's answer was lost): success, not a fence.
    if (last !== undefined && m.commitSeq <= last.commitSeq) return this.#host.whenReplicated(last.logOffset, reply);
    const refused = this.#fence(m);
    if (refused !== undefined) return reply(refused);
    const key = offsetKey(m.group, m.partition);
    // Commits never move a group back: a delayed older commit must not rewind it.
    const offset = Math.max(m.offset, this.#offsets.get(key)?.value.offset ?? 0);
    const value: OffsetCommitValue = { offset, memberId: m.memberId, commitSeq: m.commitSeq };
    const logOffset = this.#host.append(key, JSON.stringify(value));
    this.#remember(key, value, logOffset);
    this.#host.whenReplicated(logOffset, reply);
  }

  #fetch(client: number, m: Extract<GroupRequest, { type: "offsetFetch" }>): void {
    const cached = this.#offsets.get(offsetKey(m.group, m.partition));
    const waiting = { client, requestId: m.requestId };
    // A commit not yet below the watermark may still be lost with this leader: not an answer yet.
    if (cached !== undefined && cached.logOffset >= this.#host.highWatermark()) {
      return this.#answer(waiting, { type: "offsetFetchResponse", error: "unstableOffset" });
    }
    this.#answer(waiting, { type: "offsetFetchResponse", offset: cached?.value.offset ?? 0 });
  }

  #answer(to: Waiting, message: DistributiveOmit<GroupResponse, "requestId">): void {
    this.#host.send(to.client, { ...message, requestId: to.requestId } as GroupResponse);
  }
}

/** The key of the record a new coordinator appends before it serves. */
const loadMarkerKey = "__coordinator_load";

function isOffsetRecord(record: LogRecord): boolean {
  return record.key !== undefined && !record.tombstone && record.key !== loadMarkerKey;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
