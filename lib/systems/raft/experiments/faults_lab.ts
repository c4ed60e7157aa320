/**
 * The `raft-faults` experiment: one fault scenario against a five-server Raft key-value store
 * under closed-loop clients, and what it cost. Each run strikes once, at `faultAtUs`, for
 * `faultDurationUs`, then heals and runs to the end, and reports:
 *
 * - throughput and p99 latency per window, charted with the fault shaded;
 * - election downtime (fault to the first write a newly elected leader acknowledges), the
 *   election time alone, and the longest time without an acknowledged write;
 * - ok throughput before, during and after the fault;
 * - the catch-up time of every server that was behind when the fault healed, from an observer
 *   that reads each server's applied and commit index every `sampleEveryUs`;
 * - the client write (commit) latency histogram;
 * - the harness's standard figures (latency percentiles per operation kind, availability, RTO);
 * - the checks: Raft's five safety invariants, liveness after the heal, linearizability and the
 *   acknowledged appends lost.
 *
 * The definitions of the Raft-specific figures are in fault_figures.ts.
 *
 * @example
 * ```ts
 * import { runRaftFaultScenario } from "./faults_lab.ts";
 * const result = runRaftFaultScenario({ scenario: "leader-crash", durationUs: 2_000_000 }, 1);
 * result.downtime.downtimeUs; // about 200_000: an election timeout, a vote and a commit
 * ```
 * @module
 */
import { InputError } from "../../../assert.ts";
import type { FaultSpec, Schedule } from "../../../faults/mod.ts";
import {
  choice,
  defineCustomExperiment,
  defineParams,
  type Figure,
  integer,
  outputOf,
  paramGroups,
  standardFigures,
  type ValuesOf,
} from "../../../harness/mod.ts";
import { operationLatencies } from "../../../metrics/mod.ts";
import { windowedSeries, type WindowRow } from "../../../metrics/mod.ts";
import { faultBandsFromHistory } from "../../../viz/mod.ts";
import type { Band, VegaLiteSpec } from "../../../viz/mod.ts";
import { latencyBins, latencyHistogramChart } from "../../../viz/mod.ts";
import { throughputLatencyTimeline } from "../../../viz/mod.ts";
import { type RaftRunResult, runRaftCluster } from "./cluster.ts";
import {
  type CatchUpRow,
  catchUpTimes,
  type ElectionDowntime,
  electionDowntime,
  type PhaseRow,
  phaseThroughput,
  writeGapUsMax,
} from "./fault_figures.ts";

/** One scenario: a fault the nemesis injects, or an operator's leadership transfer. */
export interface RaftFaultScenario {
  description: string;
  /** The fault, lasting `durationUs`; absent for a scenario that is not a nemesis fault. */
  fault?: (durationUs: number) => FaultSpec;
  /** The operator hands leadership to a follower at the fault's time (a transfer under load). */
  transfer?: true;
  /** Servers started outside the cluster, for membership changes to add. */
  spares?: number;
  /** Membership changes the operator asks for, given the fault's start. */
  membershipChanges?: (
    faultAtUs: number,
    servers: number,
  ) => { atUs: number; change: "add" | "remove"; server: number }[];
}

/** The scenarios by name (the experiment's `scenario` choices, in this order). */
export const raftFaultScenarios: Readonly<Record<string, RaftFaultScenario>> = {
  "disk-stall": {
    description: "the leader's disk completes nothing: its fsyncs, and so its messages, wait",
    fault: (durationUs) => ({ kind: "disk-stall", targets: { role: "leader" }, durationUs }),
  },
  "leader-crash": {
    description: "the leader crashes (unsynced writes lost) and restarts when the fault ends",
    fault: (durationUs) => ({ kind: "crash", targets: { role: "leader" }, unsyncedOnCrash: "lose", durationUs }),
  },
  "partition-halves": {
    description: "the servers split into two random halves (2 and 3 of 5); the leader may be in either",
    fault: (durationUs) => ({ kind: "partition-halves", durationUs }),
  },
  "isolate-minority": {
    description: "a random minority of the followers is cut off from the rest and falls behind",
    fault: (durationUs) => ({
      kind: "isolate",
      targets: { random: "minority", of: { role: "followers" } },
      durationUs,
    }),
  },
  "leader-transfer": {
    description: "an operator hands leadership to a follower under load (Ongaro's thesis §3.10)",
    transfer: true,
  },
  "membership-partition": {
    description: "while the servers are split into halves, an operator adds a sixth server (a learner, " +
      "promoted once caught up) and then removes n0; each change waits for a side with a majority",
    fault: (durationUs) => ({ kind: "partition-halves", durationUs }),
    spares: 1,
    // The spare is the server after the voters.
    membershipChanges: (atUs, servers) => [
      { atUs: atUs + 100_000, change: "add", server: servers },
      { atUs: atUs + 200_000, change: "remove", server: 0 },
    ],
  },
};

