/**
 * The Raft paper's Figure 16 as the `raft-election` experiment and the WAN elections of Ongaro's
 * thesis (§9.4) as `raft-election-wan`: many trials per setting (election.ts runs them), their
 * median, mean, p99, maximum, censored and discarded trials, and the distributions charted as
 * the paper lays them out. Sets of trials, not one run of the system, so custom experiments with
 * typed parameters; each run's trace hash combines every trial's kernel hash.
 *
 * @module
 */
import { choice, defineCustomExperiment, defineParams, integer, TrialHash } from "../../../harness/mod.ts";
import { latencyCdf, type VegaLiteSpec } from "../../../viz/mod.ts";
import { electionTimerRules } from "../mod.ts";
import {
  type ElectionTrialRow,
  electionTrials,
  electionWindowUs,
  figure16Graphs,
  figure16Ranges,
  rangeName,
  summariseElections,
  wanElectionTrial,
} from "./election.ts";

export { raftChaosExperiment } from "./chaos.ts";
export { chaosSkewDriftPpm, raftSchedule } from "./schedules.ts";

const timerRule = choice(electionTimerRules, {
  default: "figure2",
  description: "what restarts a follower's election timer: figure2 (the paper's), logcabin, etcd",
});

/** The parameters of `raft-election`. */
export const raftElectionParams = defineParams({
  trials: integer({ default: 100, min: 1, max: 10_000, description: "trials per timeout range" }),
  setup: choice(["paper", "plain"], {
    default: "paper",
    description: "paper: two followers behind (ineligible) and a synchronised broadcast before the crash; " +
      "plain: equal logs, the crash within a heartbeat interval",
  }),
  graph: choice(["both", "top", "bottom"], {
    default: "both",
    description: "which graph's ranges of Figure 16 to run (top: randomness; bottom: scaled minimum)",
  }),
  latencyUsMin: integer({ default: 6_000, min: 0, max: 1_000_000, description: "one-way latency, uniform from (us)" }),
  latencyUsMax: integer({ default: 9_000, min: 0, max: 1_000_000, description: "one-way latency, uniform to (us)" }),
  windowMs: integer({
    default: electionWindowUs / 1000,
    min: 20_000,
    max: 600_000,
    description: "how long after the crash a new leader is waited for (ms)",
  }),
  failed: integer({ default: 0, min: 0, max: 1, description: "followers crashed with the leader" }),
  timerRule,
});

/** The ranges a `graph` parameter selects. */
export function rangesOfGraph(graph: "both" | "top" | "bottom"): [number, number][] {
  return graph === "both" ? figure16Ranges : figure16Graphs[graph];
}

/** Figure 16 of the Raft paper: time to replace a crashed leader per election-timeout range. */
export const raftElectionExperiment = defineCustomExperiment({
  name: "raft-election",
  description: "Raft paper Figure 16: time to replace a crashed leader for each election-timeout range",
  params: raftElectionParams,
  run(p, seed) {
    if (p.latencyUsMax < p.latencyUsMin) {
      throw new Error(`latencyUsMax (${p.latencyUsMax}) must be at least latencyUsMin (${p.latencyUsMin})`);
    }
    const ranges = rangesOfGraph(p.graph);
    const trials = electionTrials(ranges, p.trials, seed, {
      setup: p.setup,
      latencyUs: { min: p.latencyUsMin, max: p.latencyUsMax },
      windowUs: p.windowMs * 1000,
      failedBesidesLeader: p.failed,
      timerRule: p.timerRule,
    });
    return {
      figures: figure16Figures(trials.rows, ranges),
      tables: { downtimes: trials.rows as unknown as Record<string, number | string | boolean | null>[] },
      charts: figure16Charts(trials.rows),
      traceHash: trials.traceHash,
      events: trials.events,
    };
  },
});

/** `medianMs R`, `meanMs R`, `p99Ms R`, `maxMs R`, `censored R` and `discarded R` for every range R. */
export function figure16Figures(rows: ElectionTrialRow[], ranges: [number, number][]): Record<string, number | null> {
  const figures: Record<string, number | null> = {};
  for (const range of ranges) {
    const name = rangeName(range);
    const of = rows.filter((r) => r.range === name);
    const summary = summariseElections(of.map((r) => r.downtimeMs), of.filter((r) => r.censored).length);
    figures[`medianMs ${name}`] = summary.medianMs;
    figures[`meanMs ${name}`] = summary.meanMs === null ? null : Math.round(summary.meanMs * 1000) / 1000;
    figures[`p99Ms ${name}`] = summary.p99Ms;
    figures[`maxMs ${name}`] = summary.maxMs;
    figures[`censored ${name}`] = summary.censored;
    figures[`discarded ${name}`] = summary.discarded;
  }
  return figures;
}

