/**
 * Snapshots (§7): taking this server's own on a cadence and compacting the log behind it once it
 * is durable, sending the durable snapshot to followers behind the compacted log in chunks (one
 * in flight, resent when unanswered), and receiving one: chunks are written in order and the state
 * changes only once the whole snapshot is durable.
 *
 * @module
 */
import { assert } from "../../../assert.ts";
import { serversMax } from "./limits.ts";
import { heardFromLeader } from "./replication.ts";
import type { CoreState } from "./state.ts";
import { type CoreInput, decodeSnapshot, encodeSnapshot, type PeerMessage } from "./types.ts";

/** The cadence (§7): enough entries applied since the last snapshot, or a WAL grown big enough. */
export function snapshotDue(s: CoreState): boolean {
  const unsnapshotted = s.applied - s.snapshotIndexDurable;
  const { snapshotEveryEntries: entries, snapshotEveryWalBytes: bytes } = s.config;
  return (entries > 0 && unsnapshotted >= entries) ||
    (bytes > 0 && unsnapshotted > 0 && s.storage.walBytes() >= bytes);
}

/** Starts a snapshot of the state machine at `applied` when one is due and none is being written. */
export function maybeStartSnapshot(s: CoreState): void {
  if (s.snapshotting !== undefined || !snapshotDue(s)) return;
  const index = s.applied;
  const term = s.log.termAt(index)!;
  if (!(index > s.snapshotIndexDurable)) assert(false, `a snapshot at ${index} is not past the durable one`);
  const bytes = encodeSnapshot({ index, term, data: s.stateMachine.snapshot(), membership: s.membership.at(index) });
  assert(decodeSnapshot(bytes).index === index, "a snapshot does not decode to its own index");
  assert(s.out.snapshot === undefined, "two snapshots in one ready");
  s.snapshotting = { index, term };
  s.out.snapshot = { index, term, bytes };
  snapshotCovers(s, index, term, "issued");
}

/**
 * The log prefix a snapshot covers may go once the snapshot is durable (write, fsync, rename):
 * compacting earlier would lose committed entries in a crash before the fsync.
 */
function snapshotCovers(s: CoreState, index: number, term: number, moment: "issued" | "durable"): void {
  // Planted bug: compaction as soon as the snapshot write is issued, before it is durable.
  const compactAt = s.bugs.truncateBeforeSnapshotDurable ? "issued" : "durable";
  if (moment === compactAt) compactTo(s, index, term);
}

/** Drops log entries a durable snapshot covers, keeping a tail; the WAL is rewritten likewise. */
export function compactTo(s: CoreState, index: number, term: number): void {
  if (!(index <= s.applied)) assert(false, `compaction to ${index} past the applied ${s.applied}`);
  let keepFrom = Math.max(s.log.firstIndex, index - s.config.snapshotTailEntries + 1);
  // Keep what a follower receiving an older snapshot needs next, or it would need another; but
  // only for a transfer the follower is answering, so an unreachable one holds nothing back.
  for (const sending of s.snapshotProgress.values()) {
    if (sending.answered && s.nowUs - sending.ackedUs <= s.config.electionTimeoutUsMax) {
      keepFrom = Math.min(keepFrom, sending.index + 1);
    }
  }
  if (s.role === "leader") {
    // A live follower a little further behind than the tail is kept within reach of appends,
    // up to ten tails back: dropping its next entries would cost it a whole snapshot.
    const floor = index - 10 * s.config.snapshotTailEntries + 1;
    for (const server of s.recentlyActive) {
      keepFrom = Math.min(keepFrom, Math.max(floor, (s.matchIndex.get(server) ?? 0) + 1));
    }
  }
  keepFrom = Math.max(s.log.firstIndex, keepFrom);
  if (keepFrom - 1 > s.log.snapshotIndex) {
    s.membership.compacted(keepFrom - 1);
    s.log.compact(keepFrom - 1, s.log.termAt(keepFrom - 1)!);
  }
  if (s.walCompacting) return;
  // The log mirrors what the WAL holds up to the last entry appended to it, so the kept entries
  // come from memory rather than from re-reading the WAL.
  const written = Math.min(s.walWrittenIndex, s.log.lastIndex);
  const entries = keepFrom <= written ? s.log.slice(keepFrom, written + 1, Infinity) : [];
  s.walCompacting = true;
  s.out.walCompaction = {
    keepFromIndex: keepFrom,
    hardState: s.hardState(),
    snapshot: { kind: "snapshot", index, term },
    entries: entries.map((e) => ({ kind: "entry" as const, term: e.term, index: e.index, command: e.command })),
  };
}

