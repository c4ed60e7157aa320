/**
 * One run on the harness, in phases, as TigerBeetle's simulator and Jepsen run theirs:
 *
 * 1. **Warm-up** (`warmupUs`): clients run, no fault may start (the schedule is refused if one does).
 * 2. **Faults**: the nemesis plays the schedule.
 * 3. **Heal**: everything heals at the schedule's heal time.
 * 4. **Recovery**, bounded by `recoveryBoundUs`: after the heal the system must complete an
 *    operation and converge (its `converged()` holds). Missing the bound is a liveness failure,
 *    reported apart from safety. A heal late in the run extends it until the system has recovered
 *    or the bound has passed, so liveness is always judged. Once recovered, the system must stay
 *    so: losing convergence for longer than the bound before the end is a liveness failure too.
 * 5. **Final**: at `durationUs` (or the end of that extension) clients stop starting operations,
 *    the operations in flight complete (within `finalBoundUs`), and the workload's final
 *    operations run (a read of every key), within `finalBoundUs`.
 * 6. **Checks**: the workload's checkers on the history, the system's invariants (checked every
 *    `invariantEveryUs` as the run goes and once at the end), liveness, and the standard figures.
 *
 * A violation names the seed, the time and what broke, and every run hands back the command-free
 * facts a report needs (hash, events, schedule, coverage).
 *
 * @example
 * ```ts
 * import { runSystem } from "./run.ts";
 * // runSystem({ system, options, workload, schedule, phases, seed }) — see lib/systems/register.
 * typeof runSystem; // "function"
 * ```
 * @module
 */
import { assert, InputError } from "../assert.ts";
import type { CheckResult } from "../check/mod.ts";
import { type CoverageReport, Nemesis, type Schedule } from "../faults/mod.ts";
import { Simulation, type SimulationOptions } from "../sim/mod.ts";
import type { ClientContext, ClusterHandle, Outcome, Request, SystemClient, SystemDefinition } from "./system.ts";
import { clientProcess, elementsOf, finalOperationsProcess, type Workload } from "./workload.ts";

/** The phases of a run (all times true time from the run's start, in microseconds). */
export interface Phases {
  /** No fault may start before this. */
  warmupUs: number;
  /** When clients stop starting operations; the final operations follow. */
  durationUs: number;
  /** After the heal, an operation must complete and the system converge within this. */
  recoveryBoundUs: number;
  /** How long the operations in flight at the end may take to complete, and then the final operations; default 2 s each. */
  finalBoundUs?: number;
  /** How often invariants are checked during the run; default 10 ms. 0: only at the end. */
  invariantEveryUs?: number;
  /**
   * Whether a run whose system has not recovered by its end goes on until it has or the bound has
   * passed (default true). Without it, a heal too late to judge makes liveness "unknown".
   */
  extendForLiveness?: boolean;
}

/** Everything a run needs. */
export interface RunSpec<M, O, C extends ClusterHandle = ClusterHandle> {
  system: SystemDefinition<M, O, C>;
  options: O;
  workload: Workload;
  schedule: Schedule;
  phases: Phases;
  seed: number;
  /** Kernel options beyond the seed (network latency, history retention...). */
  simulation?: Omit<SimulationOptions, "seed">;
  /**
   * Called once the cluster and nemesis exist, before the run (so at a shared instant the faults
   * come first): schedule kernel-side probes with `sim.at`, up to `endUs`, the end of the main phase.
   */
  probe?: (sim: Simulation, cluster: C, run: { endUs: number }) => void;
}

/** The first violation of an invariant. */
export interface InvariantViolation {
  invariant: string;
  timeUs: number;
  message: string;
}

/** A finished run. */
export interface HarnessRun<C extends ClusterHandle = ClusterHandle> {
  seed: number;
  sim: Simulation;
  cluster: C;
  schedule: Schedule;
  coverage: CoverageReport;
  /** When the nemesis healed everything. */
  healUs: number;
  /** When, after the heal, an operation had completed and the system had converged; undefined: not within the bound. */
  recoveredUs: number | undefined;
  /** When clients stopped starting operations. */
  endUs: number;
  /** Values the final operations read, by key ("" for none); undefined without final operations. */
  finalValues: Map<string, unknown> | undefined;
  violations: InvariantViolation[];
  /** The written values a final value holds (the workload's `finalElements`). */
  elements: (value: unknown) => readonly unknown[];
  /** One check per invariant, then liveness, then the workload's checkers. */
  checks: CheckResult[];
}

