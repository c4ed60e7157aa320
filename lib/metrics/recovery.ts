/**
 * Recovery objectives measured from a history: how long each fault kept the service down (RTO)
 * and which acknowledged writes a run lost (RPO).
 *
 * RTO (recovery time), per nemesis fault: the time from the fault's start until service is
 * restored. Service is restored at the start of the first window of `windowUs` (default 1 s),
 * sliding from the fault's start in steps of `stepUs` (default windowUs / 10), in which
 * availability (ok / completed operations, as in {@linkcode windowedSeries}: an operation counts
 * in the window its completion falls in) is at least `availabilityMin` (default 0.99) and at
 * least one operation was ok. Only windows that end by the history's end are tried, and when
 * none qualifies the fault was never restored: `restoredUs` and `rtoUs` are undefined. A fault
 * that did not hurt the service has RTO 0; the resolution is one step.
 *
 * RPO (recovery point): given the values present at the end (what a final read or the durable
 * state shows), an acknowledged write (`ok` of `write` or `put`) whose value is absent is lost.
 * This is set semantics, right for append-only logs, sets and journals, and for key-value
 * histories whose keys are each written once; a register's overwritten values are absent without
 * being lost, so pass the values its durable log holds instead. For each lost write, the gap is
 * the time from its acknowledgement to the start of the next fault (at or after it): the span of
 * committed data the fault took. When no fault starts after the acknowledgement but one started
 * while the write was in flight (after its invocation), the acknowledgement was on its way when
 * that fault struck, so the data was committed just before it: that fault is named and the gap is
 * 0. (The echo server that answers before its fsync loses requests exactly so.) When neither
 * exists the gap runs to the history's end. `rpoUs` is the largest gap, 0 when nothing was lost.
 *
 * @example
 * ```ts
 * import { recoveryPoint } from "./recovery.ts";
 * const result = recoveryPoint([
 *   { process: 0, type: "invoke", f: "write", value: 1, time: 0 },
 *   { process: 0, type: "ok", f: "write", value: 1, time: 100 },
 *   { process: "nemesis", type: "info", f: "crash", value: { phase: "start", id: 0, targets: ["n1"] }, time: 400 },
 * ], { present: [] });
 * result.rpoUs; // 300
 * ```
 * @module
 */
import { checkNumber, InputError } from "../assert.ts";
import { faultWindows, type Op } from "../history/mod.ts";
import { completedOperations, type Events, eventsOf, lowerBound } from "./_operations.ts";
import { writeFunctions } from "./staleness.ts";

/** A bound on the windows tried per run, so a tiny step fails loudly instead of running for hours. */
export const recoveryWindowsMax = 10_000_000;

/** Options of {@linkcode recoveryTimes}. */
export interface RecoveryTimeOptions {
  /** Length of the window that must show restored service; default 1 s. */
  windowUs?: number;
  /** How far the window slides per try; default windowUs / 10. */
  stepUs?: number;
  /** Availability a window needs to count as restored; default 0.99. */
  availabilityMin?: number;
  /** End of the history; default the last event's time. */
  endUs?: number;
}

/** One fault's recovery time. */
export interface RecoveryTimeRow {
  id: number;
  kind: string;
  targets: string[];
  startUs: number;
  /** When the fault healed, or the history's end when it never did. */
  healUs: number;
  /** Start of the first window of restored service; undefined when service never came back. */
  restoredUs: number | undefined;
  /** restoredUs − startUs; undefined when service never came back. */
  rtoUs: number | undefined;
}

/**
 * The RTO of every fault in the history, in order of fault start.
 *
 * @param events the history's events, or the `History` itself
 * @param options the window, its step, the availability that counts as restored, and the end
 * @returns one row per fault
 *
 * @example
 * ```ts
 * import { recoveryTimes } from "./recovery.ts";
 * import type { Op } from "../history/mod.ts";
 * const events: Op[] = [{ process: "nemesis", type: "info", f: "crash", value: { phase: "start", id: 0 }, time: 0 }];
 * for (let i = 0; i < 30; i++) {
 *   events.push({ process: 0, type: "invoke", f: "read", value: null, time: i * 100_000 });
 *   events.push({ process: 0, type: i < 10 ? "fail" : "ok", f: "read", value: null, time: i * 100_000 + 50_000 });
 * }
 * recoveryTimes(events, { windowUs: 1_000_000 })[0].rtoUs; // 1_000_000
 * ```
 */