/** The parameters of `raft-faults`. */
export const raftFaultsParams = defineParams({
  scenario: choice(Object.keys(raftFaultScenarios), {
    default: "leader-crash",
    description: Object.entries(raftFaultScenarios).map(([name, s]) => `${name}: ${s.description}`).join("; "),
  }),
  ...paramGroups.cluster({ default: 5, min: 3, max: 15 }),
  ...paramGroups.clients({ default: 5, max: 200 }),
  ...paramGroups.duration({ defaultUs: 3_000_000, minUs: 500_000, maxUs: 600_000_000 }),
  faultAtUs: integer({ default: 1_000_000, min: 0, description: "when the fault strikes" }),
  faultDurationUs: integer({ default: 600_000, min: 1_000, description: "how long the fault lasts" }),
  sampleEveryUs: integer({ default: 1_000, min: 100, description: "observer period (catch-up resolution)" }),
  windowUs: integer({ default: 50_000, min: 1_000, description: "timeline window" }),
}, {
  constraint: (p) =>
    p.faultAtUs + p.faultDurationUs >= p.durationUs
      ? `the fault (faultAtUs ${p.faultAtUs} + faultDurationUs ${p.faultDurationUs} us) must heal before the run ends (durationUs ${p.durationUs})`
      : undefined,
});

/** Options of one scenario run: the experiment's parameters, each but `scenario` defaulted as there. */
export type RaftFaultRunOptions = { scenario: string } & Partial<ValuesOf<typeof raftFaultsParams>>;

/** What one scenario run measured. */
export interface RaftFaultRun {
  run: RaftRunResult;
  scenario: string;
  schedule: Schedule;
  faultStartUs: number;
  /** When the fault healed (for a transfer: `faultStartUs + faultDurationUs`). */
  healUs: number;
  runEndUs: number;
  downtime: ElectionDowntime;
  writeGapUsMax: number;
  phases: PhaseRow[];
  catchUp: CatchUpRow[];
  windows: WindowRow[];
  bands: Band[];
  writeLatenciesUs: number[];
}

/**
 * Runs one scenario and measures it.
 *
 * @param options the scenario and the shape of the run
 * @param seed the run's seed
 * @returns the cluster run and every measurement
 */
export function runRaftFaultScenario(options: RaftFaultRunOptions, seed: number): RaftFaultRun {
  const scenario = raftFaultScenarios[options.scenario];
  if (scenario === undefined) {
    throw new InputError(
      `unknown scenario ${JSON.stringify(options.scenario)}; allowed: ${Object.keys(raftFaultScenarios).join(", ")}`,
    );
  }
  const p = raftFaultsParams.resolve(options);
  const { durationUs, faultAtUs: faultStartUs, faultDurationUs } = p;
  const healUs = faultStartUs + faultDurationUs;
  if (healUs >= durationUs) {
    throw new InputError(
      `the fault (${faultStartUs} + ${faultDurationUs} us) must heal before the run ends (${durationUs} us)`,
    );
  }
  const schedule: Schedule = scenario.fault === undefined
    ? { faults: [], recoveryUs: 0 }
    : { faults: [{ at: faultStartUs, fault: scenario.fault(faultDurationUs) }], recoveryUs: durationUs - healUs };
  const run = runRaftCluster({
    servers: p.servers,
    clients: p.clients,
    durationUs,
    bug: "none",
    schedule,
    transfers: scenario.transfer ? [{ atUs: faultStartUs, target: -1 }] : undefined,
    spares: scenario.spares,
    membershipChanges: scenario.membershipChanges?.(faultStartUs, p.servers),
    sampleEveryUs: p.sampleEveryUs,
  }, seed);
  const events = run.sim.history.events;
  const runEndUs = run.sim.nowUs;
  const downtime = electionDowntime({
    events,
    leaderChanges: run.leaderChanges,
    faultUs: faultStartUs,
    writeTerms: run.sim.metrics.rows("raft_write_ok_term"),
  });
  // Members at the end: a removed server, or a spare never added, has nothing to catch up with.
  const finalLeader = run.servers.map((s) => run.instance(s)).find((s) => s?.role === "leader");
  const members = finalLeader === undefined
    ? undefined
    : new Set([...finalLeader.membership.voters, ...finalLeader.membership.learners]);
  const bands = scenario.fault !== undefined
    ? faultBandsFromHistory(events, runEndUs)
    : [{ startUs: faultStartUs, endUs: downtime.newLeader?.timeUs ?? healUs, label: "leader transfer" }];
  return {
    run,
    scenario: options.scenario,
    schedule,
    faultStartUs,
    healUs,
    runEndUs,
    downtime,
    writeGapUsMax: writeGapUsMax(events, { fromUs: faultStartUs, toUs: runEndUs }),
    phases: phaseThroughput(events, { startUs: faultStartUs, healUs, runEndUs }),
    catchUp: scenario.fault === undefined ? [] : catchUpTimes(run.samples, healUs, { faultUs: faultStartUs, members }),
    windows: windowedSeries(events, { windowUs: p.windowUs, startUs: 0, endUs: runEndUs }),
    bands,
    writeLatenciesUs: operationLatencies(events).filter((row) => row.type === "ok" && row.f !== "get").map((row) =>
      row.latencyUs
    ),
  };
}

