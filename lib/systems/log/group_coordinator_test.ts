// The group coordinator scripted on a host whose offsets partition replicates when the test says:
// members join and sync, crash, leave and commit, and a second coordinator takes over from the
// first one's records.
import assert from "node:assert/strict";
import { cooperativeAssign, rangeAssign } from "./assignor.ts";
import { GroupCoordinator, type GroupCoordinatorHost } from "./group_coordinator.ts";
import type { GroupRequest, GroupResponse, RebalanceProtocol } from "./group_types.ts";
import type { LogRecord } from "./types.ts";

const sessionTimeoutUs = 100_000;

/** A partition log in memory: appends are replicated (below the watermark) only on `replicate()`. */
class FakePartition {
  nowUs = 0;
  records: LogRecord[] = [];
  endOffset = 0;
  highWatermark = 0;
  answers: GroupResponse[] = [];
  waiting: { offset: number; then: (error?: "notCoordinator") => void }[] = [];
  metrics: { name: string; value: number }[] = [];

  host(leaderEpoch: number): GroupCoordinatorHost {
    return {
      nowUs: () => this.nowUs,
      send: (_to, m) => void this.answers.push(m),
      append: (key, value) => {
        const offset = this.endOffset++;
        this.records.push({
          offset,
          timestampUs: this.nowUs,
          leaderEpoch,
          producerId: -1,
          producerEpoch: 0,
          sequence: 0,
          key,
          value,
        });
        return offset;
      },
      whenReplicated: (offset, then) => offset < this.highWatermark ? then() : void this.waiting.push({ offset, then }),
      highWatermark: () => this.highWatermark,
      record: (name, value) => void this.metrics.push({ name, value }),
    };
  }

  replicate(): void {
    this.highWatermark = this.endOffset;
    const due = this.waiting.filter((w) => w.offset < this.highWatermark);
    this.waiting = this.waiting.filter((w) => w.offset >= this.highWatermark);
    due.forEach((w) => w.then());
  }

  /** The answer to request `id`. */
  answer(id: number): GroupResponse | undefined {
    return this.answers.find((a) => a.requestId === id);
  }
}

let nextRequestId = 0;

type WithoutRequestId<T> = T extends unknown ? Omit<T, "requestId"> : never;

function coordinatorOn(partition: FakePartition, leaderEpoch = 1): GroupCoordinator {
  const coordinator = new GroupCoordinator(partition.host(leaderEpoch), {
    leaderEpoch,
    records: [...partition.records],
    dataPartitions: 4,
    sessionTimeoutUs,
    rebalanceTimeoutUs: sessionTimeoutUs,
  });
  partition.replicate(); // the load marker
  assert.ok(coordinator.ready());
  return coordinator;
}

/** Sends `m` (with a fresh request id) and returns the id. */
function send(coordinator: GroupCoordinator, m: WithoutRequestId<GroupRequest>): number {
  const requestId = ++nextRequestId;
  coordinator.handle(0, { ...m, requestId } as GroupRequest);
  return requestId;
}

/**
 * A full rebalance: every member in `owned` joins (with what it owns), the leader assigns, and
 * every member syncs. Returns the generation and each member's new partitions.
 */
function rebalance(
  partition: FakePartition,
  coordinator: GroupCoordinator,
  protocol: RebalanceProtocol,
  owned: Record<string, number[]>,
): { generation: number; assignment: Record<string, number[]> } {
  const join = (memberId: string) =>
    send(coordinator, { type: "joinGroup", group: "g", memberId, protocol, owned: owned[memberId] });
  const joins = new Map(Object.keys(owned).map((memberId) => [memberId, join(memberId)]));
  // A round completes as soon as every member it knows has joined: members answered in a round
  // that closed before the others arrived join again, as they would on their next heartbeat.
  for (let round = 0; round < 3; round++) {
    const answers = [...joins.values()].map((id) => partition.answer(id) as { generation?: number } | undefined);
    const generations = new Set(answers.map((a) => a?.generation));
    if (answers.every((a) => a !== undefined) && generations.size === 1) break;
    const early = [...joins].filter(([, id]) => partition.answer(id) !== undefined).map(([memberId]) => memberId);
    for (const memberId of early) joins.set(memberId, join(memberId));
  }
  const answers = [...joins].map(([memberId, id]) => [memberId, partition.answer(id)] as const);
  const leader = answers.find(([, a]) => a?.type === "joinGroupResponse" && a.members !== undefined);
  assert.ok(leader !== undefined, "the join round completed and a leader heard of every member");
  const joined = leader[1] as Extract<GroupResponse, { type: "joinGroupResponse" }>;
  const plan = protocol === "eager"
    ? rangeAssign(joined.members!.map((m) => m.memberId), 4)
    : cooperativeAssign(joined.members!, 4);
  const assignment: Record<string, number[]> = {};
  // The leader syncs last: the others wait for its assignment.
  const members = [...joins.keys()];
  const syncs = [...members.filter((id) => id !== leader[0]), leader[0]].map((
    [memberId],
  ) =>
    [
      memberId,
      send(coordinator, {
        type: "syncGroup",
        group: "g",
        memberId,
        generation: joined.generation!,
        ...(memberId === leader[0] ? { assignment: [...plan] } : {}),
      }),
    ] as const
  );
  for (const [memberId, id] of syncs) {
    const synced = partition.answer(id);
    assert.ok(
      synced?.type === "syncGroupResponse" && synced.error === undefined,
      `${memberId} synced: ${JSON.stringify(synced)}`,
    );
    assignment[memberId] = synced.partitions!;
  }
  return { generation: joined.generation!, assignment };
}

