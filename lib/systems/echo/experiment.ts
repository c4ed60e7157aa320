/**
 * The echo experiment: servers and clients on the kernel, a crash and restart of one server in the
 * middle, and a check that no acknowledged request was lost. This is the demo's default run.
 *
 * @example
 * ```ts
 * import { runEcho } from "./experiment.ts";
 * const result = runEcho({ durationUs: 2_000_000 }, 1);
 * result.summary.latencyUsP99;
 * ```
 * @module
 */
import * as ss from "simple-statistics";
import { type ParamSchema, type ParamValues, resolveParams } from "../../params.ts";
import { type CoverageReport, Nemesis, type Schedule } from "../../faults/mod.ts";
import type { History } from "../../history/history.ts";
import { Simulation } from "../../sim/mod.ts";
import { echoClient, type EchoMessage, echoServer, journalFile, journalRecordBytes } from "./echo.ts";

/** The experiment's parameters. */
export const echoParams: ParamSchema = {
  servers: { type: "integer", default: 3, min: 1, max: 64, description: "number of echo servers" },
  clients: { type: "integer", default: 6, min: 1, max: 1000, description: "number of closed-loop clients" },
  durationUs: { type: "integer", default: 10_000_000, min: 1000, max: 3_600_000_000, description: "virtual run time" },
  thinkTimeUsMean: { type: "number", default: 5_000, min: 0, description: "mean client think time" },
  timeoutUs: { type: "integer", default: 20_000, min: 1, description: "client timeout before a retry" },
  attemptsMax: { type: "integer", default: 5, min: 1, max: 100, description: "attempts per request" },
  serviceTimeUsMean: { type: "number", default: 100, min: 0, description: "mean server CPU time per event" },
  crashAtFraction: {
    type: "number",
    default: 0.3,
    min: 0,
    max: 1,
    description: "when server 0 crashes, as a fraction of the run (1: never)",
  },
  downtimeUs: { type: "integer", default: 2_000_000, min: 0, description: "how long server 0 stays down" },
  ackBeforeFsync: { type: "boolean", default: false, description: "planted bug: answer before the fsync" },
};

/** One answered request. */
export interface EchoRequestRow {
  /** True time the answer arrived. */
  timeUs: number;
  client: number;
  requestId: number;
  latencyUs: number;
  attempts: number;
}

/** Figures of one run. */
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

/** A run's outcome. */
export interface EchoResult {
  seed: number;
  params: ParamValues;
  hash: string;
  events: number;
  requests: EchoRequestRow[];
  summary: EchoSummary;
  /** The invariant's verdict, with the lost request ids when it fails. */
  check: { valid: boolean; lostRequestIds: number[] };
  /** The fault schedule that ran. */
  schedule: Schedule;
  /** Client operations and nemesis events. */
  history: History;
  /** What the faults did. */
  coverage: CoverageReport;
}

/** Runs the echo experiment for one seed. Unknown or out-of-range parameters throw. */
export function runEcho(given: Record<string, unknown>, seed: number): EchoResult {
  const params = resolveParams(echoParams, given);
  const servers = params.servers as number;
  const durationUs = params.durationUs as number;
  const serviceMean = params.serviceTimeUsMean as number;
  const sim = new Simulation({ seed });
  const serverIds: number[] = [];
  for (let i = 0; i < servers; i++) {
    serverIds.push(sim.addNode<EchoMessage>({
      name: `server${i}`,
      create: (api) => echoServer(api, { ackBeforeFsync: params.ackBeforeFsync as boolean }),
      serviceTimeUs: (kind, _payload, rng) => (kind === "message" ? -serviceMean * Math.log(1 - rng.next()) : 0),
    }));
  }
  for (let i = 0; i < (params.clients as number); i++) {
    sim.addNode<EchoMessage>({
      name: `client${i}`,
      create: (api) =>
        echoClient(api, {
          servers: serverIds,
          thinkTimeUsMean: params.thinkTimeUsMean as number,
          timeoutUs: params.timeoutUs as number,
          attemptsMax: params.attemptsMax as number,
          backoffUsBase: params.timeoutUs as number,
        }),
    });
  }
  const schedule = echoSchedule(params);
  const nemesis = new Nemesis({ sim, cluster: { nodes: serverIds }, schedule });
  sim.run({ untilUs: durationUs });
  const requests = requestRows(sim);
  const lostRequestIds = lostAcknowledged(sim, serverIds);
  return {
    seed,
    params,
    hash: sim.hash(),
    events: sim.eventsProcessed,
    requests,
    summary: summarise(requests, sim.metrics.series("failed").value.length, lostRequestIds.length),
    check: { valid: lostRequestIds.length === 0, lostRequestIds },
    schedule,
    history: sim.history,
    coverage: nemesis.coverage(),
  };
}

/**
 * The experiment's fault schedule: server 0 crashes at `crashAtFraction` of the run and restarts
 * `downtimeUs` later; the run's own end closes the recovery period.
 */
export function echoSchedule(params: ParamValues): Schedule {
  const durationUs = params.durationUs as number;
  const crashAtUs = Math.round(durationUs * (params.crashAtFraction as number));
  if (crashAtUs >= durationUs) return { faults: [], recoveryUs: 0 };
  return {
    faults: [{
      at: crashAtUs,
      fault: { kind: "crash", targets: { nodes: ["server0"] }, durationUs: params.downtimeUs as number },
    }],
    recoveryUs: 0,
  };
}

function requestRows(sim: Simulation): EchoRequestRow[] {
  const acked = sim.metrics.series("acked");
  const latency = sim.metrics.series("latency_us");
  const attempts = sim.metrics.series("attempts_acked");
  return Array.from(acked.value, (requestId, i) => ({
    timeUs: acked.timeUs[i],
    client: acked.node[i],
    requestId,
    latencyUs: latency.value[i],
    attempts: attempts.value[i],
  }));
}

/**
 * The invariant: every acknowledged request id is in the durable part of some server's journal
 * (what a power loss at the end of the run would keep). Returns the missing ids.
 */
export function lostAcknowledged(sim: Simulation, serverIds: number[]): number[] {
  const journaled = new Set<number>();
  for (const server of serverIds) {
    const bytes = sim.files(server).readDurable(journalFile);
    const whole = Math.floor(bytes.length / journalRecordBytes) * journalRecordBytes;
    for (const id of new Float64Array(bytes.slice(0, whole).buffer)) journaled.add(id);
  }
  return Array.from(sim.metrics.series("acked").value).filter((id) => !journaled.has(id));
}

function summarise(requests: EchoRequestRow[], failed: number, ackedLost: number): EchoSummary {
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
