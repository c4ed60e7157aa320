/**
 * The transactional producer (KIP-98) the log client uses when a transactional id is configured.
 *
 * It asks the coordinator of its transactional id (the leader of the id's `__transaction_state`
 * partition) for a producer id and epoch (`initProducerId`, which fences every older instance),
 * adds each partition to the open transaction before its first record there, sends records with
 * the idempotent producer's sequence numbers, and commits once the transaction is older than
 * `commitIntervalUs` (0: after every record). Because nothing commits a transaction but its
 * producer's `endTxn`, a transaction the producer abandons before committing definitely never
 * becomes visible to `read_committed` consumers: such a send ends as `fail`, and the producer
 * starts a new instance (whose `initProducerId` aborts the abandoned transaction).
 *
 * A producer restart is modelled as a pause: with probability `restartProbability` at the start
 * of a transaction, a new instance takes the transactional id over and does the work, then the
 * old instance (the zombie) wakes up and tries to do the same work under its old epoch. Fencing
 * must stop it; without fencing its records commit a second time.
 *
 * @example
 * ```ts
 * import { transactionalProducer } from "./transactional_producer.ts";
 * // const producer = transactionalProducer(tools, options); producer.send(partition, "a", done);
 * ```
 * @module
 */
import type { Outcome } from "../../sim/mod.ts";
import type { Acks, LogMessage, TransactionError, TransactionRequest } from "./types.ts";

/** A reply the producer waits for. */
type Reply = Extract<LogMessage, { type: "produceResponse" | "txnResponse" }>;

/** What the producer needs of the client it runs in. */
export interface ProducerTools {
  /** Sends a request built with a fresh id and waits for its reply or a timeout (one at a time). */
  request(to: number, build: (id: number) => LogMessage, onReply: (r: unknown) => void, onTimeout: () => void): void;
  after(delayUs: number, then: () => void): void;
  /** The leader of `partition`, learnt from the controller when unknown. */
  withLeader(partition: number, attempt: number, then: (leader: number) => void, gaveUp: () => void): void;
  forgetLeader(partition: number): void;
  /** The sequence a retry carries (the planted sequence bug is consulted there). */
  retrySequence(sequences: Map<number, number>, partition: number, first: number): number;
  random(): number;
  nowUs(): number;
  record(name: string, value: number): void;
}

/** How a transactional producer runs. */
export interface TransactionalProducerOptions {
  transactionalId: string;
  /** The `__transaction_state` partition of the id (its leader is the coordinator). */
  statePartition: number;
  /** A transaction commits after its first record that finds it at least this old; 0: every record. */
  commitIntervalUs: number;
  /** Chance a transaction starts with a producer restart that leaves a zombie. */
  restartProbability: number;
  transactionTimeoutUs: number;
  acks: Acks;
  attemptsMax: number;
  backoffUs: number;
}

/** One instance of the producer: the id and epoch the coordinator gave it, and its sequences. */
interface Instance {
  producerId: number;
  producerEpoch: number;
  nextSequence: Map<number, number>;
}

interface OpenTransaction {
  partitions: Set<number>;
  startUs: number;
  records: number;
  /** When each record's produce was acknowledged (reported once the transaction commits). */
  ackedUs: number[];
}

type Failed = (error: TransactionError | "produce") => void;

