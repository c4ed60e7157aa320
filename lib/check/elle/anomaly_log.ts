/**
 * Where analyses put the anomalies they find: every anomaly is counted, and the first few of
 * each type are kept with their explanations (a history with ten thousand aborted reads needs
 * its count and a handful of examples, not ten thousand explanations).
 *
 * @example
 * ```ts
 * import { AnomalyLog } from "./anomaly_log.ts";
 * const log = new AnomalyLog(4);
 * log.add("G1a", () => ({ type: "G1a", explanation: "T2 read x = [1], appended by aborted T1" }));
 * log.counts(); // { G1a: 1 }
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { Anomaly, AnomalyType } from "./types.ts";

/** Anomalies by type: counted all, kept up to a maximum per type. */
export class AnomalyLog {
  readonly keptPerTypeMax: number;
  readonly #kept: Anomaly[] = [];
  readonly #counts = new Map<AnomalyType, number>();

  constructor(keptPerTypeMax: number) {
    assert(Number.isInteger(keptPerTypeMax) && keptPerTypeMax >= 1, `bad keptPerTypeMax ${keptPerTypeMax}`);
    this.keptPerTypeMax = keptPerTypeMax;
  }

  /** Counts an anomaly of `type`; builds and keeps it only while fewer than the maximum are kept. */
  add(type: AnomalyType, build: () => Anomaly): void {
    const count = this.#counts.get(type) ?? 0;
    this.#counts.set(type, count + 1);
    if (count >= this.keptPerTypeMax) return;
    const anomaly = build();
    assert(anomaly.type === type, `an anomaly counted as ${type} was built as ${anomaly.type}`);
    this.#kept.push(anomaly);
  }

  /** Whether any anomaly of `type` was counted. */
  has(type: AnomalyType): boolean {
    return this.#counts.has(type);
  }

  /** The types counted. */
  types(): AnomalyType[] {
    return [...this.#counts.keys()];
  }

  /** How many of each type were found. */
  counts(): Partial<Record<AnomalyType, number>> {
    return Object.fromEntries(this.#counts);
  }

  /** The anomalies kept, in the order they were found. */
  kept(): Anomaly[] {
    return [...this.#kept];
  }
}
