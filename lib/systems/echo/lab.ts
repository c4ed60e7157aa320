/**
 * The echo experiment as the lab sees it: parameters, figures, the durability check, tables and
 * a latency chart with the faults shaded.
 *
 * @module
 */
import type { Experiment } from "../../lab/experiment.ts";
import { faultBandsFromHistory } from "../../viz/bands.ts";
import { latencyTimeline } from "../../viz/charts.ts";
import { echoParams, runEcho } from "./experiment.ts";

/** The echo service with retries under a server crash. */
export const echoExperiment: Experiment = {
  name: "echo",
  description: "echo service with retries; server 0 crashes mid-run; checks no acknowledged request is lost",
  params: echoParams,
  run(params, seed) {
    const result = runEcho(params, seed);
    const lost = result.check.lostRequestIds;
    return {
      figures: { ...result.summary, vacuous: result.coverage.vacuous },
      checks: [{
        checker: "acknowledged-durable",
        valid: result.check.valid,
        message: result.check.valid
          ? "every acknowledged request is in some server's durable journal"
          : `${lost.length} acknowledged requests are missing from every journal (first: ${
            lost.slice(0, 5).join(", ")
          })`,
        details: { lostRequestIds: lost.slice(0, 100) },
      }],
      history: result.history,
      traceHash: result.hash,
      events: result.events,
      tables: { requests: result.requests.map((r) => ({ ...r })) },
      schedule: result.schedule,
      coverage: result.coverage,
      charts: {
        latency: latencyTimeline(result.requests.map((r) => ({ ...r, series: `client ${r.client}` })), {
          bands: faultBandsFromHistory(result.history.events, params.durationUs as number),
          title: `echo, seed ${seed}: latency over time (shaded: faults)`,
        }),
      },
    };
  },
};
