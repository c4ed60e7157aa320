/**
 * Lost update, found directly as Elle's `lost-update-cases` does: two committed transactions
 * that read the same version of a key (before writing it themselves) and then both wrote that
 * key. In a serial order the second would have read the first's write, so one update is lost
 * whatever the version order. A cycle search finds it only when the version order between the
 * two writes is known, which for rw-register it usually is not (Elle §5.2); this check needs no
 * version order. Snapshot isolation forbids it (first committer wins); read committed does not.
 *
 * @example
 * ```ts
 * import { findLostUpdates } from "./lost_update.ts";
 * import { AnomalyLog } from "./anomaly_log.ts";
 * findLostUpdates([], "list-append", new AnomalyLog(4));
 * ```
 * @module
 */
import type { AnomalyLog } from "./anomaly_log.ts";
import { readList, refOf } from "./transactions.ts";
import type { Key, Transaction, Workload } from "./types.ts";

/** Logs each (key, version read) that two or more committed transactions read and then wrote. */
export function findLostUpdates(txns: readonly Transaction[], workload: Workload, log: AnomalyLog): void {
  // key → a cheap fingerprint of the version read → the transactions that read it and then wrote
  // the key, with what they read. Only groups of two or more are compared in full.
  const collisions = new Map<Key, Map<string, { txn: Transaction; version: unknown }[]>>();
  for (const txn of txns) {
    if (txn.outcome !== "ok") continue;
    for (const [key, version] of readThenWritten(txn, workload)) {
      let byFingerprint = collisions.get(key);
      if (byFingerprint === undefined) collisions.set(key, byFingerprint = new Map());
      const print = fingerprint(version);
      const group = byFingerprint.get(print);
      if (group === undefined) byFingerprint.set(print, [{ txn, version }]);
      else group.push({ txn, version });
    }
  }
  for (const [key, byFingerprint] of collisions) {
    for (const group of byFingerprint.values()) {
      if (group.length < 2) continue;
      const byVersion = new Map<string, Transaction[]>();
      for (const { txn, version } of group) {
        const exact = JSON.stringify(version);
        byVersion.set(exact, [...byVersion.get(exact) ?? [], txn]);
      }
      for (const [version, writers] of byVersion) if (writers.length > 1) logLostUpdate(key, version, writers, log);
    }
  }
}

function logLostUpdate(key: Key, version: string, writers: Transaction[], log: AnomalyLog): void {
  log.add("lost-update", () => ({
    type: "lost-update",
    key,
    value: JSON.parse(version),
    txns: writers.map(refOf),
    explanation: `lost-update: ${writers.map((t) => t.name).join(", ")} all read ${String(key)} = ${version} ` +
      `and then wrote ${String(key)}; in any serial order all but the first would have read a later version`,
  }));
}

/** A list's length and last element, or a register's value: equal versions have equal prints. */
function fingerprint(version: unknown): string {
  if (!Array.isArray(version)) return JSON.stringify(version);
  return `${version.length}:${JSON.stringify(version[version.length - 1] ?? null)}`;
}

/** The keys `txn` read (first, before writing them) and later wrote, with the version read. */
function readThenWritten(txn: Transaction, workload: Workload): Map<Key, unknown> {
  const firstRead = new Map<Key, unknown>();
  const written = new Set<Key>();
  const result = new Map<Key, unknown>();
  for (const op of txn.ops) {
    if (op.f === "r") {
      // A list-append read of null is the empty list: the same version.
      if (!written.has(op.key) && !firstRead.has(op.key)) {
        firstRead.set(op.key, workload === "list-append" ? readList(op) : op.value);
      }
      continue;
    }
    if (!written.has(op.key) && firstRead.has(op.key)) result.set(op.key, firstRead.get(op.key));
    written.add(op.key);
  }
  return result;
}