/** Most invariant checkpoints in one run: a tiny interval over a long run fails before it starts. */
export const invariantCheckpointsMax = 1_000_000;
/** How often the recovery phase looks for progress and convergence. */
const recoveryPollUs = 5_000;

/** Runs `spec` through its phases and checks it. */
export function runSystem<M, O, C extends ClusterHandle = ClusterHandle>(spec: RunSpec<M, O, C>): HarnessRun<C> {
  const { system, workload, phases } = spec;
  checkPhases(phases);
  const sim = new Simulation({ ...spec.simulation, seed: spec.seed });
  const cluster = system.build(sim, spec.options);
  assert(cluster.servers.length > 0, `${system.name}: build() returned no servers`);
  let open = true;
  const client = (context: ClientContext<M>) => system.client(context, cluster, spec.options);
  for (let index = 0; index < workload.processes; index++) {
    const generator = workload.generatorFor?.(index) ?? workload.generator;
    sim.addNode<M>({
      name: `client${index}`,
      create: (api) =>
        clientProcess(api, {
          client,
          generator,
          thinkTimeUsMean: workload.thinkTimeUsMean,
          open: () => open,
        }),
    });
  }
  const nemesis = new Nemesis({
    sim,
    cluster: { nodes: [...cluster.servers], roles: cluster.roles, nodesForKey: cluster.nodesForKey },
    schedule: spec.schedule,
  });
  const healUs = nemesis.compiled.healAtUs;
  const firstFault = nemesis.compiled.faults[0];
  if (firstFault !== undefined && firstFault.startUs < phases.warmupUs) {
    throw new InputError(
      `${firstFault.path}: ${firstFault.fault.kind} starts at ${firstFault.startUs} us, inside the warm-up ` +
        `(faults may start from ${phases.warmupUs} us)`,
    );
  }
  const violations = watchInvariants(sim, cluster, phases);
  const mainEndUs = Math.max(phases.durationUs, nemesis.endUs);
  const recovery = watchRecovery(sim, cluster, healUs, phases, mainEndUs);
  spec.probe?.(sim, cluster, { endUs: mainEndUs });
  // The schedule's own recovery period belongs to the run, however short `durationUs` is.
  sim.run({ untilUs: mainEndUs });
  // A heal late in the run (or after it) still gets its whole recovery phase: clients go on until
  // the system has recovered or the bound has passed, so liveness is judged.
  const deadlineUs = healUs + phases.recoveryBoundUs;
  if ((phases.extendForLiveness ?? true) && recovery.recoveredUs() === undefined && sim.nowUs < deadlineUs) {
    sim.run({ until: () => recovery.recoveredUs() !== undefined, untilUs: deadlineUs });
  }
  // Convergence lost after the recovery, near the end: go on until it is regained or the bound passes.
  if ((phases.extendForLiveness ?? true) && recovery.diverging()) {
    sim.run({ until: () => !recovery.diverging(), untilUs: sim.nowUs + phases.recoveryBoundUs + recoveryPollUs });
  }
  const endUs = sim.nowUs;
  open = false;
  if (spec.workload.final !== undefined && spec.workload.final.length > 0) drainClients(sim, phases);
  const finalValues = runFinal(sim, spec.workload.final, spec.phases, client);
  checkInvariants(sim, cluster, violations, true);
  const checks = [
    ...invariantChecks(violations, cluster, spec.seed),
    livenessCheck(recovery.recoveredUs(), healUs, phases, endUs, recovery.lost()),
    ...workload.checkers.map((checker) => ({
      ...checker.check({
        events: sim.history.retain === "all" ? sim.history.events : [],
        finalValues,
        durableValues: cluster.durableValues?.(),
        elements: workload.finalElements ?? elementsOf,
      }),
      checker: checker.name,
    })),
  ];
  return {
    seed: spec.seed,
    sim,
    cluster,
    schedule: spec.schedule,
    coverage: sim.history.retain === "all" ? nemesis.coverage() : { faults: [], faultsTouched: 0, vacuous: true },
    healUs,
    recoveredUs: recovery.recoveredUs(),
    endUs,
    finalValues,
    violations,
    elements: workload.finalElements ?? elementsOf,
    checks,
  };
}