/**
 * The two graphs of Figure 16 as the paper draws them: the top one (randomness) on a log axis from
 * 100 ms to 100 s, the bottom one (scaled minimum) on a linear axis from 0 to 600 ms.
 */
export function figure16Charts(rows: ElectionTrialRow[]): { top: VegaLiteSpec; bottom: VegaLiteSpec } {
  const graph = (ranges: [number, number][], title: string, scale: Record<string, unknown>) => {
    const names = ranges.map(rangeName);
    const kept = rows.filter((r) => names.includes(r.range) && r.downtimeMs !== null);
    const spec = latencyCdf(kept.map((r) => ({ latencyUs: r.downtimeMs! * 1000, series: `${r.range} ms` })), {
      title,
      xTitle: "time without leader (ms)",
      yTitle: "cumulative fraction of trials",
    }) as VegaLiteSpec & { mark: Record<string, unknown>; encoding: { x: Record<string, unknown> } };
    spec.mark = { ...spec.mark, clip: true };
    spec.encoding.x = { ...spec.encoding.x, scale };
    return spec as VegaLiteSpec;
  };
  return {
    top: graph(figure16Graphs.top, "Figure 16 (top): more randomness in the election timeout", {
      type: "log",
      domain: [100, 100_000],
    }),
    bottom: graph(figure16Graphs.bottom, "Figure 16 (bottom): the minimum election timeout scaled", {
      type: "linear",
      domain: [0, 600],
    }),
  };
}

/** The parameters of `raft-election-wan`. */
export const raftElectionWanParams = defineParams({
  trials: integer({ default: 1000, min: 1, max: 100_000, description: "elections per number of failed servers" }),
  latencyUsMin: integer({ default: 30_000, min: 0, max: 1_000_000, description: "one-way latency, uniform from (us)" }),
  latencyUsMax: integer({ default: 40_000, min: 0, max: 1_000_000, description: "one-way latency, uniform to (us)" }),
  timerRule,
});

/** Ongaro's thesis §9.4: election time on a WAN with one and with two of five servers failed. */
export const raftElectionWanExperiment = defineCustomExperiment({
  name: "raft-election-wan",
  description:
    "Ongaro's thesis §9.4: election time on a WAN (30-40 ms one way, timeouts 300-600 ms), 1 and 2 of 5 failed",
  params: raftElectionWanParams,
  run(p, seed) {
    if (p.latencyUsMax < p.latencyUsMin) {
      throw new Error(`latencyUsMax (${p.latencyUsMax}) must be at least latencyUsMin (${p.latencyUsMin})`);
    }
    const hash = new TrialHash();
    const figures: Record<string, number | null> = {};
    const rows: { failed: number; trial: number; electionMs: number; censored: boolean }[] = [];
    for (const failed of [1, 2]) {
      for (let trial = 0; trial < p.trials; trial++) {
        const result = wanElectionTrial({
          failed,
          latencyUs: { min: p.latencyUsMin, max: p.latencyUsMax },
          timerRule: p.timerRule,
        }, seed * 1_000_000 + trial);
        hash.add(result);
        const censored = result.electedUs === undefined;
        rows.push({ failed, trial, electionMs: (result.electedUs ?? electionWindowUs) / 1000, censored });
      }
      const of = rows.filter((r) => r.failed === failed);
      const summary = summariseElections(of.map((r) => r.electionMs), of.filter((r) => r.censored).length);
      figures[`meanMs failed=${failed}`] = summary.meanMs === null ? null : Math.round(summary.meanMs * 1000) / 1000;
      figures[`p999Ms failed=${failed}`] = summary.p999Ms;
      figures[`maxMs failed=${failed}`] = summary.maxMs;
      figures[`censored failed=${failed}`] = summary.censored;
    }
    return {
      figures,
      tables: { elections: rows },
      charts: {
        elections: latencyCdf(rows.map((r) => ({ latencyUs: r.electionMs * 1000, series: `${r.failed} failed` })), {
          title: "Election time on a WAN, five servers (thesis §9.4)",
          xTitle: "election time (ms)",
          yTitle: "cumulative fraction of elections",
        }),
      },
      traceHash: hash.hex(),
      events: hash.events,
    };
  },
});
