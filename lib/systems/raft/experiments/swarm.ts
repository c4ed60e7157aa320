/**
 * `raft-swarm`: Raft's key-value store under a fault mix and a cluster shape that each seed draws
 * for itself (swarm testing, lib/harness/swarm.ts), with one planted bug switchable. No package is
 * written for a bug: the space lists the kinds of trouble Raft must survive, including the narrow
 * ones real bugs need (a majority losing power, a voter restarting in a loop while messages to it
 * are slow, a leader whose clock runs slow cut off with its readers, crashes while snapshots are
 * taken every few entries), and a seed switches each on or off. Judged like `raft-chaos`: Raft's
 * safety invariants as the run goes, liveness after the heal, linearizability and lost writes.
 *
 * @module
 */
import {
  defineParams,
  defineSwarmExperiment,
  describeDraw,
  type FaultPackage,
  outputOf,
  packageSchedule,
  paramGroups,
  runSystem,
  standardFaultPackages,
  standardFigures,
  type SwarmDraw,
  swarmSimulation,
  type SwarmSpace,
  withTrace,
} from "../../../harness/mod.ts";
import type { Schedule, ScheduleNode } from "../../../faults/mod.ts";
import { raftBugNames } from "../mod.ts";
import { chaosSkewDriftPpm } from "./schedules.ts";
import { type RaftOptions, raftSystem } from "./system.ts";
import { raftWorkload } from "./workload.ts";

const standard = standardFaultPackages({ focus: "leader" });

/** A voter crashing and restarting every 8 ms for a quarter of a second, keeping what it wrote. */
const restartLoop: ScheduleNode = {
  repeat: {
    fault: {
      kind: "crash",
      targets: { random: "one", of: { role: "followers" } },
      unsyncedOnCrash: "keep",
      durationUs: 3_000,
    },
  },
  times: 30,
  everyUs: 8_000,
};

/**
 * The clocks drift apart (the leader's slow, the followers' fast, within the lease's allowance),
 * then the leader is cut off from the other servers while its clients still reach it.
 */
const skewThenIsolate: ScheduleNode = {
  parallel: [
    { fault: { kind: "clock-drift", targets: { role: "leader" }, driftPpm: -chaosSkewDriftPpm, durationUs: 700_000 } },
    {
      fault: { kind: "clock-drift", targets: { role: "followers" }, driftPpm: chaosSkewDriftPpm, durationUs: 700_000 },
    },
    { at: 200_000, fault: { kind: "isolate", targets: { role: "leader" }, durationUs: 400_000 } },
  ],
};

/** What a Raft swarm draws from. */
export const raftSwarmSpace: SwarmSpace = {
  packages: {
    crashes: standard.crashes,
    partitions: standard.partitions,
    disks: standard.disks,
    pauses: standard.pauses,
    clocks: standard.clocks,
    power: { periodic: { ...standard.power.periodic!, firstAfterUs: 0 } },
    slowLinks: {
      choices: [{
        weight: 1,
        fault: { kind: "link-degrade", targets: { random: "one" }, extraLatencyUs: 30_000, durationUs: 500_000 },
      }],
    },
    restartLoops: { periodic: { everyUs: 600_000, node: restartLoop, firstAfterUs: 100_000 } },
    /** Two halves that reach each other only through one server, while voters restart in a loop. */
    bridge: {
      periodic: {
        everyUs: 800_000,
        node: { parallel: [{ fault: { kind: "partition-bridge", durationUs: 500_000 } }, restartLoop] },
      },
    },
    /** The leader crashes shortly and often, so entries of old terms are left on a few servers. */
    leaderChurn: {
      periodic: {
        everyUs: 250_000,
        node: { fault: { kind: "crash", targets: { role: "leader" }, unsyncedOnCrash: "keep", durationUs: 60_000 } },
      },
    },
    skewIsolation: { periodic: { everyUs: 1_000_000, node: skewThenIsolate, firstAfterUs: 0 } },
  } satisfies Record<string, FaultPackage>,
  meanIntervalUs: [40_000, 800_000],
  knobs: {
    servers: [3, 5],
    readMode: ["readIndex", "lease", "log"],
    snapshotEveryEntries: [0, 20, 200, 1000],
    /** One entry per append spreads a leader's entries over several messages, as a slow link does. */
    entriesPerAppendMax: [1, 64],
    keys: [1, 3, 10],
    clients: [4, 8, 12],
    /** Half the clients only read and stay with the server that answers them (a read-heavy service). */
    readers: [false, true],
    clientTimeoutUs: [20_000, 100_000],
    electionTimeoutUsMax: [180_000, 300_000],
    preVote: [true, false],
    checkQuorum: [true, false],
    unsyncedOnCrash: ["random", "lose"],
  },
};

