/**
 * Session guarantees of the leaderless store, checked from the recorded history: every completion
 * of the store's client carries the version (the HLC timestamp, as one number) the store gave what
 * was read or written, and {@linkcode sessionHistory} turns gets and puts into the reads and
 * writes of versions that `checkSessionGuarantees` (lib/check/session.ts) judges. Nothing of the
 * client's own state is consulted: a client that forgot its floor shows in what it recorded.
 *
 * `session` mode promises read-your-writes and monotonic reads, which are then a check; the other
 * leaderless modes are measured against them (a figure).
 *
 * @example
 * ```ts
 * import { sessionHistory } from "./session_check.ts";
 * sessionHistory([
 *   { process: 1, type: "invoke", f: "put", key: "k", value: "1:0", time: 0 },
 *   { process: 1, type: "ok", f: "put", key: "k", value: "1:0", time: 5, version: 700 },
 * ]).map((op) => op.value); // [0, 0]: the first version of k
 * ```
 * @module
 */
import { checkSessionGuarantees, type SessionGuarantee, type SessionResult } from "../../../check/mod.ts";
import { type Checker, finalProcessId } from "../../../harness/mod.ts";
import type { Op } from "../../../history/mod.ts";

/** What `session` mode promises. */
export const sessionModeGuarantees: readonly SessionGuarantee[] = ["read-your-writes", "monotonic-reads"];

/**
 * The history as the session checker reads it: a `put` is a `write` and a `get` a `read`, of
 * versions. A key's written values are unique, so a value names its write; the values are ranked
 * per key by the version recorded with them, and each write and read carries its value's rank.
 * Two coordinators can stamp two writes with the same timestamp (both raised their clock to the
 * same `seen`); the store breaks the tie by the coordinator's node, which the reply does not
 * carry, so tied values are ordered by when a read last returned them (the winner is what the
 * replicas converge to, so it is read last), then by value. Deletes share one value, "", so a
 * delete is named by its version instead, and a read of "" by the version it returned: the
 * tombstone's, or none (the zero version) for a key never written, which is a read of no write
 * (null). A write whose
 * version was never recorded (unacknowledged and never read) gets a rank above every recorded one:
 * it did not happen, so it binds nothing. Operations of other functions, and the final reads
 * (their process is not a session), are left out.
 */
export function sessionHistory(events: readonly Op[]): Op[] {
  const deletes = deleteNames(events);
  /** What an ok operation wrote or read: a put's value, a delete's name, null for a key never written. */
  const nameOf = (op: Op): string | null => {
    if (op.f === "delete") return deletes.ofOp.get(op) ?? null;
    if (op.f === "get" && op.value === "") {
      return op.version ? deletes.byVersion.get(`${op.key}\u0000${op.version}`) ?? deletedAt(op.version) : null;
    }
    return String(op.value);
  };
  const versions = new Map<string, Map<string, number>>();
  const ofKey = (key: string | undefined) => {
    let values = versions.get(key ?? "");
    if (values === undefined) versions.set(key ?? "", values = new Map());
    return values;
  };
  /** When a read last returned each value: orders values whose versions tie (see below). */
  const lastReadUs = new Map<string, number>();
  for (const op of events) {
    if (op.type !== "ok" || op.version === undefined) continue;
    if (op.f !== "put" && op.f !== "get" && op.f !== "delete") continue;
    const name = nameOf(op);
    if (name === null) continue;
    ofKey(op.key).set(name, op.version);
    if (op.f === "get") lastReadUs.set(`${op.key}\u0000${name}`, op.time);
  }
  const ranks = new Map<string, Map<string, number>>();
  for (const [key, values] of versions) {
    const readAt = (value: string) => lastReadUs.get(`${key}\u0000${value}`) ?? -1;
    const ordered = [...values].sort((a, b) =>
      a[1] - b[1] || readAt(a[0]) - readAt(b[0]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
    );
    ranks.set(key, new Map(ordered.map(([value], rank) => [value, rank])));
  }
  const unranked = new Map<string, number>();
  const rankOf = (key: string, value: string) => {
    const known = ranks.get(key)?.get(value);
    if (known !== undefined) return known;
    const next = unranked.get(key) ?? ranks.get(key)?.size ?? 0;
    unranked.set(key, next + 1);
    ranks.set(key, (ranks.get(key) ?? new Map()).set(value, next));
    return next;
  };
  const out: Op[] = [];
  for (const op of events) {
    if (op.process === "nemesis" || op.process >= finalProcessId) continue;
    if (op.f !== "put" && op.f !== "get" && op.f !== "delete") continue;
    const key = op.key ?? "";
    if (op.f !== "get") {
      const name = op.f === "put" ? String(op.value) : deletes.ofOp.get(op)!;
      out.push({ ...op, f: "write", value: rankOf(key, name), version: undefined });
    } else {
      const name = op.type === "ok" ? nameOf(op) : null;
      out.push({ ...op, f: "read", value: name === null ? null : rankOf(key, name), version: undefined });
    }
  }
  return out;
}

const deletedAt = (version: number) => `\u0000deleted at ${version}`;

/**
 * Every delete's name, for its invocation and its completion alike: deletes all write "", so a
 * delete is named by the version its ok completion recorded, and a read of "" by the version it
 * returned. Two deletes of a key can tie on a version (as two puts can); the first keeps the plain
 * name that reads of that version map to, a later one gets its own, and a delete that never
 * completed ok is named by its process and time (it binds nothing, as an unacknowledged put).
 */
function deleteNames(events: readonly Op[]) {
  const ofOp = new Map<Op, string>();
  const byVersion = new Map<string, string>();
  const open = new Map<number, Op>();
  for (const op of events) {
    if (op.f !== "delete" || typeof op.process !== "number") continue;
    if (op.type === "invoke") {
      open.set(op.process, op);
      continue;
    }
    const invocation = open.get(op.process);
    open.delete(op.process);
    let name = `\u0000delete of ${op.process} at ${invocation?.time ?? op.time}`;
    if (op.type === "ok" && op.version !== undefined) {
      const versionKey = `${op.key}\u0000${op.version}`;
      name = byVersion.has(versionKey) ? `${deletedAt(op.version)} by ${op.process}@${op.time}` : deletedAt(op.version);
      if (!byVersion.has(versionKey)) byVersion.set(versionKey, name);
    }
    ofOp.set(op, name);
    if (invocation !== undefined) ofOp.set(invocation, name);
  }
  // Invocations never completed (the run ended first).
  for (const [process, op] of open) ofOp.set(op, `\u0000delete of ${process} at ${op.time}`);
  return { ofOp, byVersion };
}

/** The session checker's verdict on the store's history, for `guarantees`. */
export function checkStoreSessions(events: readonly Op[], guarantees = sessionModeGuarantees): SessionResult {
  return checkSessionGuarantees(sessionHistory(events), { guarantees });
}

/** `session` mode's promise as a check of the harness: read your writes and monotonic reads. */
export const sessionGuaranteesKept: Checker = {
  name: "session-guarantees",
  check: (input) => checkStoreSessions(input.events),
};
