// Transactions on a cluster of three brokers, scripted request by request (KIP-98): a fenced
// producer's writes are refused, an aborted transaction is invisible to read_committed readers and
// visible to read_uncommitted ones, the last stable offset stops at an open transaction, a new
// coordinator finishes a commit its predecessor prepared, and a transaction that outlives its
// timeout is aborted with its producer fenced. The failover scenario also guards a leader fix: a
// follower that went silent exactly at the watermark (broker 2, cut off then crashed) was proposed
// back into the ISR and, while the proposal stood, counted, which held the watermark forever.
import assert from "node:assert/strict";
import { type NodeApi, Simulation } from "../../sim/mod.ts";
import { broker, type BrokerView } from "./broker.ts";
import { logBugsFor } from "./bugs.ts";
import { controller } from "./controller.ts";
import type { Isolation, LogMessage } from "./types.ts";

/** Topic partitions 0 and 1 led by broker 0; the state partition 2 led by broker 2, copied by broker 1. */
const assignment = [[0, 1, 2], [0, 2, 1], [2, 1]];
const statePartition = 2;
const transactionalId = "t";

function cluster(bug: "none" | "noZombieFencing" = "none") {
  const sim = new Simulation({ seed: 1 });
  const brokers: BrokerView[] = [];
  for (let i = 0; i < 3; i++) {
    sim.addNode<LogMessage>({
      name: `broker${i}`,
      create: (api) =>
        brokers[i] = broker(api, {
          controller: 3,
          assignment,
          fsyncPolicy: "always",
          fsyncIntervalUs: 5_000,
          segmentBytesMax: 16_384,
          segmentAgeUsMax: 1_000_000,
          indexIntervalBytes: 1_024,
          heartbeatIntervalUs: 10_000,
          fetchIntervalUs: 2_000,
          requestTimeoutUs: 30_000,
          lagTimeMaxUs: 100_000,
          minInsyncReplicas: 1,
          highWatermarkCheckpointIntervalUs: 100_000,
          transactionStatePartitions: 1,
          bugs: logBugsFor(bug),
        }),
    });
  }
  sim.addNode<LogMessage>({
    name: "controller",
    create: (api) =>
      controller(api, { brokers: [0, 1, 2], assignment, sessionTimeoutUs: 60_000, uncleanLeaderElection: false }),
  });
  let driver: NodeApi<LogMessage> | undefined;
  const replies = new Map<number, LogMessage>();
  sim.addNode<LogMessage>({
    name: "driver",
    create: (api) => {
      driver = api;
      return { onMessage: (_from, m) => void ("requestId" in m && replies.set(m.requestId, m)) };
    },
  });
  sim.run({ untilUs: 100_000 });
  let requestId = 0;
  /** Sends `build(id)` to `to` and returns its reply, after `waitUs` at most. */
  function call(to: number, build: (requestId: number) => LogMessage, waitUs = 50_000): LogMessage | undefined {
    const id = ++requestId;
    driver!.send(to, build(id));
    sim.run({ untilUs: sim.nowUs + waitUs });
    return replies.get(id);
  }
  const producer = { producerId: -1, producerEpoch: -1 };
  return {
    sim,
    brokers,
    call,
    producer,
    /** InitProducerId, retried while the coordinator finishes an old transaction. */
    init(transactionTimeoutUs = 10_000_000) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const reply = call(statePartitionLeader(), (id) => ({
          type: "initProducerId",
          requestId: id,
          transactionalId,
          transactionTimeoutUs,
        }));
        if (reply?.type === "txnResponse" && reply.error === undefined) {
          producer.producerId = reply.producerId!;
          producer.producerEpoch = reply.producerEpoch!;
          return { ...producer };
        }
      }
      throw new Error("initProducerId never succeeded");
    },
    add(partitions: number[], as = { ...producer }) {
      return call(statePartitionLeader(), (id) => ({
        type: "addPartitionsToTxn",
        requestId: id,
        transactionalId,
        ...as,
        partitions,
      }));
    },
    produce(partition: number, value: string, sequence: number, as = { ...producer }) {
      return call(0, (id) => ({
        type: "produce",
        requestId: id,
        partition,
        acks: "all",
        ...as,
        sequence,
        value,
        transactional: true,
      }));
    },
    end(commit: boolean, as = { ...producer }) {
      return call(statePartitionLeader(), (id) => ({ type: "endTxn", requestId: id, transactionalId, ...as, commit }));
    },
    /** The values a reader at offset 0 of `partition` gets, and whether an open transaction holds it back. */
    read(partition: number, isolation: Isolation) {
      const reply = call(
        0,
        (id) => ({ type: "consume", requestId: id, partition, offset: 0, recordsMax: 64, isolation }),
      );
      assert.ok(reply?.type === "consumeResponse" && reply.records !== undefined, JSON.stringify(reply));
      return { values: reply.records.map((r) => r.value), unstable: reply.unstable === true };
    },
  };

  function statePartitionLeader(): number {
    return brokers.findIndex((b, i) =>
      assignment[statePartition].includes(i) && b.replica(statePartition).role === "leader"
    );
  }
}

