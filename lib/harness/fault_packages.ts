/**
 * Fault packages: named mixes of faults that every system's experiments share, so `faults=crashes`
 * means the same kind of trouble for Raft, the register and every system after them. A package is
 * data (weighted faults that arrive at random, and scenarios that repeat at a fixed period); a
 * {@linkcode FaultPlacement} says where in a run they strike. Faults aim at nodes by role, so a
 * package written once fits any system whose cluster view reports that role.
 *
 * The run is laid out as Jepsen and TigerBeetle's VOPR lay it out: a warm-up with no faults, a
 * faulty stretch, then a quiet end in which no fault starts, so the heal and the recovery phase
 * always have room.
 *
 * @example
 * ```ts
 * import { packageSchedule, standardFaultPackages } from "./fault_packages.ts";
 * const packages = standardFaultPackages({ focus: "leader" });
 * const schedule = packageSchedule([packages.crashes, packages.partitions], { durationUs: 5_000_000 });
 * schedule.faults.length; // 2: one random mix per package
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import type { FaultSpec, RandomChoice, Schedule, ScheduleNode } from "../faults/mod.ts";

/** A named mix of faults. */
export interface FaultPackage {
  /** Faults drawn by weight, arriving at random (Poisson) through the faulty stretch. */
  choices?: RandomChoice[];
  /**
   * A scenario that repeats every `everyUs` through the faulty stretch, first `firstAfterUs` after
   * the warm-up (default half a period).
   */
  periodic?: { everyUs: number; node: ScheduleNode; firstAfterUs?: number };
}

/** Where a package's faults strike within a run. */
export interface FaultPlacement {
  /** The run's virtual length. */
  durationUs: number;
  /** Time before the first fault. Default 300 ms. */
  warmupUs?: number;
  /** Time before the end in which no fault starts. Default 1.5 s. */
  quietEndUs?: number;
  /** Mean time between the random faults of one package. Default 400 ms. */
  meanIntervalUs?: number;
  /** The schedule's recovery allowance after the final heal (see `Schedule.recoveryUs`). Default 0. */
  recoveryUs?: number;
  /**
   * What to do when the run is too short for a faulty stretch: refuse it (the default, an
   * {@linkcode InputError} naming the least duration), or run it without faults.
   */
  tooShort?: "refuse" | "no faults";
}

/** Placement defaults. */
export const faultPlacementDefaults = { warmupUs: 300_000, quietEndUs: 1_500_000, meanIntervalUs: 400_000 } as const;

/**
 * The schedule of `packages` placed in a run: each package is its own random mix (so a crash may
 * strike during a partition), then each periodic scenario. The same packages and placement give the
 * same schedule, and the run's seed then decides the draws.
 */
export function packageSchedule(packages: readonly FaultPackage[], placement: FaultPlacement): Schedule {
  const warmupUs = placement.warmupUs ?? faultPlacementDefaults.warmupUs;
  const quietEndUs = placement.quietEndUs ?? faultPlacementDefaults.quietEndUs;
  const meanIntervalUs = placement.meanIntervalUs ?? faultPlacementDefaults.meanIntervalUs;
  const recoveryUs = placement.recoveryUs ?? 0;
  if (packages.length === 0) return { faults: [], recoveryUs: 0 };
  const untilUs = placement.durationUs - warmupUs - quietEndUs;
  if (untilUs <= 0) {
    if (placement.tooShort === "no faults") return { faults: [], recoveryUs: 0 };
    throw new InputError(
      `durationUs ${placement.durationUs} leaves no time for faults: with faults it must be above ${
        warmupUs + quietEndUs
      } (a ${warmupUs} µs warm-up and a ${quietEndUs} µs quiet end)`,
    );
  }
  const faults: ScheduleNode[] = [];
  for (const p of packages) {
    if (p.choices !== undefined && p.choices.length > 0) {
      faults.push({ at: warmupUs, random: { meanIntervalUs, untilUs, choices: p.choices } });
    }
  }
  for (const p of packages) {
    if (p.periodic === undefined) continue;
    const { everyUs, node, firstAfterUs = everyUs / 2 } = p.periodic;
    const times = Math.max(1, Math.floor(untilUs / everyUs));
    faults.push({ at: warmupUs + firstAfterUs, repeat: node, times, everyUs });
  }
  return { faults, recoveryUs };
}