function commit(
  coordinator: GroupCoordinator,
  m: { memberId: string; generation: number; partition: number; offset: number; commitSeq: number },
): number {
  return send(coordinator, { type: "offsetCommit", group: "g", ...m });
}

Deno.test("a crashed member's partitions move to the others once its session times out, not before", () => {
  const partition = new FakePartition();
  const coordinator = coordinatorOn(partition);
  const first = rebalance(partition, coordinator, "eager", { a: [], b: [] });
  assert.deepEqual(first.assignment, { a: [0, 1], b: [2, 3] });
  // b crashes: it stops heartbeating. a keeps heartbeating every 10 ms.
  for (let t = 10_000; t <= 100_000; t += 10_000) {
    partition.nowUs = t;
    send(coordinator, { type: "groupHeartbeat", group: "g", memberId: "a", generation: first.generation });
    coordinator.tick();
  }
  assert.equal(coordinator.ownerOf("g", 2), "b", "within the session timeout b still owns its partitions");
  partition.nowUs = 110_000;
  coordinator.tick();
  assert.equal(coordinator.ownerOf("g", 2), undefined, "past it, b is removed and its partitions have no owner");
  const beat = send(coordinator, { type: "groupHeartbeat", group: "g", memberId: "a", generation: first.generation });
  assert.equal(partition.answer(beat)?.error, "rebalanceInProgress");
  const second = rebalance(partition, coordinator, "eager", { a: [] });
  assert.deepEqual(second.assignment, { a: [0, 1, 2, 3] });
  assert.ok(second.generation > first.generation);
  // The pause is measured from b's last heartbeat (its crash) to a's new assignment.
  const unowned = partition.metrics.filter((m) => m.name === "group_partition_unowned_us").map((m) => m.value);
  assert.ok(unowned.some((us) => us >= 110_000), `unowned for ${unowned}`);
});

Deno.test("cooperative rebalancing keeps the partitions that do not move owned throughout", () => {
  const partition = new FakePartition();
  const coordinator = coordinatorOn(partition);
  const first = rebalance(partition, coordinator, "cooperative", { a: [] });
  assert.deepEqual(first.assignment, { a: [0, 1, 2, 3] });
  // b joins; a rejoins owning everything. The first round moves nothing yet: 2 and 3 are withheld.
  const second = rebalance(partition, coordinator, "cooperative", { a: [0, 1, 2, 3], b: [] });
  assert.deepEqual(second.assignment, { a: [0, 1], b: [] });
  assert.equal(coordinator.ownerOf("g", 0), "a");
  assert.equal(coordinator.ownerOf("g", 2), undefined, "a moving partition has no owner between the rounds");
  // a revoked 2 and 3 and rejoins: the second round hands them to b.
  const third = rebalance(partition, coordinator, "cooperative", { a: [0, 1], b: [] });
  assert.deepEqual(third.assignment, { a: [0, 1], b: [2, 3] });
  // a committed on partition 0 with its first generation all along: still accepted.
  const id = commit(coordinator, {
    memberId: "a",
    generation: first.generation,
    partition: 0,
    offset: 5,
    commitSeq: 1,
  });
  partition.replicate();
  assert.deepEqual(partition.answer(id), { type: "offsetCommitResponse", requestId: id });
});