/** A transactional producer: `send` writes one record in the open transaction. */
export function transactionalProducer(tools: ProducerTools, options: TransactionalProducerOptions) {
  let instance: Instance | undefined;
  let open: OpenTransaction | undefined;

  /** A request to the coordinator, retried while it is moving or busy. */
  function coordinatorRequest(
    build: (id: number) => TransactionRequest,
    attempt: number,
    then: (reply: Extract<Reply, { type: "txnResponse" }>) => void,
    failed: Failed,
    gaveUp: () => void,
  ): void {
    if (attempt >= options.attemptsMax) return gaveUp();
    const retry = () =>
      tools.after(options.backoffUs, () => coordinatorRequest(build, attempt + 1, then, failed, gaveUp));
    tools.withLeader(options.statePartition, attempt, (coordinator) => {
      tools.request(coordinator, build, (r) => {
        const reply = r as Reply;
        if (reply.type !== "txnResponse") return retry();
        if (reply.error === undefined) return then(reply);
        if (reply.error === "notCoordinator") tools.forgetLeader(options.statePartition);
        if (reply.error === "notCoordinator" || reply.error === "concurrentTransactions") return retry();
        failed(reply.error);
      }, retry);
    }, gaveUp);
  }

  function init(then: (instance: Instance) => void, gaveUp: () => void): void {
    coordinatorRequest(
      (requestId) => ({
        type: "initProducerId",
        requestId,
        transactionalId: options.transactionalId,
        transactionTimeoutUs: options.transactionTimeoutUs,
      }),
      0,
      (r) => then({ producerId: r.producerId!, producerEpoch: r.producerEpoch!, nextSequence: new Map() }),
      gaveUp,
      gaveUp,
    );
  }

  function addPartition(
    self: Instance,
    txn: OpenTransaction,
    partition: number,
    then: () => void,
    failed: Failed,
    gaveUp: () => void,
  ): void {
    if (txn.partitions.has(partition)) return then();
    coordinatorRequest(
      (requestId) => ({
        type: "addPartitionsToTxn",
        requestId,
        transactionalId: options.transactionalId,
        producerId: self.producerId,
        producerEpoch: self.producerEpoch,
        partitions: [partition],
      }),
      0,
      () => {
        txn.partitions.add(partition);
        then();
      },
      failed,
      gaveUp,
    );
  }

  function produce(
    self: Instance,
    partition: number,
    value: string,
    then: (offset: number) => void,
    failed: Failed,
    gaveUp: () => void,
  ): void {
    const first = self.nextSequence.get(partition) ?? 0;
    self.nextSequence.set(partition, first + 1);
    const attempt = (n: number, sequence: number) => {
      if (n >= options.attemptsMax) return gaveUp();
      const retry = (forget: boolean) => {
        if (forget) tools.forgetLeader(partition);
        tools.after(
          options.backoffUs,
          () => attempt(n + 1, tools.retrySequence(self.nextSequence, partition, sequence)),
        );
      };
      tools.withLeader(partition, n, (leader) => {
        tools.request(leader, (requestId) => ({
          type: "produce",
          requestId,
          partition,
          acks: options.acks,
          producerId: self.producerId,
          producerEpoch: self.producerEpoch,
          sequence,
          value,
          transactional: true,
        }), (r) => {
          const reply = r as Reply;
          if (reply.type !== "produceResponse") return retry(false);
          if (reply.error === undefined) return then(reply.offset ?? -1);
          if (reply.error === "notLeader") return retry(true);
          if (reply.error === "notEnoughReplicas" || reply.error === "timeout") return retry(false);
          failed("produce");
        }, () => retry(false));
      }, gaveUp);
    };
    attempt(0, first);
  }

  function endTxn(self: Instance, commit: boolean, then: () => void, failed: Failed, gaveUp: () => void): void {
    coordinatorRequest(
      (requestId) => ({
        type: "endTxn",
        requestId,
        transactionalId: options.transactionalId,
        producerId: self.producerId,
        producerEpoch: self.producerEpoch,
        commit,
      }),
      0,
      () => then(),
      failed,
      gaveUp,
    );
  }

  /**
   * Writes `value` to `partition` in the open transaction, committing it when it is old enough.
   * Before the commit is sent, any failure abandons the transaction: nothing can commit it any
   * more, so the send failed. Once the commit is sent, only its answer says what happened.
   */
  function work(self: Instance, partition: number, value: string, done: (o: Outcome) => void): void {
    const txn: OpenTransaction = open ??= { partitions: new Set(), startUs: tools.nowUs(), records: 0, ackedUs: [] };
    const abandon = () => {
      instance = undefined;
      open = undefined;
      done({ type: "fail" });
    };
    addPartition(
      self,
      txn,
      partition,
      () => {
        produce(
          self,
          partition,
          value,
          (offset) => {
            txn.records++;
            txn.ackedUs.push(tools.nowUs());
            if (tools.nowUs() - txn.startUs < options.commitIntervalUs) return done({ type: "info" });
            const unknown = () => {
              instance = undefined;
              open = undefined;
              done({ type: "info" });
            };
            endTxn(
              self,
              true,
              () => {
                open = undefined;
                tools.record("txn_records_committed", txn.records);
                tools.record("txn_duration_us", tools.nowUs() - txn.startUs);
                for (const ackedUs of txn.ackedUs) tools.record("txn_record_acked_us", ackedUs);
                done({ type: "ok", value: offset });
              },
              unknown,
              unknown,
            );
          },
          abandon,
          abandon,
        );
      },
      abandon,
      abandon,
    );
  }

  /** The paused old instance wakes up and does the same work under its old epoch. */
  function zombie(self: Instance, partition: number, value: string, then: () => void): void {
    const txn: OpenTransaction = { partitions: new Set(), startUs: tools.nowUs(), records: 0, ackedUs: [] };
    const stop = () => {
      tools.record("txn_zombie_fenced", 1);
      then();
    };
    addPartition(
      self,
      txn,
      partition,
      () => {
        produce(
          self,
          partition,
          value,
          () => {
            endTxn(
              self,
              true,
              () => {
                tools.record("txn_zombie_committed", 1);
                then();
              },
              stop,
              then,
            );
          },
          stop,
          then,
        );
      },
      stop,
      then,
    );
  }

  return {
    /** Sends `value` to `partition` transactionally. */
    send(partition: number, value: string, done: (o: Outcome) => void): void {
      const gaveUp = () => done({ type: open === undefined ? "fail" : "info" });
      const begin = (self: Instance) => {
        instance = self;
        if (open !== undefined || tools.random() >= options.restartProbability) {
          return work(self, partition, value, done);
        }
        // A restart: a new instance fences this one and does the work; then the zombie wakes.
        init((successor) => {
          instance = successor;
          work(successor, partition, value, (outcome) => zombie(self, partition, value, () => done(outcome)));
        }, () => {
          instance = undefined;
          done({ type: "fail" });
        });
      };
      if (instance !== undefined) return begin(instance);
      init(begin, gaveUp);
    },
  };
}
