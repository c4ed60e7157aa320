/**
 * `acknowledged-elements`: with `add` puts (each put adds a unique element to its key's set), no
 * acknowledged element is missing from its key's final read. The point of merging siblings over
 * last-writer-wins: two clients that add concurrently both keep their element under `merge` (or
 * under `keep`, the client reconciling), while last-writer-wins keeps one of the two sets.
 *
 * A delete removes what its client had seen, so an element is judged only when no delete of its
 * key could have seen it: none returned (or stayed unknown) after the put was invoked.
 *
 * @example
 * ```ts
 * import { lostElements } from "./elements.ts";
 * const events = [
 *   { process: 0, type: "invoke", f: "put", key: "k0", value: "0:1", time: 0 },
 *   { process: 1, type: "invoke", f: "put", key: "k0", value: "1:1", time: 0 },
 *   { process: 0, type: "ok", f: "put", key: "k0", value: "0:1", time: 5 },
 *   { process: 1, type: "ok", f: "put", key: "k0", value: "1:1", time: 6 },
 * ] as const;
 * lostElements(events as never, new Map([["k0", "1:1"]])).length; // 1: 0:1 was lost
 * ```
 * @module
 */
import { type Operation, pairOperations } from "../../../check/mod.ts";
import { type Checker, clientOperations } from "../../../harness/mod.ts";
import type { Op } from "../../../history/mod.ts";
import { elementSeparator, siblingSeparator } from "../mod.ts";

/** An acknowledged element its key's final read does not hold. */
export interface LostElement {
  key: string;
  element: string;
  process: number;
  /** Where the put was acknowledged in the history. */
  returnIndex: number;
}

/** The elements of a final read: a set, or a `keep` read's siblings, each a set. */
function finalElements(value: unknown): Set<string> {
  const text = typeof value === "string" ? value : "";
  return new Set(text.split(siblingSeparator).flatMap((s) => s.split(elementSeparator)).filter((e) => e !== ""));
}

/** Every acknowledged put whose element the final read of its key lacks, deletes excused (see the module doc). */
export function lostElements(events: readonly Op[], finalValues: ReadonlyMap<string, unknown>): LostElement[] {
  const operations = pairOperations(clientOperations(events));
  const deletes = new Map<string, Operation[]>();
  for (const op of operations) {
    if (op.f !== "delete") continue;
    const key = op.key ?? "";
    if (!deletes.has(key)) deletes.set(key, []);
    deletes.get(key)!.push(op);
  }
  const lost: LostElement[] = [];
  for (const op of operations) {
    if (op.f !== "put" || !op.known || op.returnIndex === Infinity) continue;
    const key = op.key ?? "";
    if (!finalValues.has(key)) continue;
    if ((deletes.get(key) ?? []).some((d) => d.returnIndex > op.callIndex)) continue;
    const element = String(op.input);
    if (finalElements(finalValues.get(key)).has(element)) continue;
    lost.push({ key, element, process: op.process, returnIndex: op.returnIndex });
  }
  return lost;
}

/** The check: no acknowledged element is lost (see the module doc). */
export const acknowledgedElementsKept: Checker = {
  name: "acknowledged-elements",
  check({ events, finalValues }) {
    const name = acknowledgedElementsKept.name;
    if (finalValues === undefined) return { checker: name, valid: "unknown", message: "no final reads to judge" };
    const lost = lostElements(events, finalValues);
    if (lost.length === 0) {
      return { checker: name, valid: true, message: "every acknowledged element is in its key's final read" };
    }
    const first = lost[0];
    return {
      checker: name,
      valid: false,
      message: `${lost.length} acknowledged elements missing from their keys' final reads; first: ` +
        `${first.element} of key ${first.key}, put by process ${first.process} (acknowledged, event ` +
        `${first.returnIndex + 1})`,
    };
  },
};
