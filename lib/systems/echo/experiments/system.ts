/**
 * The echo service as the harness runs it: `servers` journaling servers, clients with retries,
 * and the durable journals as the state that must hold every acknowledged request.
 *
 * @module
 */
import { exponentialMessageServiceTime, type SystemDefinition } from "../../../harness/mod.ts";
import {
  echoBugDocs,
  echoBugsFor,
  echoClient,
  type EchoMessage,
  echoServer,
  journalFile,
  journalRecordBytes,
} from "../mod.ts";
import type { Simulation } from "../../../sim/mod.ts";

/** How to build the echo service. */
export interface EchoOptions {
  servers: number;
  /** Mean server CPU time per message (exponential). */
  serviceTimeUsMean: number;
  timeoutUs: number;
  attemptsMax: number;
  bug: "none" | keyof typeof echoBugDocs;
}

/** The echo service on the harness. */
export const echoSystem: SystemDefinition<EchoMessage, EchoOptions> = {
  name: "echo",
  bugs: echoBugDocs,
  build(sim, options) {
    const bugs = echoBugsFor(options.bug);
    const serviceTimeUs = exponentialMessageServiceTime(options.serviceTimeUsMean);
    const servers: number[] = [];
    for (let i = 0; i < options.servers; i++) {
      servers.push(sim.addNode<EchoMessage>({
        name: `server${i}`,
        create: (api) => echoServer(api, bugs),
        serviceTimeUs,
      }));
    }
    return { servers, durableValues: () => new Map([["", durableIds(sim, servers)]]) };
  },
  client(context, cluster, { timeoutUs, attemptsMax }) {
    return echoClient(context, { servers: cluster.servers, timeoutUs, attemptsMax, backoffUsBase: timeoutUs });
  },
};

/** The request ids in the durable part of every server's journal (what a power loss now would keep). */
export function durableIds(sim: Simulation, servers: readonly number[]): number[] {
  const ids: number[] = [];
  for (const server of servers) {
    const bytes = sim.files(server).readDurable(journalFile);
    const whole = Math.floor(bytes.length / journalRecordBytes) * journalRecordBytes;
    ids.push(...new Float64Array(bytes.slice(0, whole).buffer));
  }
  return ids;
}
