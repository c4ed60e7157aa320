/**
 * The fault packages of Raft's experiments, by name, placed within a run.
 *
 * @module
 */
import type { RandomChoice, Schedule } from "../../../faults/mod.ts";
import { skewSchedule } from "./lease_lab.ts";

/** The drift of the `skew` schedule: within the default 10% lease allowance, so a correct lease survives it. */
export const chaosSkewDriftPpm = 80_000;

/** Fault schedules by name, placed within a run of `durationUs`. */
export function raftSchedule(name: string, durationUs: number): Schedule {
  if (name === "skew") return skewSchedule(chaosSkewDriftPpm, durationUs);
  const faultyUs = Math.max(0, durationUs - 1_500_000);
  if (name === "none" || faultyUs === 0) return { faults: [], recoveryUs: 0 };
  if (name === "power") {
    const times = Math.max(1, Math.floor(faultyUs / 150_000));
    return {
      faults: [{
        at: 300_000,
        repeat: {
          fault: { kind: "crash", targets: { random: "majority" }, unsyncedOnCrash: "lose", durationUs: 30_000 },
        },
        times,
        everyUs: 150_000,
      }],
      recoveryUs: 1_000_000,
    };
  }
  // `storage` adds full disks (a WAL write fails: the server fail-stops and is restarted) and lossy
  // links to the combined package.
  const storage: RandomChoice[] = name === "storage"
    ? [
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
    ]
    : [];
  return {
    faults: [{
      at: 300_000,
      random: {
        meanIntervalUs: 400_000,
        untilUs: faultyUs,
        choices: [
          ...storage,
          {
            weight: 2,
            fault: { kind: "crash", targets: { random: "one" }, unsyncedOnCrash: "random", durationUs: 300_000 },
          },
          { weight: 2, fault: { kind: "isolate", targets: { role: "leader" }, durationUs: 400_000 } },
          { weight: 1, fault: { kind: "partition-halves", durationUs: 300_000 } },
          { weight: 1, fault: { kind: "pause", targets: { random: "one" }, durationUs: 200_000 } },
          {
            weight: 1,
            fault: { kind: "clock-drift", targets: { random: "one" }, driftPpm: 50_000, durationUs: 500_000 },
          },
          { weight: 1, fault: { kind: "disk-stall", targets: { random: "one" }, durationUs: 200_000 } },
        ],
      },
    }],
    recoveryUs: 1_500_000,
  };
}
