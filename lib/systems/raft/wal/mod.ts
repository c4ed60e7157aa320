/**
 * The durable write-ahead log of a Raft node on the simulated disk.
 *
 * Raft §5 requires a server to persist its current term, its vote and its log entries before it
 * answers the RPC that changed them. The node appends records here in batches (one disk append
 * per batch: group commit), asks for an fsync with a tag, and sends the answers that depend on
 * those records only when that fsync's completion comes back to its `onDisk` handler.
 *
 * File format: a sequence of frames, each
 * `[payload length u32 LE][CRC-32 (IEEE) of the payload u32 LE][payload]`. A payload is one
 * record: a kind byte (1 hard state, 2 entry, 3 snapshot marker), then the record's integers as
 * float64 LE (exact up to 2^53), then for an entry the command as JSON text in UTF-8.
 *
 * Recovery replays the frames in order. A crash can tear the last write (a prefix of it lands),
 * so a damaged final record is cut off and reported; damage anywhere else is refused with a
 * {@linkcode WalCorruptionError}, because skipping a record in the middle would silently drop
 * entries that may be committed (a node that refuses to start is safe; one that forgets is not).
 *
 * @example
 * ```ts
 * import { recover, Wal } from "./mod.ts";
 * import type { DiskCompletion, NodeApi, NodeLogic } from "../../../sim/mod.ts";
 *
 * function node(api: NodeApi): NodeLogic {
 *   let wal: Wal;
 *   const start = () => {
 *     const recovery = recover(api.disk); // cuts a torn tail before anything is appended
 *     wal = new Wal(api.disk);
 *     api.record("wal_torn_bytes", recovery.tornTailBytes);
 *     wal.append([{ kind: "hard", term: 1, vote: api.id, commit: 0 }]);
 *     wal.sync("vote-durable");
 *   };
 *   return {
 *     onStart: start,
 *     onRecover: start,
 *     onMessage() {},
 *     onDisk(completion: DiskCompletion) {
 *       if (!wal.owns(completion)) return;
 *       if (completion.tag === "vote-durable") api.record("wal_bytes", wal.bytes);
 *     },
 *   };
 * }
 * ```
 * The WAL is three files: `format.ts` (records and frames), `replay.ts` (recovery) and `writer.ts`
 * (appending, fsync, compaction).
 *
 * @module
 */
export * from "./format.ts";
export { recover, replayWal, type WalRecovery, type WalReplayOptions } from "./replay.ts";
export { Wal, type WalCompactionOptions, type WalCompactionPlan } from "./writer.ts";
