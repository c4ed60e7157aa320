/**
 * The `echo` experiment, the demo's default run: echo servers and closed-loop clients with
 * retries, a crash and restart of server 0 in the middle, and the check that no acknowledged
 * request was lost. `runEcho` gives the same run with the echo-specific rows and summary the tour
 * notebook plots.
 *
 * @example
 * ```ts
 * import { runEcho } from "./echo.ts";
 * const result = runEcho({ durationUs: 1_000_000 }, 1);
 * result.summary.latencyUsP99;
 * ```
 * @module
 */
import * as ss from "simple-statistics";
import {
  defineExperiment,
  defineParams,
  type Generator,
  type HarnessRun,
  integer,
  lostWrites,
  number,
  paramGroups,
  runDeclared,
  type ValuesOf,
  type Workload,
} from "../../../harness/mod.ts";
import type { Schedule } from "../../../faults/mod.ts";
import type { History } from "../../../history/mod.ts";
import type { CoverageReport } from "../../../faults/mod.ts";
import { faultBandsFromHistory } from "../../../viz/mod.ts";
import { latencyTimeline } from "../../../viz/mod.ts";
import { echoBugNames } from "../mod.ts";
import { durableIds, echoSystem } from "./system.ts";

/** The experiment's parameters. */
export const echoParams = defineParams({
  ...paramGroups.cluster({ default: 3, max: 64 }),
  ...paramGroups.clients({ default: 6 }),
  ...paramGroups.duration({ defaultUs: 10_000_000, minUs: 1000 }),
  thinkTimeUsMean: number({ default: 5_000, min: 0, description: "mean client think time" }),
  timeoutUs: integer({ default: 20_000, min: 1, description: "client timeout before a retry" }),
  attemptsMax: integer({ default: 5, min: 1, max: 100, description: "attempts per request" }),
  serviceTimeUsMean: number({ default: 100, min: 0, description: "mean server CPU time per event" }),
  crashAtFraction: number({
    default: 0.3,
    min: 0,
    max: 1,
    description: "when server 0 crashes, as a fraction of the run (1: never)",
  }),
  downtimeUs: integer({ default: 2_000_000, min: 0, description: "how long server 0 stays down" }),
  ...paramGroups.bug(echoBugNames),
});

type EchoParams = ValuesOf<typeof echoParams>;

/** Each request is a write of an id unique in the run. */
const requestIds: Generator = {
  next: (_rng, { process, sequence }) => ({ f: "write", value: process * 1_000_000 + sequence }),
};

/**
 * The fault schedule: server 0 crashes at `crashAtFraction` of the run and restarts `downtimeUs`
 * later; the run's own end closes the recovery period.
 */
export function echoSchedule(params: Pick<EchoParams, "durationUs" | "crashAtFraction" | "downtimeUs">): Schedule {
  const crashAtUs = Math.round(params.durationUs * params.crashAtFraction);
  if (crashAtUs >= params.durationUs) return { faults: [], recoveryUs: 0 };
  return {
    faults: [{
      at: crashAtUs,
      fault: { kind: "crash", targets: { nodes: ["server0"] }, durationUs: params.downtimeUs },
    }],
    recoveryUs: 0,
  };
}

const declaration = {
  system: echoSystem,
  options: (p: EchoParams) => ({
    servers: p.servers,
    serviceTimeUsMean: p.serviceTimeUsMean,
    timeoutUs: p.timeoutUs,
    attemptsMax: p.attemptsMax,
    bug: p.bug,
  }),
  workload: (p: EchoParams): Workload => ({
    processes: p.clients,
    thinkTimeUsMean: p.thinkTimeUsMean,
    generator: requestIds,
    checkers: [lostWrites("durable")],
  }),
  schedule: echoSchedule,
  // Faults may strike from the start (crashAtFraction 0); after the restart a request must be
  // answered within a second.
  phases: (p: EchoParams) => ({ warmupUs: 0, durationUs: p.durationUs, recoveryBoundUs: 1_000_000 }),
};

