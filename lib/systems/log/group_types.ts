/**
 * The consumer group protocol's messages: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit
 * and OffsetFetch, sent by clients to the group's coordinator (the leader of the
 * `__consumer_offsets` partition the group id hashes to), and their answers.
 *
 * @example
 * ```ts
 * import { offsetsPartitionFor } from "./group_types.ts";
 * offsetsPartitionFor("g", { dataPartitions: 3, offsetsPartitions: 1 }); // 3
 * ```
 * @module
 */

/** How a group rebalances: eager (every member revokes all, then rejoins) or cooperative (KIP-429). */
export type RebalanceProtocol = "eager" | "cooperative";

/** Errors of the group protocol. */
export type GroupError =
  /** This broker does not lead the group's offsets partition: find the coordinator again. */
  | "notCoordinator"
  /** The group is rebalancing: rejoin. */
  | "rebalanceInProgress"
  /** The member is not (or no longer) in the group: rejoin. */
  | "unknownMember"
  /** The generation is not the group's: the member is a zombie of an older one. */
  | "illegalGeneration"
  /** The commit names a partition the member does not own in its generation. */
  | "notOwner"
  /** The group's offset for the partition has a commit not yet replicated: ask again. */
  | "unstableOffset"
  /** The coordinator is loading the group's offsets: ask again. */
  | "coordinatorLoading"
  /** Too few in-sync replicas hold the commit: retry it. */
  | "notEnoughReplicas";

/** The generation a consumer without a group (manual assignment) commits with. */
export const noGeneration = -1;

/** Messages a broker handles as a group coordinator. */
export type GroupRequest =
  | {
    type: "joinGroup";
    requestId: number;
    group: string;
    memberId: string;
    protocol: RebalanceProtocol;
    /** What the member owns as it joins (always empty under eager rebalancing). */
    owned: number[];
  }
  | {
    type: "syncGroup";
    requestId: number;
    group: string;
    memberId: string;
    generation: number;
    /** The leader's assignment, member id to partitions; absent from the other members. */
    assignment?: [string, number[]][];
  }
  | { type: "groupHeartbeat"; requestId: number; group: string; memberId: string; generation: number }
  | { type: "leaveGroup"; requestId: number; group: string; memberId: string }
  | {
    type: "offsetCommit";
    requestId: number;
    group: string;
    /** Empty with {@linkcode noGeneration}: a consumer outside any group. */
    memberId: string;
    generation: number;
    partition: number;
    offset: number;
    /** The member's commit number: a retry of a commit that already landed is recognised by it. */
    commitSeq: number;
  }
  | { type: "offsetFetch"; requestId: number; group: string; partition: number };

/** Answers of the coordinator. */
export type GroupResponse =
  | {
    type: "joinGroupResponse";
    requestId: number;
    error?: GroupError;
    generation?: number;
    leader?: string;
    /** Only to the leader: every member and what it owns. */
    members?: { memberId: string; owned: number[] }[];
  }
  | { type: "syncGroupResponse"; requestId: number; error?: GroupError; partitions?: number[] }
  | { type: "groupHeartbeatResponse"; requestId: number; error?: GroupError }
  | { type: "leaveGroupResponse"; requestId: number; error?: GroupError }
  | { type: "offsetCommitResponse"; requestId: number; error?: GroupError }
  | { type: "offsetFetchResponse"; requestId: number; error?: GroupError; offset?: number };

/** Every message of the group protocol. */
export type GroupMessage = GroupRequest | GroupResponse;

const requestTypes = new Set(["joinGroup", "syncGroup", "groupHeartbeat", "leaveGroup", "offsetCommit", "offsetFetch"]);
const responseTypes = new Set([...requestTypes].map((t) => `${t}Response`));

/** Whether `m` is a request a group coordinator handles. */
export function isGroupRequest(m: { type: string }): m is GroupRequest {
  return requestTypes.has(m.type);
}

/** Whether `m` is a coordinator's answer. */
export function isGroupResponse(m: { type: string }): m is GroupResponse {
  return responseTypes.has(m.type);
}

/** Where the internal topic's partitions sit: after the data topic's, in one partition numbering. */
export interface OffsetsTopicLayout {
  dataPartitions: number;
  offsetsPartitions: number;
}

/** The `__consumer_offsets` partition that holds `group` (Kafka: the hash of the id modulo the count). */
export function offsetsPartitionFor(group: string, layout: OffsetsTopicLayout): number {
  let hash = 0;
  for (let i = 0; i < group.length; i++) hash = (hash * 31 + group.charCodeAt(i)) >>> 0;
  return layout.dataPartitions + hash % layout.offsetsPartitions;
}

/** The compaction key of a committed offset: group, topic and partition. */
export function offsetKey(group: string, partition: number): string {
  return `${group}/topic/${partition}`;
}

/** The value of an offset commit record. */
export interface OffsetCommitValue {
  offset: number;
  memberId: string;
  commitSeq: number;
}
