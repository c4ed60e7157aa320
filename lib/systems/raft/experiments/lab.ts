/**
 * The Raft paper's Figure 16 as the `raft-election` experiment: for each election-timeout range,
 * the time to replace a crashed leader over many trials (election.ts runs them), its median,
 * maximum and censored trials, with the distribution charted. It is a set of trials, not one run
 * of the system, so it is a custom experiment with typed parameters.
 *
 * @module
 */
import { choice, defineCustomExperiment, defineParams, integer } from "../../../harness/mod.ts";
import { latencyCdf } from "../../../viz/mod.ts";
import { electionStudy, figure16Ranges } from "./election.ts";

export { raftChaosExperiment } from "./chaos.ts";
export { chaosSkewDriftPpm, raftSchedule } from "./schedules.ts";

/** The parameters of `raft-election`. */
export const raftElectionParams = defineParams({
  trials: integer({ default: 100, min: 1, max: 10_000, description: "trials per timeout range" }),
  setup: choice(["plain", "paper"], {
    default: "plain",
    description: "plain: equal logs; paper: two followers behind (ineligible) and a synchronised broadcast " +
      "before the crash",
  }),
});

/** Figure 16 of the Raft paper: time to replace a crashed leader per election-timeout range. */
export const raftElectionExperiment = defineCustomExperiment({
  name: "raft-election",
  description: "Raft paper Figure 16: time to replace a crashed leader for each election-timeout range",
  params: raftElectionParams,
  run(p, seed) {
    const { rows, traceHash, events } = electionStudy(figure16Ranges, p.trials, seed, p.setup);
    const figures: Record<string, number> = {};
    for (const [min, max] of figure16Ranges) {
      const range = rows.filter((r) => r.range === `${min}-${max} ms`);
      const times = range.map((r) => r.downtimeMs).sort((a, b) => a - b);
      figures[`medianMs ${min}-${max}`] = times[Math.floor(times.length / 2)];
      figures[`maxMs ${min}-${max}`] = times[times.length - 1];
      figures[`censored ${min}-${max}`] = range.filter((r) => r.censored).length;
    }
    return {
      figures,
      traceHash,
      events,
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
});