Deno.test("transactions: a producer fenced by a new instance of its transactional id has its writes and its commit refused", () => {
  const c = cluster();
  const zombie = c.init();
  assert.equal(c.add([0])?.type, "txnResponse");
  assert.deepEqual(c.produce(0, "a", 0), { type: "produceResponse", requestId: 3, offset: 0 });
  const successor = c.init();
  assert.ok(successor.producerEpoch > zombie.producerEpoch, JSON.stringify({ zombie, successor }));
  // The abort marker of the old transaction told partition 0 the new epoch.
  assert.equal((c.produce(0, "b", 1, zombie) as { error?: string }).error, "fenced");
  assert.equal((c.add([1], zombie) as { error?: string }).error, "fenced");
  assert.equal((c.end(true, zombie) as { error?: string }).error, "fenced");
  assert.deepEqual(c.read(0, "read_committed").values, []);
});

Deno.test("transactions: planted bug noZombieFencing lets the fenced producer write to the partition again", () => {
  const c = cluster("noZombieFencing");
  const zombie = c.init();
  c.add([0]);
  c.produce(0, "a", 0);
  c.init();
  assert.equal((c.produce(0, "b", 1, zombie) as { error?: string }).error, undefined);
});

Deno.test("transactions: an aborted transaction's records are invisible to read_committed and visible to read_uncommitted", () => {
  const c = cluster();
  c.init();
  c.add([0]);
  c.produce(0, "aborted", 0);
  assert.equal((c.end(false) as { error?: string }).error, undefined);
  c.add([0]);
  c.produce(0, "committed", 1);
  c.end(true);
  c.sim.run({ untilUs: c.sim.nowUs + 100_000 });
  assert.deepEqual(c.read(0, "read_committed"), { values: ["committed"], unstable: false });
  assert.deepEqual(c.read(0, "read_uncommitted").values, ["aborted", "committed"]);
});

Deno.test("transactions: the last stable offset stops at an open transaction, and moves past it at the commit", () => {
  const c = cluster();
  c.init();
  c.add([0]);
  c.produce(0, "x", 0);
  c.end(true);
  c.add([0]);
  c.produce(0, "y", 1);
  // Another producer's plain record after the open transaction waits behind it too.
  c.call(0, (id) => ({
    type: "produce",
    requestId: id,
    partition: 0,
    acks: "all",
    producerId: 5,
    producerEpoch: 0,
    sequence: 0,
    value: "z",
  }));
  assert.deepEqual(c.read(0, "read_committed"), { values: ["x"], unstable: true });
  assert.deepEqual(c.read(0, "read_uncommitted").values, ["x", "y", "z"]);
  c.end(true);
  c.sim.run({ untilUs: c.sim.nowUs + 100_000 });
  assert.deepEqual(c.read(0, "read_committed"), { values: ["x", "y", "z"], unstable: false });
});

Deno.test("transactions: a new coordinator finishes a commit its crashed predecessor prepared but could not mark", () => {
  const c = cluster();
  c.init();
  c.add([0, 1]);
  c.produce(0, "p0", 0);
  c.produce(1, "p1", 0);
  // Broker 2 (the coordinator) can no longer reach broker 0, which leads both topic partitions.
  c.sim.network.block(2, 0);
  assert.equal((c.end(true) as { error?: string }).error, undefined, "the commit decision is durable");
  assert.deepEqual(c.read(0, "read_committed").values, [], "no marker has reached partition 0");
  c.sim.crash(2);
  c.sim.run({ untilUs: c.sim.nowUs + 500_000 });
  assert.equal(c.brokers[1].replica(statePartition).role, "leader");
  assert.equal(c.brokers[1].transaction("t")?.state, "completeCommit");
  assert.deepEqual(c.read(0, "read_committed").values, ["p0"]);
  assert.deepEqual(c.read(1, "read_committed").values, ["p1"]);
});

Deno.test("transactions: a transaction open past its timeout is aborted and its producer fenced", () => {
  const c = cluster();
  const old = c.init(100_000);
  c.add([0]);
  c.produce(0, "slow", 0);
  c.sim.run({ untilUs: c.sim.nowUs + 300_000 });
  assert.deepEqual(c.read(0, "read_committed"), { values: [], unstable: false });
  assert.deepEqual(c.read(0, "read_uncommitted").values, ["slow"]);
  assert.equal((c.end(true, old) as { error?: string }).error, "fenced");
});
