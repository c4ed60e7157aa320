/**
 * `no-resurrected-deletes`: a value an acknowledged delete replaced never comes back. A delete
 * replaces what its client had seen of the key (the causal context it carries): the value its
 * process last read or wrote of the key, and what that value's write had seen in turn. Those are
 * dead for good: dotted version vectors
 * drop it against the tombstone whatever the clocks say, and a later write's context covers the
 * tombstone's (last-writer-wins widens the winner's context by the loser's), so no later write
 * revives it either. Only a collected tombstone lets it back: a replica that never saw the
 * delete still holds the value, and once the others forget the tombstone, anti-entropy, read repair
 * and read quorums spread it again. The store promises this cannot happen while every replica
 * sees the delete within gc_grace; a run that keeps a replica away longer is measured, not judged.
 *
 * Which reads are judged: every read invoked after the delete was acknowledged where the settings
 * promise linearizability, else only the final reads (after the heal and convergence), since a
 * weaker mode may legitimately read a replica the delete has not reached yet.
 *
 * @example
 * ```ts
 * import { resurrectedDeletes } from "./resurrection.ts";
 * resurrectedDeletes([], { reads: "final" }).length; // 0
 * ```
 * @module
 */
import { type Operation, pairOperations } from "../../../check/mod.ts";
import { type Checker, finalProcessId } from "../../../harness/mod.ts";
import type { Op } from "../../../history/mod.ts";

/** A read that returned a value an earlier acknowledged delete had replaced. */
export interface Resurrection {
  key: string;
  value: string;
  /** The process that read it, and where in the history the read began. */
  readProcess: number;
  readCallIndex: number;
  /** The process that deleted it, and where the delete was acknowledged. */
  deleteProcess: number;
  deleteReturnIndex: number;
}

/** Options of {@linkcode resurrectedDeletes}. */
export interface ResurrectionOptions {
  /** Judge every read (`all`) or the final reads only (`final`). */
  reads: "all" | "final";
}

/**
 * A write the history shows (a put's value, or a delete), with what its client had seen of the key
 * before it: the write's causal context covers that, and everything that covered in turn.
 */
interface WriteNode {
  value: string;
  covers: WriteNode | undefined;
}

/** Most writes followed back from one delete: the chains are per key and short, but bounded all the same. */
const chainMax = 100_000;

/** Whether `value` is among the writes `from` covers (not `from` itself). */
function covered(from: WriteNode, value: string): boolean {
  let node = from.covers;
  for (let steps = 0; node !== undefined && steps < chainMax; steps++, node = node.covers) {
    if (node.value === value) return true;
  }
  return false;
}

/**
 * The reads of `events` that returned a value an acknowledged delete had replaced: a value the
 * deleting process had seen of the key (read or written) when it deleted, or one that value's
 * write had seen in turn.
 */
export function resurrectedDeletes(events: readonly Op[], options: ResurrectionOptions): Resurrection[] {
  const operations = pairOperations(events.filter((op) => op.process !== "nemesis"))
    .sort((a, b) => a.callIndex - b.callIndex);
  // What each process last saw of each key, in its own order (one operation at a time).
  const lastSeen = new Map<string, WriteNode>();
  const writes = new Map<string, WriteNode>();
  const deletes = new Map<string, { node: WriteNode; operation: Operation }[]>();
  const reads: Operation[] = [];
  for (const op of operations) {
    const key = op.key ?? "";
    const seenKey = `${op.process}\u0000${key}`;
    if (op.f === "get") {
      if (!op.known) continue;
      reads.push(op);
      const value = String(op.output ?? "");
      // A read of nothing may have met a tombstone or no record at all: it is taken to cover nothing.
      const node = value === "" ? undefined : writes.get(`${key}\u0000${value}`);
      if (node === undefined) lastSeen.delete(seenKey);
      else lastSeen.set(seenKey, node);
    } else if (op.f === "put" || op.f === "delete") {
      const node: WriteNode = { value: op.f === "put" ? String(op.input) : "", covers: lastSeen.get(seenKey) };
      if (op.f === "put") writes.set(`${key}\u0000${node.value}`, node);
      // An unknown outcome leaves the client's context as it was, but the next write's is unknown to us.
      if (!op.known) {
        lastSeen.delete(seenKey);
        continue;
      }
      lastSeen.set(seenKey, node);
      if (op.f === "delete" && node.covers !== undefined) {
        if (!deletes.has(key)) deletes.set(key, []);
        deletes.get(key)!.push({ node, operation: op });
      }
    }
  }
  const found: Resurrection[] = [];
  for (const read of reads) {
    if (options.reads === "final" && read.process !== finalProcessId) continue;
    const value = String(read.output ?? "");
    if (value === "") continue;
    const key = read.key ?? "";
    const killer = deletes.get(key)?.find((d) => d.operation.returnIndex < read.callIndex && covered(d.node, value));
    if (killer === undefined) continue;
    found.push({
      key,
      value,
      readProcess: read.process,
      readCallIndex: read.callIndex,
      deleteProcess: killer.operation.process,
      deleteReturnIndex: killer.operation.returnIndex,
    });
  }
  return found;
}

/** The checker: valid when no judged read returned a value a delete had replaced. */
export function noResurrectedDeletes(options: ResurrectionOptions): Checker {
  const name = "no-resurrected-deletes";
  return {
    name,
    check({ events }) {
      const found = resurrectedDeletes(events, options);
      const keys = new Set(found.map((r) => r.key));
      const first = found[0];
      return {
        checker: name,
        valid: found.length === 0,
        message: first === undefined
          ? `no ${options.reads === "final" ? "final " : ""}read returned a value an acknowledged delete replaced`
          : `${found.length} reads on ${keys.size} keys returned deleted values; first: key ${first.key} read ` +
            `${JSON.stringify(first.value)} (process ${first.readProcess}, event ${first.readCallIndex + 1}) after ` +
            `process ${first.deleteProcess} deleted it (acknowledged at event ${first.deleteReturnIndex + 1})`,
        details: first === undefined ? undefined : { resurrected: found.slice(0, 100) },
      };
    },
  };
}