/**
 * InstallSnapshot (§7), in chunks of `snapshotChunkBytes`, one in flight per follower: the
 * follower acknowledges each chunk once it is written, and the whole once it is durable and
 * published. The durable snapshot is sent from memory, as etcd does, so a newer snapshot taken
 * meanwhile does not restart a long transfer.
 */
export function sendSnapshot(s: CoreState, server: number): void {
  let progress = s.snapshotProgress.get(server);
  if (progress === undefined) {
    // Compacted in memory but not yet published on disk: the next beat retries.
    if (s.snapshotIndexDurable === 0 || s.snapshotBytesDurable === undefined) return;
    if (!(s.snapshotProgress.size < serversMax)) assert(false, `more than ${serversMax} snapshot transfers`);
    progress = {
      index: s.snapshotIndexDurable,
      term: s.snapshotTermDurable,
      bytes: s.snapshotBytesDurable,
      offset: 0,
      inFlight: false,
      sentUs: 0,
      ackedUs: s.nowUs,
      answered: false,
    };
    s.snapshotProgress.set(server, progress);
  }
  if (progress.inFlight) return;
  if (!(progress.offset <= progress.bytes.length)) assert(false, `snapshot offset ${progress.offset} past its end`);
  // Each (re)start of a transfer, so install time runs from the attempt that got through.
  if (progress.offset === 0) s.metric("raft_snapshots_sent", progress.index);
  const end = Math.min(progress.offset + s.config.snapshotChunkBytes, progress.bytes.length);
  s.send(server, {
    type: "snapshot",
    term: s.term,
    leader: s.id,
    index: progress.index,
    snapshotTerm: progress.term,
    offset: progress.offset,
    chunk: progress.bytes.subarray(progress.offset, end),
    done: end >= progress.bytes.length,
  }, end - progress.offset + 64);
  progress.inFlight = true;
  progress.sentUs = s.nowUs;
}

/**
 * At each heartbeat: a transfer the follower has not answered for an election timeout is given up
 * (it no longer holds back compaction; it starts afresh from the newest snapshot when the follower
 * answers), and a chunk unacknowledged for half a heartbeat interval is sent again.
 */
export function expireSnapshotTransfers(s: CoreState, server: number): void {
  const sending = s.snapshotProgress.get(server);
  if (sending === undefined) return;
  if (s.nowUs - sending.ackedUs > s.config.electionTimeoutUsMax) s.snapshotProgress.delete(server);
  else if (sending.inFlight && s.nowUs - sending.sentUs >= s.config.heartbeatIntervalUs / 2) sending.inFlight = false;
}

/** A follower wrote a chunk (or asks for another offset): send from where it stands. */
export function handleSnapshotAck(
  s: CoreState,
  from: number,
  message: Extract<PeerMessage, { type: "snapshotAck" }>,
): void {
  const progress = s.snapshotProgress.get(from);
  if (s.role !== "leader" || progress === undefined || progress.index !== message.index) return;
  if (!(message.nextOffset <= progress.bytes.length)) {
    assert(false, `follower ${from} asks for offset ${message.nextOffset}`);
  }
  s.recentlyActive.add(from);
  progress.offset = message.nextOffset;
  progress.inFlight = false;
  progress.ackedUs = s.nowUs;
  progress.answered = true;
  sendSnapshot(s, from);
}

/**
 * A follower receives a chunk of the leader's snapshot. Chunks are written in order into a
 * separate file; the state changes only once the whole snapshot is durable (§7: "if the
 * snapshot is complete, save it, discard the log it covers, reset the state machine").
 */
