/**
 * Hand-made histories for the metrics tests: operations given by their invocation and
 * completion times, merged into one history in time order. Private to the tests.
 *
 * @module
 */
import type { Op } from "../history/history.ts";

/** One client operation: `completeUs` undefined leaves it pending. */
export interface OperationSpec {
  process: number;
  f: string;
  key?: string;
  /** The invocation's value (what a write writes). */
  value?: unknown;
  /** The completion's value (what a read returned); default `value`. */
  result?: unknown;
  invokeUs: number;
  completeUs?: number;
  /** Default "ok". */
  type?: "ok" | "fail" | "info";
}

/** The events of `operations` and `extra` events, sorted by time (ties keep the given order). */
export function history(operations: readonly OperationSpec[], extra: readonly Op[] = []): Op[] {
  const events: Op[] = [];
  for (const spec of operations) {
    const base = { process: spec.process, f: spec.f, ...(spec.key === undefined ? {} : { key: spec.key }) };
    events.push({ ...base, type: "invoke", value: spec.value ?? null, time: spec.invokeUs });
    if (spec.completeUs === undefined) continue;
    const value = spec.result === undefined ? (spec.value ?? null) : spec.result;
    events.push({ ...base, type: spec.type ?? "ok", value, time: spec.completeUs });
  }
  events.push(...extra);
  return events.sort((a, b) => a.time - b.time);
}

/** A nemesis fault's start and, when `healUs` is given, its heal. */
export function fault(kind: string, id: number, startUs: number, healUs?: number): Op[] {
  const start: Op = {
    process: "nemesis",
    type: "info",
    f: kind,
    value: { phase: "start", id, targets: ["n1"] },
    time: startUs,
  };
  if (healUs === undefined) return [start];
  return [start, {
    process: "nemesis",
    type: "info",
    f: kind,
    value: { phase: "heal", id, targets: ["n1"] },
    time: healUs,
  }];
}

/**
 * A closed loop of one operation every `periodUs` from `fromUs` to before `toUs`, each taking
 * `latencyUs`, with the completion type `type(invokeUs)` decides.
 */
export function loop(
  options: { process: number; f: string; fromUs: number; toUs: number; periodUs: number; latencyUs: number },
  type: (invokeUs: number) => "ok" | "fail" | "info" = () => "ok",
): OperationSpec[] {
  const specs: OperationSpec[] = [];
  for (let t = options.fromUs; t < options.toUs; t += options.periodUs) {
    specs.push({
      process: options.process,
      f: options.f,
      invokeUs: t,
      completeUs: t + options.latencyUs,
      type: type(t),
    });
  }
  return specs;
}
