/**
 * The lost-committed-writes check: every append a client saw acknowledged must be in the final
 * state of the key-value store. It names the writes that vanished, which a linearizability
 * counterexample only implies. Appends write unique values, so presence is unambiguous; puts
 * overwrite one another and are not judged here (linearizability covers them).
 *
 * @module
 */
import type { CheckResult } from "../../check/result.ts";
import type { Op } from "../../history/history.ts";

/**
 * Checks acknowledged appends against `finalState` (key to value), the state of a server that
 * holds every committed entry; `undefined` when no such server is known, which makes the verdict
 * unknown.
 */
export function checkLostWrites(
  events: readonly Op[],
  finalState: ReadonlyMap<string, string> | undefined,
): CheckResult {
  const acknowledged = events.filter((op) => op.type === "ok" && op.f === "append" && op.key !== undefined);
  if (finalState === undefined) {
    return {
      checker: "lost-committed-writes",
      valid: "unknown",
      message: "no server was known to hold every committed entry at the end of the run",
    };
  }
  const lost = acknowledged.filter((op) => !(finalState.get(op.key!) ?? "").includes(String(op.value)));
  return {
    checker: "lost-committed-writes",
    valid: lost.length === 0,
    message: lost.length === 0
      ? `all ${acknowledged.length} acknowledged appends are in the final state`
      : `${lost.length} of ${acknowledged.length} acknowledged appends are missing from the final state, first ` +
        `${JSON.stringify(lost[0].value)} on key ${lost[0].key} (acknowledged at ${lost[0].time} us)`,
    details: lost.length === 0 ? undefined : { lost: lost.slice(0, 20) },
  };
}