export function handleSnapshot(s: CoreState, from: number, message: Extract<PeerMessage, { type: "snapshot" }>): void {
  assert(message.term === s.term, "a snapshot of another term reaches the role handlers");
  heardFromLeader(s, message.leader);
  if (message.index <= s.commit) return acknowledgeSnapshot(s, from);
  const receiving = s.receiving;
  if (receiving?.busy) return; // a chunk is being written: its acknowledgement will answer
  if (message.offset === 0) {
    s.receiving = { index: message.index, term: message.snapshotTerm, leader: from, offset: 0, busy: false };
  } else if (receiving === undefined || receiving.index !== message.index || receiving.offset !== message.offset) {
    // Out of order (a chunk was lost, or the leader moved to a newer snapshot): say where to resume.
    const nextOffset = receiving?.index === message.index ? receiving.offset : 0;
    s.send(from, { type: "snapshotAck", term: s.term, index: message.index, nextOffset });
    return;
  }
  const current = s.receiving!;
  current.leader = from;
  current.busy = true;
  s.out.snapshotChunks.push({
    index: message.index,
    term: message.snapshotTerm,
    offset: message.offset,
    bytes: message.chunk,
    done: message.done,
  });
}

/** A received chunk was written (or failed): acknowledge it, or have the whole made durable. */
export function chunkWritten(s: CoreState, input: Extract<CoreInput, { type: "snapshotChunkWritten" }>): void {
  const receiving = s.receiving;
  if (receiving === undefined || receiving.index !== input.index) return;
  if (!(receiving.busy && receiving.offset === input.offset)) {
    assert(false, `chunk at ${input.offset} was not being written`);
  }
  if (!input.ok) {
    s.receiving = undefined;
    return;
  }
  receiving.offset = input.offset + input.length;
  s.metric("raft_snapshot_chunk_bytes", input.length);
  if (!input.done) {
    receiving.busy = false;
    s.send(receiving.leader, {
      type: "snapshotAck",
      term: s.term,
      index: receiving.index,
      nextOffset: receiving.offset,
    });
    return;
  }
  s.out.snapshotReceived = { index: receiving.index, term: receiving.term };
}

/** A snapshot file is durable (or failed): this server's own compacts the log; a received one installs. */
export function snapshotDurable(s: CoreState, input: Extract<CoreInput, { type: "snapshotDurable" }>): void {
  const installing = input.source === "received";
  const leader = s.receiving?.leader ?? -1;
  if (installing) s.receiving = undefined;
  else s.snapshotting = undefined;
  if (!input.ok || !input.published) return;
  if (!(input.index > s.snapshotIndexDurable)) {
    assert(false, `snapshot ${input.index} published over ${s.snapshotIndexDurable}`);
  }
  assert(input.bytes !== undefined, "a published snapshot comes with its bytes");
  s.snapshotIndexDurable = input.index;
  s.snapshotTermDurable = input.term;
  s.snapshotBytesDurable = input.bytes;
  s.metric("raft_snapshot_index", input.index);
  if (installing) return finishInstall(s, input.index, input.term, input.bytes, leader);
  snapshotCovers(s, input.index, input.term, "durable");
}

/** The received snapshot is durable and published: the state machine and log move to it. */
function finishInstall(s: CoreState, index: number, term: number, bytes: Uint8Array, leader: number): void {
  if (index > s.commit) {
    const snapshot = decodeSnapshot(bytes);
    // Pair check with the sender's encodeSnapshot.
    if (!(snapshot.index === index && snapshot.term === term)) {
      assert(false, `snapshot file holds ${snapshot.index}, not ${index}`);
    }
    s.stateMachine.restore(snapshot.data);
    // Entries after the snapshot survive only if the log agrees with it at its index (§7).
    const agrees = s.log.termAt(index) === term;
    if (agrees) s.log.compact(index, term);
    else s.log.reset(index, term);
    s.membership.installed(index, snapshot.membership, agrees);
    s.commit = s.applied = index;
    s.durableIndex = agrees ? Math.max(s.durableIndex, index) : index;
    // The WAL learns the snapshot before any later entry, so its log stays contiguous on replay.
    s.out.records.push({ kind: "snapshot", index, term });
  }
  if (leader !== -1) acknowledgeSnapshot(s, leader);
}

/** Tells the leader this follower holds everything up to its commit index (a snapshot covers it). */
export function acknowledgeSnapshot(s: CoreState, leader: number): void {
  s.send(leader, {
    type: "appendResponse",
    term: s.term,
    success: true,
    matchIndex: s.commit,
    conflictIndex: 0,
    round: 0,
  });
}