function checkPhases(phases: Phases): void {
  for (const name of ["warmupUs", "durationUs", "recoveryBoundUs"] as const) {
    if (!Number.isInteger(phases[name]) || phases[name] < 0) {
      throw new InputError(`phases.${name} must be a whole number of microseconds >= 0, got ${phases[name]}`);
    }
  }
  if (phases.warmupUs > phases.durationUs) {
    throw new InputError(`phases.warmupUs ${phases.warmupUs} is beyond durationUs ${phases.durationUs}`);
  }
  const every = phases.invariantEveryUs ?? 10_000;
  if (every > 0 && phases.durationUs / every > invariantCheckpointsMax) {
    throw new InputError(
      `invariantEveryUs ${every} gives more than invariantCheckpointsMax ${invariantCheckpointsMax} checkpoints`,
    );
  }
}

/** Checks every invariant every `invariantEveryUs`; keeps the first violation of each. */
function watchInvariants(sim: Simulation, cluster: ClusterHandle, phases: Phases): InvariantViolation[] {
  const violations: InvariantViolation[] = [];
  const every = phases.invariantEveryUs ?? 10_000;
  if (every === 0 || (cluster.invariants ?? []).length === 0) return violations;
  const checkpoint = () => {
    checkInvariants(sim, cluster, violations, false);
    if (sim.nowUs + every <= phases.durationUs) sim.after(every, checkpoint);
  };
  sim.at(every, checkpoint);
  return violations;
}

function checkInvariants(
  sim: Simulation,
  cluster: ClusterHandle,
  violations: InvariantViolation[],
  final: boolean,
): void {
  for (const invariant of cluster.invariants ?? []) {
    if (violations.some((v) => v.invariant === invariant.name)) continue;
    const broken = invariant.check(final);
    if (broken !== undefined) violations.push({ invariant: invariant.name, timeUs: sim.nowUs, message: broken });
  }
}

/**
 * From the heal, polls for an operation completed after it and for convergence, up to the bound.
 * Once recovered it keeps watching until `endUs`: a system that loses convergence again after the
 * heal (a leader lost to a reconfiguration the operator asked for, not to a fault) must regain it
 * within the same bound, or liveness fails at the instant it was lost.
 */
function watchRecovery(sim: Simulation, cluster: ClusterHandle, healUs: number, phases: Phases, endUs: number) {
  let recoveredUs: number | undefined;
  let okAtHeal = 0;
  /** Since when the recovered system has not converged (undefined: it has). */
  let divergedUs: number | undefined;
  /** The first time it stayed unconverged past the bound after recovering. */
  let lost: { sinceUs: number; forUs: number } | undefined;
  const deadlineUs = healUs + phases.recoveryBoundUs;
  const converged = () => cluster.converged?.() ?? true;
  // Polls stop at the bound: a system that recovers later has still missed it.
  const poll = () => {
    const progressed = sim.history.counts.ok > okAtHeal;
    if (progressed && converged()) {
      recoveredUs = sim.nowUs;
      if (sim.nowUs + recoveryPollUs <= endUs) sim.after(recoveryPollUs, watch);
      return;
    }
    if (sim.nowUs + recoveryPollUs <= deadlineUs) sim.after(recoveryPollUs, poll);
  };
  const watch = () => {
    if (lost !== undefined) return;
    if (converged()) divergedUs = undefined;
    else divergedUs ??= sim.nowUs;
    if (divergedUs !== undefined && sim.nowUs - divergedUs > phases.recoveryBoundUs) {
      lost = { sinceUs: divergedUs, forUs: sim.nowUs - divergedUs };
      return;
    }
    if (sim.nowUs + recoveryPollUs <= endUs || divergedUs !== undefined) sim.after(recoveryPollUs, watch);
  };
  sim.at(healUs, () => {
    okAtHeal = sim.history.counts.ok;
    poll();
  });
  return {
    recoveredUs: () => recoveredUs,
    /** Whether the system, recovered once, is unconverged now and has been for less than the bound. */
    diverging: () => lost === undefined && divergedUs !== undefined,
    lost: () => lost,
  };
}

