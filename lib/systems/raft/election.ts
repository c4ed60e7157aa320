/**
 * Reproducing the shape of Figure 16 of the Raft paper (Ongaro & Ousterhout, USENIX ATC 2014,
 * §9.3): the time to replace a crashed leader, for several ranges of randomised election timeout.
 *
 * Setup, after the paper: five servers; a broadcast time of about 15 ms (one-way latency drawn
 * uniformly from 6-9 ms, so a request and its reply take about 15 ms); the heartbeat interval is
 * half the minimum election timeout; the leader is crashed at a uniformly random point of its
 * heartbeat interval. The paper's Raft had neither Pre-Vote nor CheckQuorum, so they are off
 * here. Differences: the paper gave servers logs of different lengths (some candidates could not
 * win) and broadcast synchronised heartbeats before the crash to provoke split votes; here logs
 * are equal and heartbeats are whatever the leader last sent. Each trial watches a window after
 * the crash; a trial with no new leader in it counts as at least the window.
 *
 * @module
 */
import { Rng } from "../../sim/rng.ts";
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

/** One trial: the time from the leader's crash to the next leader, or undefined beyond the window. */
export function electionTrial(timeoutMs: [number, number], seed: number): number | undefined {
  const [minMs, maxMs] = timeoutMs;
  const heartbeatUs = (minMs * 1000) / 2;
  const rng = Rng.fromSeed(seed).fork("election-trial");
  const crashAtUs = 1_000_000 + Math.floor(rng.next() * heartbeatUs);
  const run = runRaftCluster({
    servers: 5,
    clients: 0,
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
  }, seed);
  const next = run.leaderChanges.find((change) => change.timeUs > crashAtUs);
  return next === undefined ? undefined : next.timeUs - crashAtUs;
}

/** Runs `trials` trials per range; rows of {range, trial, downtimeMs, censored}. */
export function electionTrials(
  ranges: [number, number][],
  trials: number,
  seed: number,
): { range: string; trial: number; downtimeMs: number; censored: boolean }[] {
  const rows = [];
  for (const range of ranges) {
    for (let trial = 0; trial < trials; trial++) {
      const downtimeUs = electionTrial(range, seed * 100_000 + trial);
      rows.push({
        range: `${range[0]}-${range[1]} ms`,
        trial,
        downtimeMs: (downtimeUs ?? electionWindowUs) / 1000,
        censored: downtimeUs === undefined,
      });
    }
  }
  return rows;
}
