/**
 * The Raft experiments the lab registers. `raft-chaos` runs the replicated key-value store under
 * a fault schedule and checks election safety, linearizability and lost committed writes (which
 * names the acknowledged appends that vanished); its `bug` parameter switches on one planted bug.
 *
 * @module
 */
import type { Schedule } from "../../faults/mod.ts";
import type { Experiment } from "../../lab/experiment.ts";
import { History } from "../../history/history.ts";
import { latencyCdf } from "../../viz/cdf.ts";
import { raftBugNames } from "./bugs.ts";
import { runRaftCluster } from "./cluster.ts";
import { type ElectionSetup, electionTrials, figure16Ranges } from "./election.ts";
import { skewRunOptions, skewSchedule } from "./lease_lab.ts";

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
  return {
    faults: [{
      at: 300_000,
      random: {
        meanIntervalUs: 400_000,
        untilUs: faultyUs,
        choices: [
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

/** Raft's replicated key-value store under faults, with a switchable planted bug. */
export const raftChaosExperiment: Experiment = {
  name: "raft-chaos",
  description:
    "Raft key-value store under a fault schedule; checks election safety, linearizability and lost committed writes",
  params: {
    servers: { type: "integer", default: 5, min: 1, max: 15, description: "voting servers" },
    clients: { type: "integer", default: 5, min: 1, max: 200, description: "closed-loop clients" },
    durationUs: {
      type: "integer",
      default: 5_000_000,
      min: 100_000,
      max: 600_000_000,
      description: "virtual run time",
    },
    faults: {
      type: "choice",
      default: "combined",
      choices: ["combined", "power", "skew", "none"],
      description:
        "combined: crashes losing unsynced writes, leader isolation, partitions, pauses, clock drift (servers time out on their monotonic clocks, which skew in rate, not offset), disk stalls; power: majority " +
        "power failures; skew: the leader's clock slows and the followers' speed up by 8%, then the leader is " +
        "cut off from the other servers while reader clients stay with it",
    },
    readMode: {
      type: "choice",
      default: "readIndex",
      choices: ["readIndex", "lease", "log"],
      description: "how reads are served: ReadIndex, a leader lease, or through the log",
    },
    snapshotEveryEntries: {
      type: "integer",
      default: 1000,
      min: 0,
      max: 1_000_000,
      description: "snapshot cadence in applied entries (0: never)",
    },
    bug: {
      type: "choice",
      default: "none",
      choices: ["none", ...raftBugNames],
      description: "planted bug to switch on",
    },
  },
  run(params, seed) {
    const durationUs = params.durationUs as number;
    const schedule = raftSchedule(params.faults as string, durationUs);
    const clients = params.clients as number;
    const run = runRaftCluster({
      servers: params.servers as number,
      clients,
      durationUs,
      bug: params.bug as string,
      schedule,
      readMode: params.readMode as "readIndex" | "lease" | "log",
      snapshotEveryEntries: params.snapshotEveryEntries as number,
      ...(params.faults === "skew" ? skewRunOptions(clients) : {}),
    }, seed);
    return {
      figures: { ...run.figures, vacuous: run.coverage.vacuous },
      checks: run.checks,
      history: run.sim.history,
      traceHash: run.sim.hash(),
      events: run.sim.eventsProcessed,
      tables: {},
      schedule,
      coverage: run.coverage,
    };
  },
};

/** Figure 16 of the Raft paper: time to replace a crashed leader per election-timeout range. */
export const raftElectionExperiment: Experiment = {
  name: "raft-election",
  description: "Raft paper Figure 16: time to replace a crashed leader for each election-timeout range",
  params: {
    trials: { type: "integer", default: 100, min: 1, max: 10_000, description: "trials per timeout range" },
    setup: {
      type: "choice",
      default: "plain",
      choices: ["plain", "paper"],
      description: "plain: equal logs; paper: two followers behind (ineligible) and a synchronised broadcast " +
        "before the crash",
    },
  },
  run(params, seed) {
    const rows = electionTrials(figure16Ranges, params.trials as number, seed, params.setup as ElectionSetup);
    const figures: Record<string, number> = {};
    for (const [min, max] of figure16Ranges) {
      const range = `${min}-${max} ms`;
      const times = rows.filter((r) => r.range === range).map((r) => r.downtimeMs).sort((a, b) => a - b);
      figures[`medianMs ${min}-${max}`] = times[Math.floor(times.length / 2)];
      figures[`maxMs ${min}-${max}`] = times[times.length - 1];
      figures[`censored ${min}-${max}`] = rows.filter((r) => r.range === range && r.censored).length;
    }
    return {
      figures,
      checks: [],
      history: new History(),
      traceHash: "",
      events: 0,
      tables: { downtimes: rows },
      charts: {
        election: latencyCdf(rows.map((r) => ({ latencyUs: r.downtimeMs * 1000, series: r.range })), {
          title: "Time without a leader after the leader crashes, per election-timeout range",
          xTitle: "time without a leader (ms)",
          yTitle: "fraction of trials at most this long",
        }),
      },
    };
  },
};
