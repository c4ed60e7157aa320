/**
 * Leader leases against clock skew: the `raft-lease` experiment. A leader under a lease answers
 * reads locally, trusting that followers will not elect a successor before the lease ends. That
 * promise is made in the leader's clock and kept in the followers' clocks, so it holds only while
 * the clocks' rates differ by less than the lease's drift allowance. The schedule here makes them
 * differ, at the worst moment: every so often the leader's clock slows by `driftPpm` and the
 * followers' clocks speed up by as much, and the leader is cut off from the other servers (not
 * from clients, which keep reading from it) while the others elect a new leader and write.
 *
 * @module
 */
import type { Schedule } from "../../../faults/mod.ts";
import { choice, defineExperiment, defineParams, integer, number, paramGroups } from "../../../harness/mod.ts";
import { raftSystem } from "./system.ts";
import { raftWorkload } from "./workload.ts";

/** When the first round of the skew schedule starts: after the first election. */
const skewStartUs = 300_000;
/** A round's length (the clocks skewed, the leader cut off inside it) and the time between rounds' starts. */
const skewRoundUs = 700_000;
const skewEveryUs = 1_000_000;
/** The quiet time the schedule aims to leave at the end of the run. */
const skewQuietUs = 1_000_000;

/**
 * Skewed clocks around repeated leader isolations: a round every second from 300 ms, each 700 ms
 * long, as many as leave about a quiet second at the end of the run (between 0.5 and 1.5 s, so the
 * clients' last operations finish and the checks see the cluster recover), and the schedule ends
 * exactly at `durationUs`. A run too short for one round and half a quiet second (under 1.5 s)
 * gets no faults, as `raftSchedule`'s other schedules do.
 *
 * @param driftPpm how much the leader's clock slows and the followers' speed up
 * @param durationUs the run's length: the schedule never runs past it
 * @returns the schedule
 */
export function skewSchedule(driftPpm: number, durationUs: number): Schedule {
  // The last of `rounds` rounds heals at lastHealUs(rounds); rounding the number that leaves
  // exactly skewQuietUs leaves between half of it and one and a half (and none under 1.5 s).
  const lastHealUs = (rounds: number) => skewStartUs + (rounds - 1) * skewEveryUs + skewRoundUs;
  const times = Math.round((durationUs - skewQuietUs - lastHealUs(1)) / skewEveryUs) + 1;
  if (times < 1) return { faults: [], recoveryUs: 0 };
  // The clocks drift apart first, so the lease the leader holds when it is cut off was measured
  // on a slow clock, and the followers' election timers run on fast ones.
  const skewed = { durationUs: skewRoundUs };
  return {
    faults: [{
      at: skewStartUs,
      repeat: {
        parallel: [
          { fault: { kind: "clock-drift", targets: { role: "leader" }, driftPpm: -driftPpm, ...skewed } },
          { fault: { kind: "clock-drift", targets: { role: "followers" }, driftPpm, ...skewed } },
          { at: 200_000, fault: { kind: "isolate", targets: { role: "leader" }, durationUs: 400_000 } },
        ],
      },
      times,
      everyUs: skewEveryUs,
    }],
    // The run, and so the schedule, ends at durationUs: the quiet time is what is left after the last heal.
    recoveryUs: durationUs - lastHealUs(times),
  };
}

/**
 * The cluster setup under which a stale read shows when it can happen: one key, so reads and
 * writes meet; half the clients only read and stay with whichever server answers them, as a
 * read-heavy service's clients do, while the writers give up on a silent server after 20 ms and
 * find the new leader; and a narrow election-timeout range, so elections follow the old leader's
 * last contact closely.
 */
export function skewRunOptions(clients: number, electionTimeoutUsMax = 180_000) {
  return { keys: 1, readOnlyClients: Math.floor(clients / 2), clientTimeoutUs: 20_000, electionTimeoutUsMax };
}

/** The parameters of `raft-lease`. */
export const raftLeaseParams = defineParams({
  readMode: choice(["lease", "readIndex"], {
    default: "lease",
    description: "lease: answer reads locally under a leader lease; readIndex: confirm leadership per read",
  }),
  driftPpm: integer({
    default: 200_000,
    min: 0,
    max: 400_000,
    description: "rate error: the leader's clock slows and the followers' speed up by this much",
  }),
  leaseClockDriftMax: number({
    default: 0.1,
    min: 0,
    max: 0.5,
    description: "the drift the lease allows for (a fraction)",
  }),
  ...paramGroups.bug(["leaseIgnoresClockSkew"]),
  electionTimeoutUsMax: integer({
    default: 180_000,
    min: 150_000,
    max: 1_000_000,
    description: "top of the election timeout range (bottom 150 ms): narrow, so elections follow the lease closely",
  }),
  ...paramGroups.clients({ default: 6, max: 200 }),
  ...paramGroups.duration({ defaultUs: 6_000_000, minUs: 1_500_000, maxUs: 600_000_000 }),
});

/**
 * Lease reads against ReadIndex as clocks drift apart: `raft-chaos`'s skew package with its drift,
 * the lease's allowance and the election timeout as parameters, on five servers.
 */
export const raftLeaseExperiment = defineExperiment({
  name: "raft-lease",
  description: "Raft lease reads vs ReadIndex while the leader's clock runs slow and the followers' fast",
  params: raftLeaseParams,
  system: raftSystem,
  options: (p) => {
    const skewed = skewRunOptions(p.clients, p.electionTimeoutUsMax);
    return {
      servers: 5,
      bug: p.bug,
      config: {
        readMode: p.readMode,
        leaseClockDriftMax: p.leaseClockDriftMax,
        electionTimeoutUsMax: skewed.electionTimeoutUsMax,
      },
      clientTimeoutUs: skewed.clientTimeoutUs,
    };
  },
  workload: (p) => {
    const skewed = skewRunOptions(p.clients, p.electionTimeoutUsMax);
    return raftWorkload({ clients: p.clients, keys: skewed.keys, readOnlyClients: skewed.readOnlyClients });
  },
  schedule: (p) => skewSchedule(p.driftPpm, p.durationUs),
  // The schedule ends exactly at the run's end and leaves at least half a quiet second after its
  // last heal, so a bound of half a second is always judged inside the run, which never extends:
  // the skew's last round is as close to the end as the schedule puts it.
  phases: (p) => ({
    warmupUs: skewStartUs,
    durationUs: p.durationUs,
    recoveryBoundUs: skewQuietUs / 2,
    extendForLiveness: false,
  }),
  extras: (run) => ({
    figures: { ...run.cluster.figures?.(), leaseReads: run.sim.metrics.series("raft_lease_reads").value.length },
  }),
});
