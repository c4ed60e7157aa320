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
 * Planted bug `ackBeforeFsync` (bugs.ts): a server answers as soon as the journal write is issued,
 * before the fsync completes; a crash then loses acknowledged requests, and the harness's
 * `acknowledged-durable` check finds them.
 *
 * @module
 */
import { assert } from "../../assert.ts";
import type { DiskCompletion, NodeApi, NodeLogic } from "../../sim/mod.ts";
import type { EchoBugs } from "./bugs.ts";

/** Messages of the echo protocol. */
export type EchoMessage =
  | { type: "request"; requestId: number; attempt: number }
  | { type: "response"; requestId: number; attempt: number };

/** The journal file each server appends request ids to. */
export const journalFile = "journal";
/** Bytes per journal record: one float64 request id. */
export const journalRecordBytes = 8;

/** Options of a server: its planted bugs (see bugs.ts). */
export type EchoServerOptions = EchoBugs;

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
      const waiter = { from, message, answered: false };
      // The planted bug answers now and lets the fsync follow; the correct server answers after it.
      if (options.ackBeforeFsync) {
        answer(waiter);
        waiter.answered = true;
      }
      unsynced.push(waiter);
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
