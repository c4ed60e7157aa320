/**
 * The fault packages of Raft's experiments, by name, placed within a run. `combined` is one random
 * mix of the harness's standard faults (aimed at the leader where a role matters); `power` is the
 * harness's power package.
 *
 * @module
 */
import type { Schedule } from "../../../faults/mod.ts";
import { type FaultPackage, packageSchedule, standardFaultPackages } from "../../../harness/mod.ts";
import { skewSchedule } from "./lease_lab.ts";

/** The drift of the `skew` schedule: within the default 10% lease allowance, so a correct lease survives it. */
export const chaosSkewDriftPpm = 80_000;

const standard = standardFaultPackages({ focus: "leader" });

/**
 * Crashes of any server, the leader isolated, halves, pauses, clock drift and disk stalls in one
 * mix: the faults Raft's timeouts, elections and WAL must all survive.
 */
const combined: FaultPackage = {
  choices: [
    { weight: 2, fault: { kind: "crash", targets: { random: "one" }, unsyncedOnCrash: "random", durationUs: 300_000 } },
    { weight: 2, fault: { kind: "isolate", targets: { role: "leader" }, durationUs: 400_000 } },
    ...standard.partitions.choices!.filter((c) => c.fault.kind === "partition-halves"),
    ...standard.pauses.choices!,
    { weight: 1, fault: { kind: "clock-drift", targets: { random: "one" }, driftPpm: 50_000, durationUs: 500_000 } },
    ...standard.disks.choices!.filter((c) => c.fault.kind === "disk-stall"),
  ],
};

/**
 * The combined package plus full disks (a WAL write fails: the server fail-stops and is restarted)
 * and lossy links.
 */
const storage: FaultPackage = {
  choices: [
    { weight: 1, fault: { kind: "disk-full", targets: { random: "one" }, durationUs: 200_000 } },
    {
      weight: 1,
      fault: {
        kind: "link-degrade",
        targets: { random: "one" },
        extraLatencyUs: 2_000,
        lossProbability: 0.2,
        durationUs: 300_000,
      },
    },
    ...combined.choices!,
  ],
};

/** Fault schedules by name, placed within a run of `durationUs`. */
export function raftSchedule(name: string, durationUs: number): Schedule {
  if (name === "skew") return skewSchedule(chaosSkewDriftPpm, durationUs);
  // Faults start after a 300 ms warm-up and stop 1.2 s before the end.
  const placement = { durationUs, quietEndUs: 1_200_000, tooShort: "no faults" as const };
  if (name === "none") return { faults: [], recoveryUs: 0 };
  // Power failures come every 150 ms from the end of the warm-up, not at half a period.
  if (name === "power") {
    const power = { periodic: { ...standard.power.periodic!, firstAfterUs: 0 } };
    return packageSchedule([power], { ...placement, recoveryUs: 1_000_000 });
  }
  return packageSchedule([name === "storage" ? storage : combined], { ...placement, recoveryUs: 1_500_000 });
}