/**
 * The figures of a scenario run only Raft gives: the election downtime measured from the new
 * leader's term, the write gap, throughput around the fault and each server's catch-up. The
 * harness's standard figures (latency per kind, availability, RTO) sit beside them.
 */
export function raftFaultFigures(result: RaftFaultRun): Record<string, Figure> {
  const phase = (name: PhaseRow["phase"]) => result.phases.find((p) => p.phase === name)!.throughputPerSecond;
  const caughtUp = result.catchUp.flatMap((row) => row.catchUpUs === undefined ? [] : [row.catchUpUs]);
  return {
    scenario: result.scenario,
    faultStartUs: result.faultStartUs,
    healUs: result.healUs,
    newLeaderServer: result.downtime.newLeader === undefined
      ? null
      : result.run.sim.nodeName(result.downtime.newLeader.server),
    leaderMoved: result.downtime.leaderMoved,
    electionUs: result.downtime.electionUs ?? null,
    downtimeUs: result.downtime.downtimeUs ?? null,
    writeGapUsMax: result.writeGapUsMax,
    throughputBeforePerSecond: phase("before"),
    throughputDuringPerSecond: phase("during"),
    throughputAfterPerSecond: phase("after"),
    catchUpServers: result.catchUp.length,
    catchUpIncomplete: result.catchUp.length - caughtUp.length,
    catchUpUsMax: caughtUp.length === 0 || caughtUp.length < result.catchUp.length ? null : Math.max(...caughtUp),
    lagEntriesMax: Math.max(0, ...result.catchUp.map((row) => row.lagEntries)),
  };
}

/** Each server's applied index over time, with the heal marked: how the cut-off servers caught up. */
function appliedIndexChart(result: RaftFaultRun, title: string): VegaLiteSpec {
  // A plain spec rather than a lib/viz builder: it is this experiment's own view of the
  // observer's readings, and the timeline builders there draw one figure per window, not gauges.
  const values = result.run.samples.map((s) => ({
    time_s: s.timeUs / 1e6,
    applied: s.applied,
    server: result.run.sim.nodeName(s.server),
  }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: 600,
    height: 220,
    layer: [
      {
        data: { values: [{ time_s: result.healUs / 1e6, label: "heal" }] },
        mark: { type: "rule", color: "#555", strokeDash: [4, 3] },
        encoding: { x: { field: "time_s", type: "quantitative" } },
      },
      {
        data: { values },
        mark: { type: "line", interpolate: "step-after" },
        encoding: {
          x: { field: "time_s", type: "quantitative", title: "time (s, virtual)" },
          y: { field: "applied", type: "quantitative", title: "applied index" },
          color: { field: "server", type: "nominal", title: null },
        },
      },
    ],
  };
}

/** Raft under one named fault scenario, with downtime, catch-up, throughput phases and latency. */
export const raftFaultsExperiment = defineCustomExperiment({
  name: "raft-faults",
  description:
    "Raft under one fault scenario (leader disk stall, leader crash, partitions, leadership transfer, membership change under a partition): downtime, catch-up, throughput",
  params: raftFaultsParams,
  run(p, seed) {
    const result = runRaftFaultScenario(p, seed);
    const { run } = result;
    const name = (server: number) => run.sim.nodeName(server);
    const title = `raft-faults ${result.scenario}, seed ${seed}`;
    const figures = { ...standardFigures(run.run), ...run.run.cluster.figures?.(), ...raftFaultFigures(result) };
    return outputOf(run.run, figures, {
      // A transfer is an operator's act, not a nemesis fault: it touched the system if it moved the leader.
      figures: {
        vacuous: raftFaultScenarios[result.scenario].transfer ? !result.downtime.leaderMoved : run.coverage.vacuous,
      },
      tables: {
        windows: result.windows.map((row) => ({ ...row })),
        phases: result.phases.map((row) => ({ ...row })),
        catchUp: result.catchUp.map((row) => ({
          ...row,
          server: name(row.server),
          caughtUpUs: row.caughtUpUs ?? null,
          catchUpUs: row.catchUpUs ?? null,
        })),
        samples: run.samples.map((s) => ({ ...s, server: name(s.server) })),
        leaderChanges: run.leaderChanges.map((c) => ({ ...c, server: name(c.server) })),
        writeLatencyHistogram: latencyBins(result.writeLatenciesUs).map((bin) => ({ ...bin })),
      },
      charts: {
        timeline: throughputLatencyTimeline(result.windows, {
          bands: result.bands,
          title: `${title}: throughput and p99 latency (shaded: the fault)`,
        }),
        writeLatency: latencyHistogramChart(result.writeLatenciesUs.map((latencyUs) => ({ latencyUs })), {
          title: `${title}: write (commit) latency`,
        }),
        appliedIndex: appliedIndexChart(result, `${title}: applied index per server (dashed: heal)`),
      },
    });
  },
});
