/**
 * A storage server: idle, backup or primary, as the view service says.
 *
 * - The **primary** orders each client operation (the next sequence number), applies it, forwards
 *   it to the backup, saves its state, and answers once the backup has acknowledged it and its own
 *   save is durable. Answers leave in sequence order, so an answer implies every earlier entry is
 *   on both disks. A primary serves only in a view whose backup has taken its state (the transfer)
 *   and acknowledged; a partitioned old primary cannot answer, because the backup refuses entries
 *   from a stale view.
 * - The **backup** applies forwarded entries in order, saves, and only then acknowledges.
 * - A server joining a view as backup gets the primary's whole state first (state transfer).
 *
 * Every server keeps its state and the view it acted in on disk (`state`, written by
 * {@linkcode durableFile}) and recovers from it after a crash; a restarted server takes a role
 * again only in a view newer than the one it saved, so it never resumes a pipeline it lost.
 *
 * @example
 * ```ts
 * import { registerServer, stateFile } from "./server.ts";
 * typeof registerServer; stateFile; // "state"
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { DiskCompletion, NodeApi, NodeLogic } from "../../sim/mod.ts";
import type { RegisterBugs } from "./bugs.ts";
import { applyEntry, emptyReplica, type Replica, replicaOf, snapshotOf } from "./state.ts";
import { durableFile } from "./storage.ts";
import {
  appliedDigestsMax,
  type Entry,
  inflightOperationsMax,
  initialView,
  noServer,
  type Operation,
  pingIntervalUs,
  type RegisterMessage,
  type Result,
  type Snapshot,
  type View,
} from "./types.ts";

/** The file holding a server's state. */
export const stateFile = "state";

/** A server's role. `primaryTransferring`: primary of a view whose backup has not yet taken its state. */
export type Role = "idle" | "backup" | "primaryTransferring" | "primary";

/** Which role may follow which: only a transfer (or a view without backup) makes a serving primary. */
const transitions: Record<Role, readonly Role[]> = {
  idle: ["backup", "primaryTransferring"],
  backup: ["idle", "backup", "primaryTransferring"],
  primaryTransferring: ["idle", "backup", "primaryTransferring", "primary"],
  primary: ["idle", "backup", "primaryTransferring"],
};

/** What the harness may read of a server (white-box, for invariants and roles). */
export interface ServerState {
  role(): Role;
  view(): View;
  seq(): number;
  digest(): number;
  /** The digest after entry `seq`, when it is among the last `appliedDigestsMax`. */
  digestAt(seq: number): number | undefined;
  /** The transfer the server's state descends from in its view: `viewNumber:tag`, or "" when none. */
  transfer(): string;
}

/** Options of a server. */
export interface ServerOptions {
  viewService: number;
  bugs: RegisterBugs;
}

interface Inflight {
  entry: Entry;
  result: Result;
  /** The state version after this entry: it is durable here once a save of that version completes. */
  version: number;
}

