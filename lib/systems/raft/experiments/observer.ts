/**
 * A harness-side observer of a Raft cluster: every `everyUs` of true time it reads each server's
 * role, term, commit index, applied index and last log index, as a monitoring system scraping
 * every server would, and keeps the readings as tidy rows. It reads the servers' public fields
 * from outside (a kernel callback, not a node), so it sends no message and changes nothing the
 * servers do; only the run's event count and trace hash see its callbacks.
 *
 * @example
 * ```ts
 * import { runRaftCluster } from "./cluster.ts";
 * const run = runRaftCluster({
 *   servers: 3, clients: 1, durationUs: 400_000, bug: "none", schedule: { faults: [], recoveryUs: 0 },
 *   sampleEveryUs: 10_000,
 * }, 1);
 * run.samples.filter((s) => s.role === "leader").length > 0; // true: a leader was elected
 * ```
 * @module
 */
import { assert, checkNumber, InputError } from "../../../assert.ts";
import type { Simulation } from "../../../sim/mod.ts";
import type { RaftServer, Role } from "../mod.ts";

/** One reading of one server. */
export interface RaftServerSample {
  timeUs: number;
  /** The server's node id. */
  server: number;
  /** Whether the server is up; a down server's other fields are those of its last incarnation. */
  up: boolean;
  role: Role;
  term: number;
  commit: number;
  applied: number;
  lastIndex: number;
}

/** The most readings one run keeps (servers times samples); beyond it the observer refuses to start. */
export const samplesMax = 5_000_000;

/** What the observer reads and how often. */
export interface ObserverOptions {
  servers: readonly number[];
  /** The server object of a node's current (or last) incarnation; undefined before it starts. */
  instance: (server: number) => RaftServer | undefined;
  /** Time between readings (true time, at least 1 µs). */
  everyUs: number;
  /** The last reading is at or before this time. */
  untilUs: number;
}

/**
 * Schedules readings at 0 (or now), `everyUs`, `2·everyUs`, … up to `untilUs`, and returns the
 * array they fill as the run proceeds (empty until the simulation runs).
 *
 * @param sim the simulation, before it runs to `untilUs`
 * @param options the servers, how to reach their objects, the period and the end
 * @returns the rows, in time order and, within one reading, in the order of `servers`
 */
export function observeServers(sim: Simulation, options: ObserverOptions): RaftServerSample[] {
  const everyUs = checkNumber("sampleEveryUs", options.everyUs, { min: 1, integer: true });
  const readings = Math.floor((options.untilUs - sim.nowUs) / everyUs) + 1;
  if (readings * options.servers.length > samplesMax) {
    throw new InputError(
      `sampling ${options.servers.length} servers every ${everyUs} us until ${options.untilUs} us keeps ` +
        `${readings * options.servers.length} rows, more than samplesMax ${samplesMax}: sample less often`,
    );
  }
  const rows: RaftServerSample[] = [];
  const read = (s: Simulation) => {
    for (const server of options.servers) {
      const instance = options.instance(server);
      if (instance === undefined) continue;
      rows.push({
        timeUs: s.nowUs,
        server,
        up: s.isUp(server),
        role: instance.role,
        term: instance.term,
        commit: instance.commit,
        applied: instance.applied,
        lastIndex: instance.log.lastIndex,
      });
    }
    assert(rows.length <= samplesMax, "the observer keeps at most samplesMax rows");
    if (s.nowUs + everyUs <= options.untilUs) s.at(s.nowUs + everyUs, read);
  };
  sim.at(sim.nowUs, read);
  return rows;
}