/** The parameters of `raft-swarm`. */
export const raftSwarmParams = defineParams({
  ...paramGroups.duration({ defaultUs: 4_000_000, minUs: 2_000_000, maxUs: 60_000_000 }),
  ...paramGroups.bug(raftBugNames),
});

/** The run a draw describes: the system's options, the workload and the schedule. */
export function raftSwarmRun(draw: SwarmDraw, p: { durationUs: number; bug: string }) {
  const k = effectiveKnobs(draw.knobs);
  const clients = k.clients as number;
  const options: RaftOptions = {
    servers: k.servers as number,
    bug: p.bug,
    config: {
      readMode: k.readMode as "readIndex" | "lease" | "log",
      snapshotEveryEntries: k.snapshotEveryEntries as number,
      electionTimeoutUsMax: k.electionTimeoutUsMax as number,
      entriesPerAppendMax: k.entriesPerAppendMax as number,
      preVote: k.preVote as boolean,
      checkQuorum: k.checkQuorum as boolean,
    },
    clientTimeoutUs: k.clientTimeoutUs as number,
  };
  const workload = raftWorkload({
    clients,
    keys: k.keys as number,
    readOnlyClients: k.readers ? Math.floor(clients / 2) : 0,
    lostWritesFrom: "final",
  });
  const packages = draw.packages.map((name) => withUnsynced(raftSwarmSpace.packages[name], k.unsyncedOnCrash));
  const schedule: Schedule = packageSchedule(packages, {
    durationUs: p.durationUs,
    meanIntervalUs: draw.meanIntervalUs,
    quietEndUs: 1_200_000,
    recoveryUs: 1_500_000,
  });
  return { options, workload, schedule };
}

/**
 * The knobs as the cluster can run them: a lease is only sound while followers refuse votes as long
 * as they hear from a leader, so lease reads run with checkQuorum whatever was drawn.
 */
export function effectiveKnobs(knobs: SwarmDraw["knobs"]): SwarmDraw["knobs"] {
  return knobs.readMode === "lease" ? { ...knobs, checkQuorum: true } : knobs;
}

/** A package whose random crashes lose unsynced writes as the draw says (power failures always lose them). */
function withUnsynced(pkg: FaultPackage, unsynced: unknown): FaultPackage {
  if (pkg.choices === undefined) return pkg;
  return {
    ...pkg,
    choices: pkg.choices.map((c) =>
      c.fault.kind === "crash" ? { ...c, fault: { ...c.fault, unsyncedOnCrash: unsynced } } : c
    ),
  };
}

/** Raft under a fault mix each seed draws, or under a draw it is given (`swarm.run`). */
export const raftSwarmExperiment = defineSwarmExperiment({
  name: "raft-swarm",
  description: "Raft key-value store under a fault mix and cluster shape drawn per seed (swarm testing); checks " +
    "Raft's safety invariants, liveness after the heal, linearizability and lost committed writes",
  params: raftSwarmParams,
  space: raftSwarmSpace,
  bugs: raftSystem.bugs,
  run(p, seed, draw, runOptions) {
    const { options, workload, schedule } = raftSwarmRun(draw, p);
    const run = runSystem({
      system: raftSystem,
      options,
      workload,
      schedule,
      phases: { warmupUs: 300_000, durationUs: p.durationUs, recoveryBoundUs: 1_500_000 },
      seed,
      simulation: swarmSimulation(runOptions, traceEventsMax),
    });
    const output = outputOf(run, standardFigures(run), {
      figures: { swarm: describeDraw({ ...draw, knobs: effectiveKnobs(draw.knobs) }) },
    });
    return withTrace(output, run.sim, runOptions);
  },
});

/** The most trace events a traced swarm run keeps (a default 4 s run has under 100 thousand). */
const traceEventsMax = 1_000_000;
