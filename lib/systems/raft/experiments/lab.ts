/**
 * The Raft experiments the lab registers. `raft-chaos` runs the replicated key-value store under
 * a fault schedule and checks election safety, linearizability and lost committed writes (which
 * names the acknowledged appends that vanished); its `bug` parameter switches on one planted bug.
 *
 * @module
 */
import type { Experiment } from "../../../harness/mod.ts";
import { History } from "../../../history/mod.ts";
import { latencyCdf } from "../../../viz/mod.ts";
import { type ElectionSetup, electionTrials, figure16Ranges } from "./election.ts";

export { raftChaosExperiment } from "./chaos.ts";
export { chaosSkewDriftPpm, raftSchedule } from "./schedules.ts";

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
