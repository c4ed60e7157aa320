/**
 * Fault bands for timelines, from the nemesis events of a history.
 *
 * @example
 * ```ts
 * import { faultBandsFromHistory } from "./bands.ts";
 * const bands = faultBandsFromHistory([], 10_000_000); // []
 * ```
 * @module
 */
import { checkNumber, InputError } from "../assert.ts";
import { faultWindows, type Op } from "../history/mod.ts";
import type { Band } from "./charts.ts";

/**
 * One band per fault of the history, from its start to its heal (or to `runEndUs` when it never
 * healed), labelled with the fault kind and its targets ("crash n1", "partition n0,n2"), in order
 * of start. Windows come from `faultWindows` (lib/history/fault_windows.ts), so starts and heals
 * pair by fault id and `heal-all` closes whatever is open.
 *
 * @param events the history's events (client events are ignored)
 * @param runEndUs the end of the run, in microseconds
 * @returns bands for `latencyTimeline` and `throughputLatencyTimeline`
 *
 * @example
 * ```ts
 * import { faultBandsFromHistory } from "./bands.ts";
 * faultBandsFromHistory([
 *   { process: "nemesis", type: "info", f: "crash", value: { phase: "start", id: 0, targets: ["n1"] }, time: 400 },
 *   { process: "nemesis", type: "info", f: "crash", value: { phase: "heal", id: 0 }, time: 900 },
 * ], 2_000); // [{ startUs: 400, endUs: 900, label: "crash n1" }]
 * ```
 */
export function faultBandsFromHistory(events: readonly Op[], runEndUs: number): Band[] {
  checkNumber("runEndUs", runEndUs, { min: 0 });
  return faultWindows(events, runEndUs).map((window) => {
    if (window.endUs < window.startUs) {
      // Only an unhealed fault can end before it starts: it ends at runEndUs, which was too early.
      throw new InputError(
        `runEndUs ${runEndUs} is before fault ${window.id} (${window.kind}) starts at ${window.startUs}`,
      );
    }
    const label = window.targets.length === 0 ? window.kind : `${window.kind} ${window.targets.join(",")}`;
    return { startUs: window.startUs, endUs: window.endUs, label };
  });
}
