/**
 * The nemesis: it takes a schedule, checks it against the cluster before the run, places it in
 * time from the run's seed, strikes and heals on the kernel's hooks, records every start and heal
 * in the history, heals everything at the end followed by a recovery period, and reports what each
 * fault actually did (its coverage), so a green result that tested nothing is visible.
 *
 * @example
 * ```ts
 * import { Simulation } from "../sim/mod.ts";
 * import { History } from "../history/mod.ts";
 * import { Nemesis } from "./nemesis.ts";
 * const sim = new Simulation({ seed: 1 });
 * // ... add the system's nodes ...
 * const nemesis = new Nemesis({
 *   sim,
 *   cluster: { nodes: [] },
 *   history: new History(),
 *   schedule: { faults: [], recoveryUs: 1_000_000 },
 * });
 * sim.run({ untilUs: nemesis.endUs });
 * nemesis.coverage();
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import type { History } from "../history/mod.ts";
import type { Rng } from "../base/mod.ts";
import type { Simulation } from "../sim/mod.ts";
import { type CoverageReport, type FaultCoverage, measure, touchedBy } from "./coverage.ts";
import type { Effects, FaultKind, FaultRun } from "./kind.ts";
import { faultKind } from "./kinds.ts";
import { LinkCuts } from "./link_cuts.ts";
import {
  checkConflicts,
  checkHeal,
  checkSchedule,
  type CompiledSchedule,
  compileSchedule,
  conflictPlaces,
} from "./schedule.ts";
import { resolveTarget, targetCountMax } from "./targets.ts";
import type { ClusterView, Schedule, Target, TimedFault } from "./types.ts";

/** Options of a nemesis. */
export interface NemesisOptions {
  sim: Simulation;
  cluster: ClusterView;
  /** Where fault events go; default the simulation's own history. */
  history?: History;
  schedule: Schedule;
}

interface ActiveFault {
  run: FaultRun;
  heal: (() => void) | void;
  baseline: Effects;
  coverage: FaultCoverage;
}

/** Drives one schedule on one simulation. Construct it after the nodes exist and before running. */
export class Nemesis {
  readonly compiled: CompiledSchedule;
  readonly #sim: Simulation;
  readonly #cluster: ClusterView;
  readonly #history: History;
  readonly #rng: Rng;
  readonly #cuts: LinkCuts;
  readonly #active = new Map<number, ActiveFault>();
  readonly #coverage: FaultCoverage[] = [];
  #healed = false;