/** The packages {@linkcode standardFaultPackages} offers, by name. */
export const standardFaultPackageNames = ["crashes", "partitions", "disks", "pauses", "clocks", "power"] as const;

/** A name of a standard package. */
export type StandardFaultPackageName = typeof standardFaultPackageNames[number];

/** Whom the standard packages aim at. */
export interface FaultAim {
  /**
   * The role a system's correctness hangs on (`leader`, `primary`): crashes and isolation aim at it
   * as often as at a random node. Without it every fault picks its node at random.
   */
  focus?: string;
}

/**
 * The standard packages, aimed at `aim.focus` where a role matters:
 * - `crashes`: a node crashes, losing a random part of its unsynced writes, and restarts after 300 ms;
 * - `partitions`: the focus isolated (clients still reach it), halves, one node cut off;
 * - `disks`: fsync 20 times slower for a second, or a disk that stalls for 200 ms;
 * - `pauses`: a process frozen for 200 ms (a GC pause, a stopped VM);
 * - `clocks`: a node's clock runs 5% fast or slow for half a second;
 * - `power`: a majority loses power every 150 ms for 30 ms, losing every unsynced write.
 */
export function standardFaultPackages(aim: FaultAim = {}): Record<StandardFaultPackageName, FaultPackage> {
  const focus = aim.focus;
  const one = { random: "one" as const };
  const aimed = (fault: FaultSpec, weight: number): RandomChoice[] =>
    focus === undefined
      ? [{ weight: weight * 2, fault: { ...fault, targets: one } }]
      : [{ weight, fault: { ...fault, targets: { role: focus } } }, { weight, fault: { ...fault, targets: one } }];
  return {
    crashes: { choices: aimed({ kind: "crash", unsyncedOnCrash: "random", durationUs: 300_000 }, 1) },
    partitions: {
      choices: [
        ...aimed({ kind: "isolate", durationUs: 400_000 }, 1),
        { weight: 1, fault: { kind: "partition-halves", durationUs: 300_000 } },
      ],
    },
    disks: {
      choices: [
        { weight: 1, fault: { kind: "disk-slow", targets: one, factor: 20, fsyncOnly: true, durationUs: 1_000_000 } },
        { weight: 1, fault: { kind: "disk-stall", targets: one, durationUs: 200_000 } },
      ],
    },
    pauses: { choices: [{ weight: 1, fault: { kind: "pause", targets: one, durationUs: 200_000 } }] },
    clocks: {
      choices: [
        { weight: 1, fault: { kind: "clock-drift", targets: one, driftPpm: 50_000, durationUs: 500_000 } },
        { weight: 1, fault: { kind: "clock-drift", targets: one, driftPpm: -50_000, durationUs: 500_000 } },
      ],
    },
    power: {
      periodic: {
        everyUs: 150_000,
        node: {
          fault: { kind: "crash", targets: { random: "majority" }, unsyncedOnCrash: "lose", durationUs: 30_000 },
        },
      },
    },
  };
}

/**
 * Several packages folded into one random mix (weights kept), for a run where any fault may come
 * next at the mean interval of one package rather than of each.
 */
export function combinePackages(...packages: FaultPackage[]): FaultPackage {
  const choices = packages.flatMap((p) => p.choices ?? []);
  const periodic = packages.map((p) => p.periodic).filter((p) => p !== undefined);
  if (periodic.length > 1) throw new InputError("packages with more than one periodic scenario cannot be combined");
  return periodic.length === 0 ? { choices } : { choices, periodic: periodic[0] };
}
