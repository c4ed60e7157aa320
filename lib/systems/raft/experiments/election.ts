/**
 * Reproducing the shape of Figure 16 of the Raft paper (Ongaro & Ousterhout, USENIX ATC 2014,
 * §9.3): the time to replace a crashed leader, for several ranges of randomised election timeout.
 *
 * Setup, after the paper: five servers; a broadcast time of about 15 ms (one-way latency drawn
 * uniformly from 6-9 ms, so a request and its reply take about 15 ms); the heartbeat interval is
 * half the minimum election timeout; the leader is crashed at a uniformly random point of its
 * heartbeat interval. The paper's Raft had neither Pre-Vote nor CheckQuorum, so they are off
 * here. The paper also gave servers logs of different lengths (some candidates could not win)
 * and broadcast synchronised heartbeats before the crash to provoke split votes; the `paper` setup
 * below approximates that, and says where it differs. Each trial watches a window after the
 * crash; a trial with no new leader in it counts as at least the window.
 *
 * @module
 */
import { Rng } from "../../../sim/mod.ts";
import { combineTraceHashes } from "../../../harness/mod.ts";
import { runRaftCluster } from "./cluster.ts";

/** The timeout ranges of Figure 16, in milliseconds. */
export const figure16Ranges: [number, number][] = [
  [150, 150],
  [150, 151],
  [150, 155],
  [150, 175],
  [150, 200],
  [150, 300],
  [12, 24],
];

/** How long after the crash a trial waits for a new leader. */
export const electionWindowUs = 5_000_000;

/**
 * How a trial sets the cluster up before the crash. `plain` (the default): equal logs, and the
 * followers last heard whatever heartbeat the leader sent last. `paper`: closer to §9.3's worst
 * case, logs of different lengths (two followers miss the last entries, so they cannot win) and a
 * synchronised broadcast just before the crash; but our two lagging followers are cut off from
 * the leader to fall behind, so they miss that broadcast, time out first and, ineligible, disrupt
 * the others' elections with higher terms. That makes it slower than the paper's curves, where
 * presumably every follower heard the broadcast.
 */
export type ElectionSetup = "paper" | "plain";

/** What one trial saw. */
export interface ElectionTrialResult {
  /** From the leader's crash to the next leader; undefined when none came within the window. */
  downtimeUs: number | undefined;
  /** The next leader's node id. */
  newLeader: number | undefined;
  /** The followers made to fall behind (`paper` setup). */
  lagging: number[];
  /** The trial's run hash and event count, so a replay checks the trial itself. */
  traceHash: string;
  events: number;
}

/** One trial: the time from the leader's crash to the next leader. */
export function electionTrial(
  timeoutMs: [number, number],
  seed: number,
  setup: ElectionSetup = "paper",
): ElectionTrialResult {
  const [minMs, maxMs] = timeoutMs;
  const lagging: number[] = [];
  const heartbeatUs = (minMs * 1000) / 2;
  const rng = Rng.fromSeed(seed).fork("election-trial");
  const crashAtUs = 1_000_000 + Math.floor(rng.next() * heartbeatUs);
  const paper = setup === "paper";
  const run = runRaftCluster({
    servers: 5,
    // The paper's logs differ in length: a writer keeps appending while the leader's links to two
    // followers are cut 60 and 30 ms before the crash, so those two fall behind and cannot win.
    clients: paper ? 1 : 0,
    readFraction: 0,
    thinkTimeUsMean: 5_000,
    durationUs: crashAtUs + electionWindowUs,
    bug: "none",
    schedule: {
      faults: [{ at: crashAtUs, fault: { kind: "crash", targets: { role: "leader" } } }],
      healAtUs: crashAtUs + electionWindowUs,
      recoveryUs: 0,
    },
    electionTimeoutUsMin: minMs * 1000,
    electionTimeoutUsMax: maxMs * 1000,
    heartbeatIntervalUs: heartbeatUs,
    latencyUs: { kind: "uniform", min: 6_000, max: 9_000 },
    preVote: false,
    checkQuorum: false,
    skipLinearizability: true,
    // "A synchronized broadcast of heartbeat RPCs from the leader before terminating its process":
    // asked for 25 ms before the crash, so it has left the leader (behind any fsync) when it dies.
    heartbeatsNowAtUs: paper ? [crashAtUs - 25_000] : undefined,
    probe: paper
      ? (sim, cluster) => {
        const leader = () => cluster.servers.find((s) => cluster.instance(s)?.role === "leader" && sim.isUp(s));
        for (const [atUs, nth] of [[crashAtUs - 60_000, 0], [crashAtUs - 30_000, 1]]) {
          sim.at(atUs, (s) => {
            const from = leader();
            if (from === undefined) return;
            const follower = cluster.servers.filter((n) => n !== from)[nth];
            s.network.block(from, follower);
            lagging.push(follower);
          });
        }
      }
      : undefined,
  }, seed);
  const next = run.leaderChanges.find((change) => change.timeUs > crashAtUs);
  return {
    downtimeUs: next === undefined ? undefined : next.timeUs - crashAtUs,
    newLeader: next?.server,
    lagging,
    traceHash: run.sim.hash(),
    events: run.sim.eventsProcessed,
  };
}

/** One row of an election study: a trial's time without a leader, censored at the window. */
export type ElectionRow = {
  range: string;
  trial: number;
  downtimeMs: number;
  censored: boolean;
};

/** Runs `trials` trials per range; rows of {range, trial, downtimeMs, censored}. */
export function electionTrials(
  ranges: [number, number][],
  trials: number,
  seed: number,
  setup: ElectionSetup = "plain",
): ElectionRow[] {
  return electionStudy(ranges, trials, seed, setup).rows;
}

/** The trials of {@linkcode electionTrials} with one trace hash over all of them and their events. */
export function electionStudy(
  ranges: [number, number][],
  trials: number,
  seed: number,
  setup: ElectionSetup = "plain",
): { rows: ElectionRow[]; traceHash: string; events: number } {
  const rows: ElectionRow[] = [];
  const hashes: string[] = [];
  let events = 0;
  for (const range of ranges) {
    for (let trial = 0; trial < trials; trial++) {
      const result = electionTrial(range, seed * 100_000 + trial, setup);
      rows.push({
        range: `${range[0]}-${range[1]} ms`,
        trial,
        downtimeMs: (result.downtimeUs ?? electionWindowUs) / 1000,
        censored: result.downtimeUs === undefined,
      });
      hashes.push(result.traceHash);
      events += result.events;
    }
  }
  return { rows, traceHash: combineTraceHashes(hashes), events };
}
