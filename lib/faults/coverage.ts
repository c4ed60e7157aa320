/**
 * Fault coverage: what each fault actually did, measured from the kernel's counters on the nodes
 * it affected between its start and its heal, so a run whose faults touched nothing is flagged.
 *
 * @module
 */
import type { Simulation } from "../sim/mod.ts";
import type { Effects, FaultKind } from "./kind.ts";

/** What one fault did. */
export interface FaultCoverage {
  id: number;
  kind: string;
  path: string;
  targets: string[];
  startUs: number;
  endUs: number | undefined;
  /**
   * Counters over the window: messagesSent, messagesDropped, messagesDuplicated (on links touching
   * the affected nodes), messagesDroppedWhileDown, eventsHandled, diskOperations, clockReadsSkewed,
   * and kind-specific ones (writesLost, eventsQueuedWhilePaused, bitsFlipped, neighbourCpuUs...).
   */
  effects: Effects;
  /** Client operations invoked while the fault was active. */
  operationsDuring: number;
  /** For network faults: whether the leader was cut off from a majority (when the system has one). */
  leaderCutFromMajority?: boolean;
  /** Why the fault did not strike (no node matched, or a contradictory fault was active). */
  skipped?: string;
  /** Whether it did something the system could notice. */
  touched: boolean;
}

/** Coverage of a whole run. */
export interface CoverageReport {
  faults: FaultCoverage[];
  faultsTouched: number;
  /** True when no fault touched anything: a green result here tested nothing. */
  vacuous: boolean;
}

/**
 * Current totals of the counters coverage reads, over `nodes`, and over `links` when given (else
 * every link touching `nodes`).
 */
export function measure(sim: Simulation, nodes: number[], links?: [number, number][]): Effects {
  const set = new Set(nodes);
  const totals: Effects = {
    messagesSent: 0,
    messagesDropped: 0,
    messagesDuplicated: 0,
    messagesDroppedWhileDown: 0,
    eventsHandled: 0,
    diskOperations: 0,
    clockReadsSkewed: 0,
  };
  const counted = links === undefined
    ? sim.network.linkStats().filter((l) => set.has(l.from) || set.has(l.to))
    : links.map(([from, to]) => sim.network.link(from, to));
  for (const link of counted) {
    totals.messagesSent += link.sent;
    totals.messagesDropped += link.dropped;
    totals.messagesDuplicated += link.duplicated;
  }
  for (const node of nodes) {
    const stats = sim.nodeStats(node);
    totals.messagesDroppedWhileDown += stats.messagesDroppedWhileDown;
    totals.eventsHandled += stats.eventsHandled;
    totals.diskOperations += stats.diskOperations;
    totals.clockReadsSkewed += stats.clockReadsSkewed;
  }
  return totals;
}

/** Whether a fault of `kind` with these effects touched the system. */
export function touchedBy(kind: FaultKind, effects: Effects): boolean {
  return kind.touched(new Proxy(effects, { get: (target, name) => target[name as string] ?? 0 }));
}