Deno.test("eager rebalancing leaves every partition unowned from the rejoin to the new assignment", () => {
  const partition = new FakePartition();
  const coordinator = coordinatorOn(partition);
  rebalance(partition, coordinator, "eager", { a: [] });
  send(coordinator, { type: "joinGroup", group: "g", memberId: "a", protocol: "eager", owned: [] });
  for (const p of [0, 1, 2, 3]) assert.equal(coordinator.ownerOf("g", p), undefined);
});

Deno.test("a zombie's commit (an older generation, or a removed member) is refused and changes nothing", () => {
  const partition = new FakePartition();
  const coordinator = coordinatorOn(partition);
  const first = rebalance(partition, coordinator, "eager", { a: [], b: [] });
  const ok = commit(coordinator, {
    memberId: "b",
    generation: first.generation,
    partition: 2,
    offset: 10,
    commitSeq: 1,
  });
  partition.replicate();
  assert.equal(partition.answer(ok)?.error, undefined);
  // A rebalance gives partition 2 to a; b, paused through it, commits with its old generation.
  const second = rebalance(partition, coordinator, "eager", { a: [], b: [] });
  assert.ok(second.assignment.a.includes(2) || second.assignment.b.includes(2));
  const owner = coordinator.ownerOf("g", 2)!;
  const zombie = commit(coordinator, {
    memberId: owner,
    generation: first.generation,
    partition: 2,
    offset: 20,
    commitSeq: 2,
  });
  assert.equal(partition.answer(zombie)?.error, "illegalGeneration");
  const notOwner = commit(coordinator, {
    memberId: owner === "a" ? "b" : "a",
    generation: second.generation,
    partition: 2,
    offset: 20,
    commitSeq: 3,
  });
  assert.equal(partition.answer(notOwner)?.error, "notOwner");
  const stranger = commit(coordinator, {
    memberId: "c",
    generation: second.generation,
    partition: 2,
    offset: 20,
    commitSeq: 1,
  });
  assert.equal(partition.answer(stranger)?.error, "unknownMember");
  assert.equal(coordinator.committed("g", 2), 10);
});

Deno.test("a retried commit whose first attempt landed is accepted even after the rebalance that fenced its member", () => {
  const partition = new FakePartition();
  const coordinator = coordinatorOn(partition);
  const first = rebalance(partition, coordinator, "eager", { a: [] });
  // The first attempt is appended, but its answer is lost.
  commit(coordinator, { memberId: "a", generation: first.generation, partition: 1, offset: 7, commitSeq: 1 });
  partition.replicate();
  rebalance(partition, coordinator, "eager", { a: [], b: [] });
  const retry = commit(coordinator, {
    memberId: "a",
    generation: first.generation,
    partition: 1,
    offset: 7,
    commitSeq: 1,
  });
  assert.equal(partition.answer(retry)?.error, undefined, "its retry is recognised, not fenced");
  assert.equal(partition.records.filter((r) => r.key === "g/topic/1").length, 1, "and not appended twice");
});

Deno.test("a new coordinator rebuilds the offsets from the compacted partition and answers only once its load is replicated", () => {
  const partition = new FakePartition();
  const old = coordinatorOn(partition);
  const generation = rebalance(partition, old, "eager", { a: [] }).generation;
  for (const [seq, [p, offset]] of [[0, 3], [0, 9], [3, 4]].entries()) {
    commit(old, { memberId: "a", generation, partition: p, offset, commitSeq: seq + 1 });
  }
  partition.replicate();
  // The cleaner keeps the last record of each key.
  const last = new Map(partition.records.map((r) => [r.key, r]));
  partition.records = partition.records.filter((r) => last.get(r.key) === r);
  // The broker fails over: the new leader's coordinator reads the partition in a later epoch.
  const next = new GroupCoordinator(partition.host(2), {
    leaderEpoch: 2,
    records: [...partition.records],
    dataPartitions: 4,
    sessionTimeoutUs,
    rebalanceTimeoutUs: sessionTimeoutUs,
  });
  const early = send(next, { type: "offsetFetch", group: "g", partition: 0 });
  assert.equal(partition.answer(early)?.error, "coordinatorLoading");
  partition.replicate();
  const fetched = send(next, { type: "offsetFetch", group: "g", partition: 0 });
  assert.equal((partition.answer(fetched) as { offset?: number }).offset, 9);
  assert.equal(next.committed("g", 3), 4);
  // Membership is not persisted: the old generation's member is unknown and must rejoin, in a
  // generation numbered above every one of the old coordinator.
  const beat = send(next, { type: "groupHeartbeat", group: "g", memberId: "a", generation });
  assert.equal(partition.answer(beat)?.error, "unknownMember");
  assert.ok(rebalance(partition, next, "eager", { a: [] }).generation > generation);
});
