/**
 * Process faults: crash (losing unsynced writes by the disk's policy), restart, pause, rolling
 * restart. A crash with a duration is a kill-and-restart after that delay; without one, the node
 * stays down until the final heal.
 *
 * @module
 */
import type { UnsyncedOnCrash } from "../sim/mod.ts";
import type { Effects, FaultKind, FaultRun } from "./kind.ts";

/** Crashes every target that is up; returns the ones struck. Counts writes lost in `effects`. */
export function crashTargets(run: FaultRun, policy?: UnsyncedOnCrash): number[] {
  const struck = run.targets.filter((n) => run.sim.isUp(n));
  for (const node of struck) {
    run.effects.writesLost = (run.effects.writesLost ?? 0) + run.sim.crash(node, { unsyncedOnCrash: policy });
  }
  run.effects.nodesStruck = struck.length;
  return struck;
}

/** Restarts the nodes of `struck` that are still down. */
export function restartDown(run: FaultRun, struck: number[]): void {
  for (const node of struck) if (!run.sim.isUp(node)) run.sim.restart(node);
}

/** A crash touched the system if a running node lost something or missed messages while down. */
export const crashTouched = (effects: Effects) =>
  effects.nodesStruck > 0 &&
  (effects.writesLost > 0 || effects.messagesDroppedWhileDown > 0 || effects.restartedAtOnce > 0);

/** Crashes the targets with `policy` for unsynced writes; restarts them at the end (at once if instant). */
export function crashForDuration(run: FaultRun, policy?: UnsyncedOnCrash): (() => void) | void {
  return restartAtEnd(run, crashTargets(run, policy));
}

/** Restarts the `struck` nodes when the fault ends: at once for an instantaneous fault, else its heal. */
export function restartAtEnd(run: FaultRun, struck: number[]): (() => void) | void {
  if (run.timed.endUs === run.timed.startUs) {
    restartDown(run, struck);
    run.effects.restartedAtOnce = struck.length;
    return;
  }
  return () => restartDown(run, struck);
}

export const crash: FaultKind = {
  kind: "crash",
  area: "process",
  summary: "crash the targets (volatile state and unsynced writes lost); restart after durationUs",
  example: { kind: "crash", targets: { random: "one" }, durationUs: 2_000_000 },
  conflictClass: "process",
  fields: {
    unsyncedOnCrash: {
      type: "string",
      choices: ["random", "lose", "keep", "torn"],
      description: "fate of unsynced writes (default: the disk's policy)",
    },
  },
  start: (run) => crashForDuration(run, run.spec.unsyncedOnCrash as UnsyncedOnCrash | undefined),
  touched: crashTouched,
};

export const restart: FaultKind = {
  kind: "restart",
  area: "process",
  summary: "crash and immediately restart the targets (recovery from disk)",
  example: { kind: "restart", targets: { nodes: ["n2"] } },
  conflictClass: "process",
  instantaneous: true,
  fields: {},
  start(run) {
    const struck = crashTargets(run);
    restartDown(run, struck);
    run.effects.restartedAtOnce = struck.length;
  },
  touched: crashTouched,
};

export const pause: FaultKind = {
  kind: "pause",
  area: "process",
  summary: "freeze the targets (as SIGSTOP): events pile up and run on resume",
  example: { kind: "pause", targets: { role: "leader" }, durationUs: 1_500_000 },
  conflictClass: "process",
  fields: {},
  start(run) {
    const frozen = run.targets.filter((n) => run.sim.isUp(n) && !run.sim.nodeStats(n).paused);
    for (const node of frozen) run.sim.pause(node);
    run.effects.nodesStruck = frozen.length;
    return () => {
      for (const node of frozen) {
        const stats = run.sim.nodeStats(node);
        if (!stats.up || !stats.paused) continue;
        run.effects.eventsQueuedWhilePaused = (run.effects.eventsQueuedWhilePaused ?? 0) + stats.inboxLength;
        run.sim.resume(node);
      }
    };
  },
  touched: (effects) => effects.eventsQueuedWhilePaused > 0,
};

export const rollingRestart: FaultKind = {
  kind: "rolling-restart",
  area: "process",
  summary: "restart the targets one at a time: down for downtimeUs, then gapUs before the next",
  example: { kind: "rolling-restart", downtimeUs: 500_000, gapUs: 1_000_000 },
  conflictClass: "process",
  fields: {
    downtimeUs: { type: "integer", min: 0, required: true, description: "how long each node stays down" },
    gapUs: {
      type: "integer",
      min: 0,
      required: true,
      description: "time between one node's restart and the next crash",
    },
  },
  impliedDurationUs: (spec, targetCount) => targetCount * ((spec.downtimeUs as number) + (spec.gapUs as number)),
  start(run) {
    const downtimeUs = run.spec.downtimeUs as number;
    const gapUs = run.spec.gapUs as number;
    // The nodes this fault took down and has not brought back: it restarts only those.
    const down = new Set<number>();
    let stopped = false;
    const bringBack = (node: number) => {
      if (down.delete(node) && !run.sim.isUp(node)) run.sim.restart(node);
    };
    // Each turn is chained to the previous restart, so the next node goes down only after the last
    // one is back, even with gapUs 0 (two callbacks at one instant would otherwise run in queue order).
    const turn = (index: number) => {
      if (stopped || index >= run.targets.length) return;
      const node = run.targets[index];
      if (run.sim.isUp(node)) {
        run.effects.writesLost = (run.effects.writesLost ?? 0) + run.sim.crash(node);
        run.effects.nodesStruck = (run.effects.nodesStruck ?? 0) + 1;
        down.add(node);
      }
      run.sim.after(downtimeUs, () => {
        if (stopped) return;
        bringBack(node);
        run.sim.after(gapUs, () => turn(index + 1));
      });
    };
    turn(0);
    return () => {
      stopped = true;
      for (const node of [...down]) bringBack(node);
    };
  },
  touched: crashTouched,
};

/** Every process kind. */
export const processFaults: FaultKind[] = [crash, restart, pause, rollingRestart];