  /** Checks the schedule (throwing an InputError listing every problem), compiles it and arms it. */
  constructor(options: NemesisOptions) {
    const { sim, cluster, history, schedule } = options;
    this.#sim = sim;
    this.#cluster = cluster;
    this.#history = history ?? sim.history;
    this.#rng = sim.rng.fork("nemesis");
    this.#cuts = new LinkCuts(sim.network);
    const problems = checkSchedule(schedule, sim, cluster);
    if (problems.length > 0) throw new InputError(`bad fault schedule:\n  ${problems.join("\n  ")}`);
    this.compiled = compileSchedule(
      schedule,
      this.#rng.fork("schedule"),
      (fault) => targetCountMax(fault.targets, sim, cluster),
    );
    const conflicts = [...checkHeal(this.compiled), ...checkConflicts(this.compiled, sim, cluster)];
    if (conflicts.length > 0) throw new InputError(`bad fault schedule:\n  ${conflicts.join("\n  ")}`);
    if (this.compiled.faults.some((f) => f.startUs < sim.nowUs)) {
      throw new InputError(`the schedule starts before the simulation's current time ${sim.nowUs} us`);
    }
    for (const timed of this.compiled.faults) {
      sim.at(timed.startUs, () => this.#start(timed));
      if (timed.endUs !== undefined && timed.endUs > timed.startUs && timed.endUs < this.compiled.healAtUs) {
        sim.at(timed.endUs, () => this.#stop(timed.id));
      }
    }
    sim.at(Math.max(sim.nowUs, this.compiled.healAtUs), () => this.healAll());
  }

  /** When the recovery period after the final heal ends: run the simulation at least this long. */
  get endUs(): number {
    return this.compiled.endUs;
  }

  /** Heals every active fault and brings every cluster node back (run by the schedule at its end). */
  healAll(): void {
    if (this.#healed) return;
    this.#healed = true;
    for (const id of [...this.#active.keys()].reverse()) this.#stop(id);
    for (const node of this.#cluster.nodes) if (!this.#sim.isUp(node)) this.#sim.restart(node);
    this.#history.add({ process: "nemesis", type: "info", f: "heal-all", value: null, time: this.#sim.nowUs });
  }

  /** What every fault did. Call after the run; a fault still active is measured up to now. */
  coverage(): CoverageReport {
    for (const active of this.#active.values()) this.#settle(active);
    const faults = [...this.#coverage].sort((a, b) => a.id - b.id);
    const operations = this.#history.operations().filter((op) => op.type === "invoke");
    for (const fault of faults) {
      const endUs = fault.endUs ?? this.#sim.nowUs;
      fault.operationsDuring = operations.filter((op) => op.time >= fault.startUs && op.time <= endUs).length;
    }
    const touched = faults.filter((f) => f.touched).length;
    return { faults, faultsTouched: touched, vacuous: touched === 0 };
  }

  #start(timed: TimedFault): void {
    if (this.#healed) return;
    const kind = faultKind(timed.fault.kind)!;
    // Each fault draws from its own stream, named by its place in the schedule, so editing one
    // fault does not change the random picks of the others.
    const context = { sim: this.#sim, cluster: this.#cluster, rng: this.#rng.fork(`fault:${timed.path}`) };
    const targets = resolveTarget(timed.fault.targets, context);
    const run: FaultRun = {
      ...context,
      cuts: this.#cuts,
      timed,
      healAtUs: this.compiled.healAtUs,
      spec: timed.fault,
      targets,
      affected: targets,
      links: undefined,
      effects: {},
      resolve: (field) => resolveTarget(fieldAt(timed.fault, field) as Target, context),
    };
    const coverage: FaultCoverage = {
      id: timed.id,
      kind: kind.kind,
      path: timed.path,
      targets: targets.map((n) => this.#sim.nodeName(n)),
      startUs: this.#sim.nowUs,
      endUs: undefined,
      effects: {},
      touched: false,
      operationsDuring: 0,
    };
    this.#coverage.push(coverage);
    const clash = targets.length === 0
      ? "no node matched the targets"
      : this.#clash(kind, targets) ?? kind.refuse?.(run);
    if (clash !== undefined) {
      coverage.skipped = clash;
      coverage.endUs = this.#sim.nowUs;
      this.#record(kind.kind, "skipped", { id: timed.id, reason: coverage.skipped });
      return;
    }
    const heal = kind.start(run);
    // Starting a fault processes no event, so counters taken now are the fault's baseline.
    const baseline = measure(this.#sim, run.affected, run.links);
    if (kind.area === "network") coverage.leaderCutFromMajority = this.#leaderCut();
    this.#record(kind.kind, "start", { id: timed.id, targets: coverage.targets, ...describe(timed.fault) });
    this.#active.set(timed.id, { run, heal, baseline, coverage });
    if (kind.instantaneous || timed.endUs === timed.startUs) this.#stop(timed.id);
  }

  #stop(id: number): void {
    const active = this.#active.get(id);
    if (active === undefined) return;
    this.#active.delete(id);
    const { run, heal, coverage } = active;
    if (heal) heal();
    this.#settle(active);
    coverage.endUs = this.#sim.nowUs;
    if (!faultKind(run.spec.kind)!.instantaneous) {
      this.#record(run.spec.kind, "heal", { id, targets: coverage.targets });
    }
  }

  /** Fills in a fault's effects: its own counters plus the kernel counters since its start. */
  #settle(active: ActiveFault): void {
    const { run, baseline, coverage } = active;
    const after = measure(this.#sim, run.affected, run.links);
    const effects: Effects = { ...run.effects };
    for (const [name, value] of Object.entries(after)) effects[name] = value - (baseline[name] ?? 0);
    coverage.effects = effects;
    coverage.touched = touchedBy(faultKind(run.spec.kind)!, effects);
  }

  /** Another active fault of the same class on one of these nodes (or their hosts), described, or undefined. */
  #clash(kind: FaultKind, targets: number[]): string | undefined {
    if (kind.conflictClass === undefined) return undefined;
    const { places, name } = conflictPlaces(kind, targets, this.#sim);
    for (const active of this.#active.values()) {
      const other = faultKind(active.run.spec.kind)!;
      if (other.conflictClass !== kind.conflictClass) continue;
      const shared = conflictPlaces(other, active.run.targets, this.#sim).places.filter((p) => places.includes(p));
      if (shared.length > 0) {
        return `fault ${active.coverage.id} (${active.run.spec.kind}) is already active on ${
          shared.map(name).join(", ")
        }`;
      }
    }
    return undefined;
  }

  /** Whether the leader (as the system reports it) now reaches fewer than a majority, both ways. */
  #leaderCut(): boolean | undefined {
    const leader = this.#cluster.roles?.leader?.()[0];
    if (leader === undefined) return undefined;
    const network = this.#sim.network;
    const reachable = this.#cluster.nodes.filter((n) =>
      n === leader || (!network.isBlocked(leader, n) && !network.isBlocked(n, leader))
    );
    return reachable.length <= this.#cluster.nodes.length / 2;
  }

  #record(kind: string, phase: string, details: Record<string, unknown>): void {
    this.#history.add({
      process: "nemesis",
      type: "info",
      f: kind,
      value: { phase, ...details },
      time: this.#sim.nowUs,
    });
  }
}

function fieldAt(spec: Record<string, unknown>, path: string): unknown {
  return path.split(".").reduce<unknown>((value, key) => (value as Record<string, unknown>)?.[key], spec);
}

function describe(spec: Record<string, unknown>): Record<string, unknown> {
  const { kind: _kind, targets: _targets, ...rest } = spec;
  return rest;
}