/** A storage server node. */
export function registerServer(
  api: NodeApi<RegisterMessage>,
  options: ServerOptions,
): NodeLogic<RegisterMessage> & ServerState {
  const { bugs } = options;
  const file = durableFile<Snapshot>({
    disk: api.disk,
    file: stateFile,
    current: () => {
      savingVersion = version;
      return snapshotOf(replica);
    },
    onDurable,
  });
  let replica: Replica = file.recovered === undefined ? emptyReplica() : replicaOf(file.recovered);
  /** Views at or below this one are not taken again: they may hold a pipeline this incarnation lost. */
  const viewNumberFloor = replica.viewNumber;
  let view: View = initialView;
  let role: Role = "idle";
  /** Counts changes of the state; a save covers the version it started at. */
  let version = 0;
  let savingVersion = 0;
  let durableVersion = 0;
  /** The sequence number the last completed save covers. */
  let durableSeq = replica.seq;
  /** Primary: entries ordered but not yet answered, in sequence order. */
  let inflight: Inflight[] = [];
  let backupAckedSeq = 0;
  /** Primary: tag of its transfers (one incarnation sends one state per view). */
  const transferTag = api.incarnation;
  /** Backup: the transfer its state descends from in this view, and the state version that holds it. */
  let taken: { tag: number; seq: number; version: number } | undefined;
  const takenDurable = () => taken !== undefined && durableVersion >= taken.version;
  const digests = new Map<number, number>([[replica.seq, replica.digest]]);
  /** Backup: forwards that arrived ahead of their turn, by sequence number. */
  const waiting = new Map<number, Entry>();

  function become(next: Role): void {
    assert(transitions[role].includes(next), `server ${api.id}: illegal role change ${role} -> ${next}`);
    assert(next !== "primary" || view.primary === api.id, `server ${api.id} serves in view ${view.number} of another`);
    assert(next !== "backup" || view.backup === api.id, `server ${api.id} backs up in view ${view.number} of another`);
    if (next !== "primary" && next !== "primaryTransferring") inflight = [];
    role = next;
  }

  function adopt(next: View): void {
    if (next.number <= Math.max(view.number, viewNumberFloor)) return;
    view = next;
    taken = undefined;
    waiting.clear();
    const mine = next.primary === api.id ? "primaryTransferring" : next.backup === api.id ? "backup" : "idle";
    if (mine === "idle") {
      if (role !== "idle") become("idle");
      return;
    }
    become(mine);
    replica.viewNumber = next.number;
    changed();
    if (mine === "primaryTransferring") {
      backupAckedSeq = 0;
      if (next.backup === noServer) becomeServingPrimary();
      else sendTransfer();
    }
  }

  function becomeServingPrimary(): void {
    become("primary");
    ping();
    answerCompleted();
  }

  function sendTransfer(): void {
    api.send(view.backup, {
      type: "transfer",
      viewNumber: view.number,
      tag: transferTag,
      snapshot: snapshotOf(replica),
    });
  }

  function onDurable(saved: Snapshot): void {
    durableSeq = saved.seq;
    durableVersion = savingVersion;
    if (role !== "backup") return answerCompleted();
    acknowledgeDurable();
  }

  /** Backup: acknowledges the transfer and the entries its durable state holds. */
  function acknowledgeDurable(): void {
    if (!takenDurable()) return;
    const { tag, seq } = taken!;
    api.send(view.primary, { type: "transferAck", viewNumber: view.number, tag, seq });
    api.send(view.primary, { type: "forwardAck", viewNumber: view.number, seq: durableSeq });
  }

  /** Records a change of the state and saves it. */
  function changed(): void {
    version++;
    file.save();
  }

  /** Answers the completed head of the pipeline: durable here and acknowledged by the backup. */
  function answerCompleted(): void {
    if (role !== "primary") return;
    const ackedSeq = view.backup === noServer ? Infinity : backupAckedSeq;
    while (inflight.length > 0 && inflight[0].version <= durableVersion && inflight[0].entry.seq <= ackedSeq) {
      const { entry, result } = inflight.shift()!;
      api.send(entry.client, { type: "reply", requestId: entry.requestId, result });
    }
  }

  function apply(entry: Entry): Result {
    const result = applyEntry(replica, entry);
    digests.set(entry.seq, replica.digest);
    digests.delete(entry.seq - appliedDigestsMax);
    changed();
    return result;
  }

  function onRequest(from: number, requestId: number, operation: Operation): void {
    if (role !== "primary") return api.send(from, { type: "reply", requestId, result: { type: "notPrimary" } });
    const session = replica.sessions.get(from);
    if (session !== undefined && requestId < session.requestId) return;
    if (session !== undefined && requestId === session.requestId) {
      // A retry: answer it once its entry is done; an entry still in the pipeline answers by itself.
      const pending = inflight.some((i) => i.entry.client === from && i.entry.requestId === requestId);
      if (!pending) api.send(from, { type: "reply", requestId, result: session.result });
      return;
    }
    // The planted bug answers reads from the primary's own state, never asking the backup.
    if (bugs.primaryReadsWithoutBackup && operation.f === "get") {
      const value = replica.store.get(operation.key) ?? "";
      return api.send(from, { type: "reply", requestId, result: { type: "ok", value } });
    }
    if (inflight.length >= inflightOperationsMax) return api.record("requests_dropped_pipeline_full", 1);
    const entry: Entry = { seq: replica.seq + 1, client: from, requestId, operation };
    const result = apply(entry);
    inflight.push({ entry, result, version });
    if (view.backup !== noServer) api.send(view.backup, { type: "forward", viewNumber: view.number, entry });
  }

  /** A message from a primary in view `viewNumber`: is it this server's primary now? Refuses stale views. */
  function fromMyPrimary(from: number, viewNumber: number): boolean {
    if (viewNumber < view.number) api.send(from, { type: "staleView", viewNumber: view.number });
    return role === "backup" && from === view.primary && viewNumber === view.number;
  }

  function onForward(from: number, viewNumber: number, entry: Entry): void {
    if (!fromMyPrimary(from, viewNumber) || taken === undefined) return;
    // A retransmission: the acknowledgement was lost, or the save is still on its way.
    if (entry.seq <= replica.seq) return acknowledgeDurable();
    // The network reorders: an entry beyond the next waits (a bounded few) for the ones before it.
    if (entry.seq > replica.seq + 1) {
      if (entry.seq <= replica.seq + inflightOperationsMax) waiting.set(entry.seq, entry);
      return;
    }
    for (let next: Entry | undefined = entry; next !== undefined; next = waiting.get(replica.seq + 1)) {
      waiting.delete(next.seq);
      // The planted bug acknowledges on receipt; the correct backup acknowledges after its save (onDurable).
      if (bugs.backupAcksBeforeApply) api.send(from, { type: "forwardAck", viewNumber, seq: next.seq });
      apply(next);
    }
    assert(waiting.size <= inflightOperationsMax, `${waiting.size} forwards wait, above inflightOperationsMax`);
  }

  function onTransfer(from: number, viewNumber: number, tag: number, snapshot: Snapshot): void {
    if (!fromMyPrimary(from, viewNumber)) return;
    if (taken?.tag === tag) return acknowledgeDurable();
    replica = replicaOf(snapshot);
    replica.viewNumber = view.number;
    waiting.clear();
    digests.clear();
    digests.set(replica.seq, replica.digest);
    changed();
    taken = { tag, seq: replica.seq, version };
  }

  function onTransferAck(viewNumber: number, tag: number, seq: number): void {
    if (role !== "primaryTransferring" || viewNumber !== view.number || tag !== transferTag) return;
    assert(
      seq === replica.seq,
      `transfer acknowledged at ${seq}, state at ${replica.seq}: no entry while transferring`,
    );
    backupAckedSeq = seq;
    becomeServingPrimary();
  }

  function ping(): void {
    api.send(options.viewService, {
      type: "ping",
      viewNumber: view.number,
      viewNumberFloor,
      serving: role === "primary",
    });
  }

  /** Pings the view service and retransmits what the backup has not acknowledged. */
  function tick(): void {
    api.setTimer(pingIntervalUs, "tick");
    ping();
    if (role === "primaryTransferring") sendTransfer();
    if (role !== "primary" || view.backup === noServer) return;
    for (const { entry } of inflight) {
      if (entry.seq > backupAckedSeq) api.send(view.backup, { type: "forward", viewNumber: view.number, entry });
    }
  }

  function onMessage(from: number, message: RegisterMessage): void {
    switch (message.type) {
      case "viewReply":
        if (from === options.viewService) adopt(message.view);
        return;
      case "request":
        return onRequest(from, message.requestId, message.operation);
      case "forward":
        return onForward(from, message.viewNumber, message.entry);
      case "forwardAck":
        if (role !== "primary" || from !== view.backup || message.viewNumber !== view.number) return;
        backupAckedSeq = Math.max(backupAckedSeq, message.seq);
        return answerCompleted();
      case "transfer":
        return onTransfer(from, message.viewNumber, message.tag, message.snapshot);
      case "transferAck":
        if (from === view.backup) onTransferAck(message.viewNumber, message.tag, message.seq);
        return;
      case "staleView":
        // The backup has moved on: this primary's view is over, whatever it believes.
        if (message.viewNumber > view.number && role !== "idle") become("idle");
        return;
    }
  }

  return {
    role: () => role,
    view: () => view,
    seq: () => replica.seq,
    digest: () => replica.digest,
    digestAt: (seq) => digests.get(seq),
    transfer: () => (role === "primary" ? `${view.number}:${transferTag}` : taken ? `${view.number}:${taken.tag}` : ""),
    onStart: tick,
    onRecover: tick,
    onMessage,
    onTimer: tick,
    onDisk: (completion: DiskCompletion) => void file.onDisk(completion),
  };
}
