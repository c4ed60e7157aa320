/**
 * What a fault kind is: its fields (checked before the run), how it starts, and how it heals.
 *
 * @module
 */
import type { Rng } from "../base/mod.ts";
import type { Simulation } from "../sim/mod.ts";
import type { LinkCuts } from "./link_cuts.ts";
import type { ClusterView, FaultSpec, TimedFault } from "./types.ts";

/** A field of a fault spec and what it allows. */
export interface FieldSpec {
  type: "number" | "integer" | "boolean" | "string" | "target" | "targets";
  /** For strings: the values allowed. */
  choices?: readonly string[];
  min?: number;
  max?: number;
  required?: boolean;
  description: string;
}

/** Counters of what one fault did, filled while it is active. Names say what is counted. */
export type Effects = Record<string, number>;

/** Everything a fault needs while it runs. */
export interface FaultRun {
  sim: Simulation;
  cluster: ClusterView;
  rng: Rng;
  /** The nemesis's link cuts and degradations, shared by its faults so that overlapping ones compose. */
  cuts: LinkCuts;
  timed: TimedFault;
  /** When the nemesis heals everything: a fault that ends by itself must not outlast it. */
  healAtUs: number;
  spec: FaultSpec;
  /** The nodes the fault strikes, resolved at its start. */
  targets: number[];
  /** Nodes whose counters the coverage report measures; starts as `targets`. */
  affected: number[];
  /** The directed links a network fault cut or degraded: message counters are read on these alone. */
  links: [number, number][] | undefined;
  /** Kind-specific counters (writes lost, events queued while paused, bits flipped...). */
  effects: Effects;
  /** Resolves another target field of the spec (for example a one-way partition's `to`). */
  resolve(field: string): number[];
}

/** The areas of the vocabulary, as docs/faults.md lists them. */
export type FaultArea = "network" | "process" | "disk" | "clock" | "resource";

/** A fault kind. */
export interface FaultKind {
  kind: string;
  area: FaultArea;
  /** One line for docs and `--help`. */
  summary: string;
  /** A spec that shows the kind in use (the example docs/faults.md shows). */
  example: FaultSpec;
  /** Kind-specific fields (besides kind, targets and durationUs). */
  fields: Record<string, FieldSpec>;
  /** Faults of one class contradict each other when they overlap on a node. */
  conflictClass?: string;
  /**
   * The kind acts on the targets' hosts (a shared disk device), so faults of its class contradict
   * each other when they overlap on a host, even through different nodes placed there.
   */
  conflictsByHost?: boolean;
  /** Happens at an instant: no duration, nothing to heal. */
  instantaneous?: boolean;
  /** Needs `durationUs`. */
  durationRequired?: boolean;
  /** The duration implied by the spec when the kind computes its own (a rolling restart). */
  impliedDurationUs?(spec: FaultSpec, targetCount: number): number;
  /** Why the fault cannot strike as resolved now (it is then skipped and recorded), or undefined. */
  refuse?(run: FaultRun): string | undefined;
  /** Starts the fault; returns how to heal it (nothing for instantaneous kinds). */
  start(run: FaultRun): (() => void) | void;
  /** Whether the fault did something the system could notice, judged from its effects. */
  touched(effects: Effects): boolean;
}

/** Field specs shared by many kinds. */
export const commonFields: Record<string, FieldSpec> = {
  kind: { type: "string", required: true, description: "the fault kind" },
  targets: { type: "target", description: "whom it strikes (default: all cluster nodes)" },
  durationUs: { type: "integer", min: 0, description: "how long it lasts (default: until the final heal)" },
};