export function recoveryTimes(events: Events, options: RecoveryTimeOptions = {}): RecoveryTimeRow[] {
  const ops = eventsOf(events);
  const windowUs = checkNumber("windowUs", options.windowUs ?? 1_000_000, { min: 1 });
  const stepUs = checkNumber("stepUs", options.stepUs ?? windowUs / 10, { min: 1 });
  const availabilityMin = checkNumber("availabilityMin", options.availabilityMin ?? 0.99, { min: 0, max: 1 });
  const endUs = options.endUs === undefined ? (ops.at(-1)?.time ?? 0) : checkNumber("endUs", options.endUs);
  const completions = completionColumns(ops);
  const faults = faultWindows(ops, endUs);
  const tries = faults.reduce((sum, fault) => sum + Math.max(0, (endUs - fault.startUs) / stepUs), 0);
  if (tries > recoveryWindowsMax) {
    throw new InputError(
      `${Math.ceil(tries)} windows to try exceed recoveryWindowsMax ${recoveryWindowsMax}; raise stepUs`,
    );
  }
  return faults.map((fault) => {
    const restoredUs = firstRestoredUs(completions, {
      fromUs: fault.startUs,
      endUs,
      windowUs,
      stepUs,
      availabilityMin,
    });
    return {
      id: fault.id,
      kind: fault.kind,
      targets: fault.targets,
      startUs: fault.startUs,
      healUs: fault.endUs,
      restoredUs,
      rtoUs: restoredUs === undefined ? undefined : restoredUs - fault.startUs,
    };
  });
}

interface CompletionColumns {
  /** Completion times, non-decreasing. */
  timesUs: Float64Array;
  /** okBefore[i]: ok completions among the first i. */
  okBefore: Int32Array;
}

function completionColumns(ops: readonly Op[]): CompletionColumns {
  const completed = completedOperations(ops);
  const timesUs = new Float64Array(completed.length);
  const okBefore = new Int32Array(completed.length + 1);
  completed.forEach(({ completion }, i) => {
    timesUs[i] = completion.time;
    okBefore[i + 1] = okBefore[i] + (completion.type === "ok" ? 1 : 0);
  });
  return { timesUs, okBefore };
}

/** The start of the first qualifying window at or after `fromUs` that ends by `endUs`. */
function firstRestoredUs(
  completions: CompletionColumns,
  search: { fromUs: number; endUs: number; windowUs: number; stepUs: number; availabilityMin: number },
): number | undefined {
  const { fromUs, endUs, windowUs, stepUs, availabilityMin } = search;
  for (let k = 0; fromUs + k * stepUs + windowUs <= endUs; k++) {
    const startUs = fromUs + k * stepUs;
    // Half-open [startUs, startUs + windowUs), as windowed series count completions.
    const lo = lowerBound(completions.timesUs, startUs);
    const hi = lowerBound(completions.timesUs, startUs + windowUs);
    const ok = completions.okBefore[hi] - completions.okBefore[lo];
    if (ok > 0 && ok / (hi - lo) >= availabilityMin) return startUs;
  }
  return undefined;
}

/** Options of {@linkcode recoveryPoint}. */
export interface RecoveryPointOptions {
  /**
   * The values present at the end: a list for a history without keys (or to match values
   * whatever their key), or a record of lists by key, where writes without a key look under "".
   * Values compare by their JSON text.
   */
  present: Iterable<unknown> | Readonly<Record<string, Iterable<unknown>>>;
  /** End of the history; default the last event's time. */
  endUs?: number;
}

