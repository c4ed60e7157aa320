/**
 * The data a fault schedule is made of. Everything here is plain JSON, so a schedule can be saved
 * with a run and replayed.
 *
 * @module
 */

/**
 * Whom a fault strikes. Resolved when the fault starts, so `{ "role": "leader" }` means the leader
 * at that moment, and random picks come from the run's seed.
 *
 * - `"all"`: every node of the cluster under test;
 * - `{ "nodes": ["n1", 2] }`: by name or id;
 * - `{ "role": "leader" }`: the nodes the system reports in that role;
 * - `{ "random": "one" | "minority" | "majority" | 2, "of"?: Target }`: a random subset;
 * - `{ "region": "eu" }`, `{ "zone": "eu-1" }`: by placement;
 * - `{ "key": "x" }`: the nodes holding key `x`, as the system reports.
 */
export type Target =
  | "all"
  | { nodes: (string | number)[] }
  | { role: string }
  | { random: "one" | "minority" | "majority" | number; of?: Target }
  | { region: string }
  | { zone: string }
  | { key: string };

/** One fault: a kind, its targets, how long it lasts, and kind-specific fields. */
export interface FaultSpec {
  kind: string;
  targets?: Target;
  /** How long the fault lasts; absent on a lasting fault means until the final heal. */
  durationUs?: number;
  [field: string]: unknown;
}

/** A weighted choice of a random mix. */
export interface RandomChoice {
  weight: number;
  fault: FaultSpec;
}

/**
 * A node of a schedule. `at` is microseconds after the start of the enclosing node (the run's
 * start at the top level).
 *
 * - `{ "at": t, "fault": {...} }`: one fault;
 * - `{ "sequence": [...], "gapUs": g }`: one after another, each starting `g` after the previous ends;
 * - `{ "parallel": [...] }`: together;
 * - `{ "repeat": node, "times": n, "everyUs": p }`: periodic (every `p`, `n` times);
 * - `{ "random": { "meanIntervalUs": m, "untilUs": u, "choices": [...] } }`: Poisson arrivals of
 *   faults drawn by weight, from the run's seed.
 */
export type ScheduleNode =
  | { at?: number; fault: FaultSpec }
  | { at?: number; sequence: ScheduleNode[]; gapUs?: number }
  | { at?: number; parallel: ScheduleNode[] }
  | { at?: number; repeat: ScheduleNode; times: number; everyUs: number }
  | { at?: number; random: { meanIntervalUs: number; untilUs: number; choices: RandomChoice[] } };

/**
 * A whole schedule. After the last fault ends (or at `healAtUs`), everything is healed, as Jepsen
 * does, and the run continues for `recoveryUs` so checkers can judge liveness after faults stop.
 */
export interface Schedule {
  faults: ScheduleNode[];
  /** When to heal everything; default: when the last fault ends. */
  healAtUs?: number;
  /** Quiet time after the heal. Default 5 s. */
  recoveryUs?: number;
}

/** What a system tells the nemesis about itself, so faults can target by role. */
export interface ClusterView {
  /** The nodes under test; `"all"` and random picks choose among them. Load generators stay out. */
  nodes: number[];
  /** Role name to the nodes holding it now, e.g. `{ leader: () => [3] }`. */
  roles?: Record<string, () => number[]>;
  /** The nodes that hold `key` now. */
  nodesForKey?: (key: string) => number[];
}

/** A fault placed in time by compiling a schedule. */
export interface TimedFault {
  /** Position in the compiled schedule, from 0, in start order. */
  id: number;
  /** Where it came from in the schedule, for error messages: `faults[1].sequence[0]`. */
  path: string;
  startUs: number;
  /** undefined: lasts until the final heal. Equal to startUs: instantaneous. */
  endUs: number | undefined;
  fault: FaultSpec;
}
