/**
 * An echo service with retries: the small honest example system of the kernel.
 *
 * Servers journal each request to their disk and fsync before they answer, so an answered
 * request survives any crash. Clients send requests in a closed loop, time out, and retry on
 * another server with exponential backoff and jitter, the way real RPC clients do. The example
 * exercises every part of the kernel a database uses: messages, timers, CPU service time, disk
 * writes and fsync, crash and recovery from disk.
 *
 * Invariant: every request a client saw acknowledged is in some server's durable journal.
 * Planted bug `ackBeforeFsync`: a server answers as soon as the journal write is issued, before
 * the fsync completes (the bug behind many "acknowledged writes lost" reports); a crash then
 * loses acknowledged requests, and {@linkcode checkAcknowledgedDurable} finds them.
 *
 * @module
 */
import { assert } from "../../assert.ts";
import type { Op } from "../../history/history.ts";
import type { DiskCompletion, NodeApi, NodeLogic } from "../../sim/mod.ts";

/** Messages of the echo protocol. */
export type EchoMessage =
  | { type: "request"; requestId: number; attempt: number }
  | { type: "response"; requestId: number; attempt: number };

/** The journal file each server appends request ids to. */
export const journalFile = "journal";
/** Bytes per journal record: one float64 request id. */
export const journalRecordBytes = 8;

/** Options of a server. */
export interface EchoServerOptions {
  /** Planted bug: answer before the journal fsync completes. */
  ackBeforeFsync: boolean;
}

interface Waiter {
  from: number;
  message: EchoMessage;
  answered: boolean;
}

/**
 * A server: journal, fsync, then answer. Requests that arrive while an fsync is in flight share
 * the next fsync (group commit), as databases batch their log flushes.
 */
export function echoServer(api: NodeApi<EchoMessage>, options: EchoServerOptions): NodeLogic<EchoMessage> {
  // Requests written but not yet covered by a completed fsync, and the ones the running fsync covers.
  let unsynced: Waiter[] = [];
  let syncing: Waiter[] = [];
  const answer = (waiter: Waiter) => {
    api.send(waiter.from, { type: "response", requestId: waiter.message.requestId, attempt: waiter.message.attempt });
  };
  const startFsync = () => {
    if (syncing.length > 0 || unsynced.length === 0) return;
    syncing = unsynced;
    unsynced = [];
    api.disk.fsync(journalFile);
  };
  return {
    onStart() {},
    onRecover() {
      // A crash can tear the last record (a prefix of it lands). Appending after a torn tail would
      // misalign every later record, so recovery cuts the journal back to whole records first.
      const length = api.disk.size(journalFile);
      const whole = length - (length % journalRecordBytes);
      if (whole < length) api.disk.truncate(journalFile, whole);
      api.record("journal_records_recovered", whole / journalRecordBytes);
      api.record("journal_torn_bytes_dropped", length - whole);
    },
    onMessage(from, message) {
      if (message.type !== "request") return;
      const record = new Uint8Array(new Float64Array([message.requestId]).buffer);
      api.disk.append(journalFile, record);
      // The planted bug answers now and lets the fsync follow; the correct server answers after it.
      if (options.ackBeforeFsync) answer({ from, message, answered: true });
      unsynced.push({ from, message, answered: options.ackBeforeFsync });
    },
    onDisk(completion: DiskCompletion) {
      if (completion.op === "write") {
        assert(completion.ok, `journal write failed: ${completion.error}`);
        startFsync();
        return;
      }
      for (const waiter of syncing) if (!waiter.answered) answer(waiter);
      syncing = [];
      startFsync();
    },
  };
}

/** Options of a client. */
export interface EchoClientOptions {
  /** Server node ids. */
  servers: number[];
  /** Mean think time between a response and the next request (exponential). */
  thinkTimeUsMean: number;
  /** How long to wait for a response before retrying. */
  timeoutUs: number;
  /** Attempts per request before giving up. */
  attemptsMax: number;
  /** First retry backoff; doubles per attempt, with full jitter. */
  backoffUsBase: number;
}

const timerNext = "next";
const timerTimeout = "timeout";
const timerRetry = "retry";

/**
 * A client in a closed loop. Records, per answered request, its id under `acked`, `latency_us`
 * (first send to answer, on the client's own monotonic clock) and `attempts_acked`; per request
 * given up on, its id under `failed`. Each request is a `write` of its id in the run's history:
 * `ok` when answered, `info` when given up on (a server may still have journaled it).
 */
export function echoClient(api: NodeApi<EchoMessage>, options: EchoClientOptions): NodeLogic<EchoMessage> {
  let sequence = 0;
  let current: { requestId: number; attempt: number; startedUs: number; timer: number; invocation: Op } | undefined;
  const send = () => {
    assert(current !== undefined, "send without a current request");
    const server = options.servers[(current.requestId + current.attempt) % options.servers.length];
    api.send(server, { type: "request", requestId: current.requestId, attempt: current.attempt });
    current.timer = api.setTimer(options.timeoutUs, timerTimeout);
  };
  const begin = () => {
    const requestId = api.id * 1_000_000 + sequence++;
    // In the history a request is a write of its id: it happened once some server journaled it.
    const invocation = api.invoke("write", requestId);
    current = { requestId, attempt: 1, startedUs: api.monotonicUs(), timer: -1, invocation };
    send();
  };
  const finish = (ok: boolean) => {
    assert(current !== undefined, "finish without a current request");
    if (ok) {
      api.record("acked", current.requestId);
      api.record("latency_us", api.monotonicUs() - current.startedUs);
      api.record("attempts_acked", current.attempt);
      api.complete(current.invocation, "ok");
    } else {
      // Given up on, but a server may have journaled it: the outcome is unknown.
      api.record("failed", current.requestId);
      api.complete(current.invocation, "info");
    }
    current = undefined;
    api.setTimer(-options.thinkTimeUsMean * Math.log(1 - api.rng.next()), timerNext);
  };
  return {
    onStart: begin,
    onMessage(_from, message) {
      if (message.type !== "response" || current === undefined || message.requestId !== current.requestId) return;
      api.cancelTimer(current.timer);
      finish(true);
    },
    onTimer(tag) {
      if (tag === timerNext) return begin();
      if (current === undefined) return;
      if (tag === timerRetry) return send();
      if (current.attempt >= options.attemptsMax) return finish(false);
      current.attempt++;
      const backoffUs = api.rng.next() * options.backoffUsBase * 2 ** (current.attempt - 2);
      current.timer = -1;
      api.setTimer(backoffUs, timerRetry);
    },
  };
}