/** One acknowledged write missing at the end. */
export interface LostWriteRow {
  /** The write's key; null for a history without keys. */
  key: string | null;
  value: unknown;
  ackUs: number;
  /**
   * Start of the first fault at or after the acknowledgement, or else of one that struck while the
   * write was in flight; undefined when neither exists.
   */
  faultStartUs: number | undefined;
  /** From the acknowledgement to that fault's start (0 for one that struck in flight; to the end when none). */
  gapUs: number;
}

/** Acknowledged writes lost by a run. */
export interface RecoveryPointResult {
  /** Acknowledged writes in the history. */
  acknowledged: number;
  lostCount: number;
  lostValues: unknown[];
  lost: LostWriteRow[];
  /** The largest gap of a lost write; 0 when nothing was lost. */
  rpoUs: number;
}

/**
 * The acknowledged writes missing from the final state, and the RPO they imply.
 *
 * @param events the history's events, or the `History` itself
 * @param options the values present at the end
 * @returns lost writes, their count and values, and rpoUs
 *
 * @example
 * ```ts
 * import { recoveryPoint } from "./recovery.ts";
 * recoveryPoint([
 *   { process: 0, type: "invoke", f: "put", key: "a", value: 1, time: 0 },
 *   { process: 0, type: "ok", f: "put", key: "a", value: 1, time: 10 },
 * ], { present: { a: [1] } }).lostCount; // 0
 * ```
 */
export function recoveryPoint(events: Events, options: RecoveryPointOptions): RecoveryPointResult {
  const ops = eventsOf(events);
  const endUs = options.endUs === undefined ? (ops.at(-1)?.time ?? 0) : checkNumber("endUs", options.endUs);
  const isPresent = presence(options.present);
  const faultStartsUs = faultWindows(ops, endUs).map((fault) => fault.startUs).sort((a, b) => a - b);
  let acknowledged = 0;
  const lost: LostWriteRow[] = [];
  for (const { invocation, completion } of completedOperations(ops)) {
    if (!writeFunctions.includes(invocation.f) || completion.type !== "ok") continue;
    acknowledged++;
    const key = invocation.key ?? null;
    if (isPresent(key, invocation.value)) continue;
    const { faultStartUs, gapUs } = lossHorizon(faultStartsUs, invocation.time, completion.time, endUs);
    lost.push({ key, value: invocation.value, ackUs: completion.time, faultStartUs, gapUs });
  }
  return {
    acknowledged,
    lostCount: lost.length,
    lostValues: lost.map((row) => row.value),
    lost,
    rpoUs: lost.reduce((most, row) => Math.max(most, row.gapUs), 0),
  };
}

/** The fault that took a write acknowledged at `ackUs`, and the gap to it (see the module doc). */
function lossHorizon(
  faultStartsUs: readonly number[],
  invokeUs: number,
  ackUs: number,
  endUs: number,
): { faultStartUs: number | undefined; gapUs: number } {
  const next = lowerBound(faultStartsUs, ackUs);
  if (next < faultStartsUs.length) return { faultStartUs: faultStartsUs[next], gapUs: faultStartsUs[next] - ackUs };
  const struckInFlight = next > 0 && faultStartsUs[next - 1] >= invokeUs;
  if (struckInFlight) return { faultStartUs: faultStartsUs[next - 1], gapUs: 0 };
  return { faultStartUs: undefined, gapUs: Math.max(0, endUs - ackUs) };
}

function presence(present: RecoveryPointOptions["present"]): (key: string | null, value: unknown) => boolean {
  const text = (value: unknown) => JSON.stringify(value === undefined ? null : value);
  if (present === null || typeof present !== "object") {
    throw new InputError("present must be a list of values, or a record of lists by key");
  }
  if (Symbol.iterator in present) {
    const values = new Set(Array.from(present as Iterable<unknown>, text));
    return (_key, value) => values.has(text(value));
  }
  const byKey = new Map<string, Set<string>>();
  for (const [key, values] of Object.entries(present)) byKey.set(key, new Set(Array.from(values, text)));
  return (key, value) => byKey.get(key ?? "")?.has(text(value)) ?? false;
}