/** The echo service with retries under a server crash. */
export const echoExperiment = defineExperiment({
  name: "echo",
  description: "echo service with retries; server 0 crashes mid-run; checks no acknowledged request is lost",
  params: echoParams,
  ...declaration,
  extras(run, p) {
    const requests = requestRows(run);
    return {
      figures: { ...summarise(run, requests, lostIds(run).length) },
      tables: { requests: requests.map((r) => ({ ...r })) },
      charts: {
        latency: latencyTimeline(requests.map((r) => ({ ...r, series: `client ${r.client}` })), {
          bands: faultBandsFromHistory(run.sim.history.events, p.durationUs),
          title: `echo, seed ${run.seed}: latency over time (shaded: faults)`,
        }),
      },
    };
  },
});

/** One answered request. */
export interface EchoRequestRow {
  /** True time the answer arrived. */
  timeUs: number;
  client: number;
  requestId: number;
  latencyUs: number;
  attempts: number;
}

/** Echo's own figures of one run. */
export interface EchoSummary {
  requestsAcked: number;
  requestsFailed: number;
  availability: number;
  latencyUsP50: number;
  latencyUsP90: number;
  latencyUsP99: number;
  latencyUsMax: number;
  retries: number;
  /** Acknowledged requests missing from every server's journal: must be 0. */
  ackedLost: number;
}

/** A run's outcome, with echo's rows and summary. */
export interface EchoResult {
  seed: number;
  params: EchoParams;
  hash: string;
  events: number;
  requests: EchoRequestRow[];
  summary: EchoSummary;
  /** The durability check's verdict, with the lost request ids when it fails. */
  check: { valid: boolean; lostRequestIds: number[] };
  schedule: Schedule;
  /** Client operations and nemesis events. */
  history: History;
  coverage: CoverageReport;
  /** The harness's run, for its checks and standard figures. */
  run: HarnessRun;
}

/** Runs the echo experiment for one seed. Unknown or out-of-range parameters throw. */
export function runEcho(given: Record<string, unknown>, seed: number): EchoResult {
  const params = echoParams.resolve(given);
  const run = runDeclared(declaration, params, seed);

  const requests = requestRows(run);
  const lost = lostIds(run);
  const summary = summarise(run, requests, lost.length);
  return {
    seed,
    params,
    hash: run.sim.hash(),
    events: run.sim.eventsProcessed,
    requests,
    summary,
    check: { valid: lost.length === 0, lostRequestIds: lost },
    schedule: run.schedule,
    history: run.sim.history,
    coverage: run.coverage,
    run,
  };
}

function requestRows(run: HarnessRun): EchoRequestRow[] {
  const metrics = run.sim.metrics;
  const acked = metrics.series("acked");
  const latency = metrics.series("latency_us");
  const attempts = metrics.series("attempts_acked");
  return Array.from(acked.value, (requestId, i) => ({
    timeUs: acked.timeUs[i],
    client: acked.node[i],
    requestId,
    latencyUs: latency.value[i],
    attempts: attempts.value[i],
  }));
}

/** Acknowledged request ids missing from every server's durable journal. */
function lostIds(run: HarnessRun): number[] {
  const journaled = new Set(durableIds(run.sim, run.cluster.servers));
  return Array.from(run.sim.metrics.series("acked").value).filter((id) => !journaled.has(id));
}

function summarise(run: HarnessRun, requests: EchoRequestRow[], ackedLost: number): EchoSummary {
  const failed = run.sim.metrics.series("failed").value.length;
  const latencies = requests.map((r) => r.latencyUs);
  const quantile = (p: number) => (latencies.length === 0 ? NaN : ss.quantile(latencies, p));
  return {
    requestsAcked: requests.length,
    requestsFailed: failed,
    availability: requests.length + failed === 0 ? NaN : requests.length / (requests.length + failed),
    latencyUsP50: quantile(0.5),
    latencyUsP90: quantile(0.9),
    latencyUsP99: quantile(0.99),
    latencyUsMax: latencies.length === 0 ? NaN : ss.max(latencies),
    retries: requests.reduce((sum, r) => sum + r.attempts - 1, 0),
    ackedLost,
  };
}