/**
 * Lets the operations the clients had in flight when they stopped complete (ok, fail, or info when
 * a client gives up), within `finalBoundUs`, as Jepsen's phases wait for the main phase before the
 * final generator: a final read begun while an append is in flight may be ordered before it, and
 * would show an append acknowledged after it as lost.
 */
function drainClients(sim: Simulation, phases: Phases): void {
  const inFlight = () => {
    const counts = sim.history.counts;
    return counts.invoke - counts.ok - counts.fail - counts.info;
  };
  assert(inFlight() >= 0, `history: more completions than invocations (${JSON.stringify(sim.history.counts)})`);
  const untilUs = sim.nowUs + (phases.finalBoundUs ?? 2_000_000);
  sim.run({ until: () => inFlight() === 0, untilUs });
}

/** Runs the workload's final operations after the clients stop; returns the values read. */
function runFinal<M>(
  sim: Simulation,
  requests: readonly Request[] | undefined,
  phases: Phases,
  client: (context: ClientContext<M>) => SystemClient<M>,
): Map<string, unknown> | undefined {
  if (requests === undefined || requests.length === 0) return undefined;
  const values = new Map<string, unknown>();
  let outcomes = 0;
  sim.addNode<M>({
    name: "final",
    create: (api) =>
      finalOperationsProcess(api, {
        client,
        requests,
        onOutcome: (request: Request, outcome: Outcome) => {
          outcomes++;
          if (outcome.type === "ok") values.set(request.key ?? "", outcome.value);
        },
      }),
  });
  const untilUs = sim.nowUs + (phases.finalBoundUs ?? 2_000_000);
  sim.run({ until: () => outcomes === requests.length || sim.nowUs >= untilUs, untilUs });
  return values;
}

/** One check per invariant: held throughout, or its first violation with the seed, the time and what broke. */
function invariantChecks(violations: InvariantViolation[], cluster: ClusterHandle, seed: number): CheckResult[] {
  return (cluster.invariants ?? []).map((invariant) => {
    const violation = violations.find((v) => v.invariant === invariant.name);
    if (violation === undefined) return { checker: invariant.name, valid: true, message: "held throughout the run" };
    return {
      checker: invariant.name,
      valid: false,
      message: `seed ${seed}: broken at ${violation.timeUs} us: ${violation.message}`,
      details: { violation },
    };
  });
}

function livenessCheck(
  recoveredUs: number | undefined,
  healUs: number,
  phases: Phases,
  endUs: number,
  lost: { sinceUs: number; forUs: number } | undefined,
): CheckResult {
  if (recoveredUs !== undefined && lost !== undefined) {
    return {
      checker: "liveness",
      valid: false,
      message: `recovered ${recoveredUs - healUs} us after the heal, then lost convergence at ${lost.sinceUs} us ` +
        `and had not regained it ${lost.forUs} us later (bound ${phases.recoveryBoundUs} us)`,
      details: { lostAtUs: lost.sinceUs },
    };
  }
  if (recoveredUs !== undefined) {
    return {
      checker: "liveness",
      valid: true,
      message: `progress and convergence ${
        recoveredUs - healUs
      } us after the heal (bound ${phases.recoveryBoundUs} us)`,
    };
  }
  if (endUs < healUs + phases.recoveryBoundUs) {
    return {
      checker: "liveness",
      valid: "unknown",
      message: `the run ended ${healUs + phases.recoveryBoundUs - endUs} us before the recovery bound passed`,
    };
  }
  return {
    checker: "liveness",
    valid: false,
    message: `no progress and convergence within ${phases.recoveryBoundUs} us of the heal at ${healUs} us`,
  };
}
