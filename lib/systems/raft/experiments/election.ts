/**
 * Figure 16 of the Raft paper (Ongaro & Ousterhout, "In Search of an Understandable Consensus
 * Algorithm (Extended Version)", §9.3) and the WAN elections of Ongaro's thesis (§9.4): the time
 * to replace a crashed leader, for each range of randomised election timeout.
 *
 * A Figure 16 trial, as the paper describes its benchmark: five servers; the heartbeat interval
 * half the minimum timeout; no Pre-Vote or CheckQuorum (the paper's Raft had neither); a leader
 * that has held the role for two maximum timeouts (so the crash is a failover, never a cold start
 * or churn); in the `paper` setup two followers whose logs miss the last entry (ineligible,
 * §5.4.1, and checked to be) and a synchronised heartbeat broadcast from the leader to every
 * follower; then the crash, uniformly within the heartbeat interval after the last heartbeat, with
 * no client writes in between. The downtime runs from the crash until every live server has heard
 * the new leader, as the thesis measured it ("until the other servers received the new leader's
 * first heartbeat"). A trial whose crash finds no settled leader is discarded and counted, never
 * measured; one with no new leader within the window is censored (counted at the window).
 *
 * @example
 * ```ts
 * import { electionTrial } from "./election.ts";
 * const trial = electionTrial({ timeoutMs: [150, 300], setup: "paper" }, 1);
 * trial.outcome; // "measured"
 * ```
 * @module
 */
import { assert } from "../../../assert.ts";
import { TrialHash } from "../../../harness/mod.ts";
import { Rng } from "../../../sim/mod.ts";
import type { ElectionTimerRule } from "../mod.ts";
import { ScriptedCluster } from "./scripted_cluster.ts";

/** The timeout ranges of Figure 16's two graphs, in milliseconds (150-300 is in both). */
export const figure16Graphs = {
  /** Top: more randomness, same minimum. */
  top: [[150, 150], [150, 151], [150, 155], [150, 175], [150, 200], [150, 300]] as [number, number][],
  /** Bottom: the minimum scaled, randomness as wide as the minimum. */
  bottom: [[12, 24], [25, 50], [50, 100], [100, 200], [150, 300]] as [number, number][],
};

/** Every distinct range of Figure 16, top graph first. */
export const figure16Ranges: [number, number][] = [
  ...figure16Graphs.top,
  ...figure16Graphs.bottom.filter(([min, max]) => !figure16Graphs.top.some(([a, b]) => a === min && b === max)),
];

/** A range's name, as figures and tables carry it: "150-300". */
export function rangeName([min, max]: [number, number]): string {
  return `${min}-${max}`;
}

/**
 * `paper`: two followers behind and a synchronised broadcast before the crash (§9.3's worst case).
 * `plain`: equal logs; the followers last heard the leader's periodic heartbeat.
 */
export type ElectionSetup = "paper" | "plain";

/** One-way latency between servers, drawn uniformly (microseconds). */
export interface LatencyRangeUs {
  min: number;
  max: number;
}

/** How a Figure 16 trial is set up. */
export interface ElectionTrialOptions {
  timeoutMs: [number, number];
  /** Default "paper". */
  setup?: ElectionSetup;
  /** Default 6-9 ms: a request and its answer with the fsyncs on the way take about 15 ms, the caption's broadcast time. */
  latencyUs?: LatencyRangeUs;
  /** How long after the crash a new leader is waited for. Default {@linkcode electionWindowUs}. */
  windowUs?: number;
  /** Followers crashed with the leader (0 or 1: five servers keep a majority with two down). Default 0. */
  failedBesidesLeader?: number;
  /** Default "figure2", the paper's own rule. */
  timerRule?: ElectionTimerRule;
}

/** The default window: longer than the paper's "longer than 10 seconds" at 150-150. */
export const electionWindowUs = 20_000_000;

/** The default one-way latency. */
export const figure16LatencyUs: LatencyRangeUs = { min: 6_000, max: 9_000 };

/** What one trial saw. */
export interface ElectionTrialResult {
  /** measured: a new leader within the window; censored: none; discarded: the crash found no settled leader. */
  outcome: "measured" | "censored" | "discarded";
  /** Why a trial was discarded. */
  discardedBecause?: string;
  /** From the crash until every live server follows the new leader. */
  downtimeUs?: number;
  /** From the crash until the new leader was elected (a one-way latency or so before `downtimeUs`). */
  electedUs?: number;
  newLeader?: number;
  /** The followers left behind (`paper` setup). */
  lagging: number[];
  /** Whether every lagging follower's log was behind every other live follower's at the crash (§5.4.1). */
  laggingIneligible: boolean;
  /** The kernel's hash of the trial's simulation. */
  traceHash: string;
  events: number;
}

/** Bootstrapping and settling may take at most this many maximum timeouts before a trial is discarded. */
const warmupTimeoutsMax = 20;

/** One Figure 16 trial with `seed`. */
export function electionTrial(options: ElectionTrialOptions, seed: number): ElectionTrialResult {
  const [minMs, maxMs] = options.timeoutMs;
  if (!(Number.isInteger(minMs) && minMs >= 2 && maxMs >= minMs)) {
    throw new Error(`a timeout range needs 2 <= min <= max (ms); got ${minMs}-${maxMs}`);
  }
  const failed = options.failedBesidesLeader ?? 0;
  if (!(failed === 0 || failed === 1)) throw new Error(`failedBesidesLeader must be 0 or 1; got ${failed}`);
  const maxUs = maxMs * 1000;
  const heartbeatUs = Math.floor((minMs * 1000) / 2);
  const cluster = newCluster(options, seed, heartbeatUs);
  const { sim, servers } = cluster;
  const rng = Rng.fromSeed(seed).fork("election-trial");
  const operator = cluster.addClient("operator");
  cluster.start();
  // The benchmark script acts on the servers' own machines: its requests take no network time.
  for (const server of servers) sim.network.configureLink(operator.id, server, { latencyUs: constantUs(1) });
  const lagging: number[] = [];
  const finish = (rest: Partial<ElectionTrialResult> & Pick<ElectionTrialResult, "outcome">): ElectionTrialResult => ({
    lagging,
    laggingIneligible: false,
    traceHash: sim.hash(),
    events: sim.eventsProcessed,
    ...rest,
  });
  const discard = (because: string) => finish({ outcome: "discarded", discardedBecause: because });

  // Some server must lead first; at 150-150 nobody would (identical timeouts split every vote), so
  // the first server is asked to campaign at once, as an operator's transfer would.
  cluster.send(operator, servers[0], { type: "timeoutNow", term: 0 });
  const leader = settledLeader(cluster, 2 * maxUs, warmupTimeoutsMax * maxUs);
  if (leader === undefined) return discard("no leader held the role for two maximum timeouts");
  const term = cluster.raft(leader).term;
  const stillLeads = () => cluster.leads(leader) && cluster.raft(leader).term === term;
  const core = cluster.raft(leader).core!;

  // The crash falls within the heartbeat interval that begins with the leader's next heartbeat.
  const dueUs = core.nextDeadlineUs;
  sim.run({ until: () => core.nextDeadlineUs !== dueUs || !stillLeads(), untilUs: sim.nowUs + 4 * heartbeatUs });
  if (!stillLeads() || core.nextDeadlineUs === dueUs) return discard("the leader stopped heartbeating");
  const intervalStartUs = sim.nowUs;
  let broadcastUs = intervalStartUs;
  const followers = servers.filter((server) => server !== leader);
  if (options.setup !== "plain") {
    // Two followers miss one write (so their logs are shorter and they cannot win, §5.4.1): cut off
    // from the leader until the write's appends have left it, then the leader broadcasts a
    // heartbeat that reaches every follower. The lagging ones' answers stay cut off until the
    // crash, so the leader cannot send them the entry they miss; its next periodic heartbeat would,
    // but the crash comes first.
    lagging.push(...pick(rng, followers, 2));
    for (const follower of lagging) cluster.cut(leader, follower);
    const lastIndex = cluster.raft(leader).log.lastIndex;
    cluster.request(operator, leader, "put", "before-the-crash");
    const written = () => core.durableIndex > lastIndex;
    sim.run({ until: () => written() || !stillLeads(), untilUs: intervalStartUs + heartbeatUs - 3 });
    if (!written() || !stillLeads()) return discard("the write did not leave the leader within the heartbeat interval");
    for (const follower of lagging) sim.network.unblock(leader, follower);
    cluster.send(operator, leader, { type: "heartbeatNow" });
    broadcastUs = sim.nowUs + 1;
  }
  // Uniformly after the broadcast and within the heartbeat interval: no other heartbeat, no write.
  const crashUs = broadcastUs + 1 + Math.floor(rng.next() * (intervalStartUs + heartbeatUs - broadcastUs - 1));
  assert(crashUs > broadcastUs && crashUs < intervalStartUs + heartbeatUs, "the crash falls outside the interval");
  cluster.runFor(crashUs - sim.nowUs);
  if (!stillLeads()) return discard("the leader lost its role before the crash");
  sim.crash(leader);
  for (const server of pick(rng, followers, failed)) sim.crash(server);
  for (const follower of lagging) sim.network.unblock(follower, leader);

  // Once everything the leader sent has landed, the lagging followers must be behind every other
  // live follower, or they could win and the setup is not the paper's.
  let laggingIneligible: boolean | undefined;
  const live = servers.filter((server) => sim.isUp(server));
  const checkIneligible = () =>
    lagging.length > 0 && lagging.every((behind) =>
      live.filter((f) => !lagging.includes(f)).every((ahead) => {
        const log = cluster.raft(behind).log;
        return !cluster.raft(ahead).log.isUpToDate(log.lastIndex, log.lastTerm);
      })
    );
  sim.at(crashUs + latencyOf(options).max + 1, () => laggingIneligible = checkIneligible());
  const electedAtUs = new Map<number, number>();
  const everyoneFollows = () => {
    const leaders = cluster.leaders();
    if (leaders.length !== 1) return false;
    const next = leaders[0];
    const nextTerm = cluster.raft(next).term;
    if (!electedAtUs.has(nextTerm)) electedAtUs.set(nextTerm, sim.nowUs);
    return live.every((s) => s === next || (cluster.raft(s).term === nextTerm && cluster.raft(s).leader === next));
  };
  sim.run({ until: everyoneFollows, untilUs: crashUs + (options.windowUs ?? electionWindowUs) });
  laggingIneligible ??= checkIneligible();
  if (lagging.length > 0 && !laggingIneligible) return discard("the lagging followers caught up before the crash");
  if (!everyoneFollows()) return finish({ outcome: "censored", laggingIneligible });
  const newLeader = cluster.leaders()[0];
  return finish({
    outcome: "measured",
    laggingIneligible,
    downtimeUs: sim.nowUs - crashUs,
    electedUs: electedAtUs.get(cluster.raft(newLeader).term)! - crashUs,
    newLeader,
  });
}

/**
 * Runs until a server has led for `heldUs` without a break, trying again when a leader loses its
 * role (a cold start may churn before it settles); undefined if none has by `untilUs`.
 */
function settledLeader(cluster: ScriptedCluster, heldUs: number, untilUs: number): number | undefined {
  const { sim } = cluster;
  while (sim.nowUs < untilUs) {
    sim.run({ until: () => cluster.leaders().length === 1, untilUs });
    if (cluster.leaders().length !== 1) return undefined;
    const leader = cluster.leaders()[0];
    const term = cluster.raft(leader).term;
    const electedUs = sim.nowUs;
    const leads = () => cluster.leads(leader) && cluster.raft(leader).term === term;
    sim.run({ until: () => !leads(), untilUs: Math.min(untilUs, electedUs + heldUs) });
    if (leads() && sim.nowUs - electedUs >= heldUs) return leader;
  }
  return undefined;
}

function latencyOf(options: { latencyUs?: LatencyRangeUs }): LatencyRangeUs {
  return options.latencyUs ?? figure16LatencyUs;
}

function newCluster(options: ElectionTrialOptions, seed: number, heartbeatUs: number): ScriptedCluster {
  const latency = latencyOf(options);
  if (!(latency.min >= 0 && latency.max >= latency.min)) {
    throw new Error(`latency needs 0 <= min <= max (us); got ${latency.min}-${latency.max}`);
  }
  return new ScriptedCluster({
    voters: 5,
    seed,
    config: {
      electionTimeoutUsMin: options.timeoutMs[0] * 1000,
      electionTimeoutUsMax: options.timeoutMs[1] * 1000,
      heartbeatIntervalUs: heartbeatUs,
      preVote: false,
      checkQuorum: false,
      electionTimerRule: options.timerRule ?? "figure2",
    },
    network: { latencyUs: latency.min === latency.max ? constantUs(latency.min) : { kind: "uniform", ...latency } },
  });
}

function constantUs(value: number) {
  return { kind: "constant" as const, value };
}

/** `count` distinct members of `from`, drawn from `rng`. */
function pick(rng: Rng, from: readonly number[], count: number): number[] {
  const pool = [...from];
  const picked: number[] = [];
  for (let i = 0; i < count; i++) picked.push(pool.splice(Math.floor(rng.next() * pool.length), 1)[0]);
  return picked;
}

/** One row of {@linkcode electionTrials}. */
export interface ElectionTrialRow {
  range: string;
  trial: number;
  outcome: ElectionTrialResult["outcome"];
  /** Downtime in ms; the window for a censored trial; null when discarded. */
  downtimeMs: number | null;
  electedMs: number | null;
  censored: boolean;
}

/** Trials per range, with a hash of every trial's simulation. */
export interface ElectionTrialsResult {
  rows: ElectionTrialRow[];
  traceHash: string;
  events: number;
}

/** Runs `trials` trials for each range: trial i of every range has seed `seed * 100_000 + i`. */
export function electionTrials(
  ranges: [number, number][],
  trials: number,
  seed: number,
  options: Omit<ElectionTrialOptions, "timeoutMs"> = {},
): ElectionTrialsResult {
  const rows: ElectionTrialRow[] = [];
  const hash = new TrialHash();
  const windowMs = (options.windowUs ?? electionWindowUs) / 1000;
  for (const range of ranges) {
    for (let trial = 0; trial < trials; trial++) {
      const result = electionTrial({ ...options, timeoutMs: range }, seed * 100_000 + trial);
      hash.add(result);
      const censored = result.outcome === "censored";
      rows.push({
        range: rangeName(range),
        trial,
        outcome: result.outcome,
        downtimeMs: result.downtimeUs !== undefined ? result.downtimeUs / 1000 : censored ? windowMs : null,
        electedMs: result.electedUs !== undefined ? result.electedUs / 1000 : censored ? windowMs : null,
        censored,
      });
    }
  }
  return { rows, traceHash: hash.hex(), events: hash.events };
}

/** Median, mean, p99, max, censored and discarded of one range's trials (censored counted at the window). */
export interface ElectionSummary {
  medianMs: number | null;
  meanMs: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
  censored: number;
  discarded: number;
}

/** Summarises trials' times in ms (null: discarded); a censored time is its window, so a mean is a lower bound. */
export function summariseElections(times: (number | null)[], censored: number): ElectionSummary {
  const kept = times.filter((t): t is number => t !== null).sort((a, b) => a - b);
  const rank = (q: number) =>
    kept.length === 0 ? null : kept[Math.min(kept.length - 1, Math.ceil(q * kept.length) - 1)];
  return {
    medianMs: rank(0.5),
    meanMs: kept.length === 0 ? null : kept.reduce((a, b) => a + b, 0) / kept.length,
    p99Ms: rank(0.99),
    p999Ms: rank(0.999),
    maxMs: kept.length === 0 ? null : kept[kept.length - 1],
    censored,
    discarded: times.length - kept.length,
  };
}

// ------------------------------------------------------------------ the thesis' WAN (§9.4)

/** How a WAN election trial is set up (Ongaro's thesis §9.4, after AvailSim). */
export interface WanElectionOptions {
  /** Servers down of five (1 or 2). */
  failed: number;
  /** Default 30-40 ms. */
  latencyUs?: LatencyRangeUs;
  /** Default 300-600 ms. */
  timeoutMs?: [number, number];
  timerRule?: ElectionTimerRule;
  /** Default {@linkcode electionWindowUs}. */
  windowUs?: number;
}

/**
 * One WAN election: `failed` of five servers down and the others starting with fresh election
 * timers, as AvailSim began every election; the time until one of them is elected.
 */
export function wanElectionTrial(options: WanElectionOptions, seed: number): {
  electedUs: number | undefined;
  traceHash: string;
  events: number;
} {
  if (!(options.failed === 1 || options.failed === 2)) throw new Error(`failed must be 1 or 2; got ${options.failed}`);
  const timeoutMs = options.timeoutMs ?? [300, 600];
  const cluster = newCluster(
    { timeoutMs, latencyUs: options.latencyUs ?? { min: 30_000, max: 40_000 }, timerRule: options.timerRule },
    seed,
    Math.floor((timeoutMs[0] * 1000) / 2),
  );
  const { sim, servers } = cluster;
  cluster.start();
  for (const server of pick(Rng.fromSeed(seed).fork("wan-trial"), servers, options.failed)) sim.crash(server);
  sim.run({ until: () => cluster.leaders().length === 1, untilUs: options.windowUs ?? electionWindowUs });
  const elected = cluster.leaders().length === 1 ? sim.nowUs : undefined;
  return { electedUs: elected, traceHash: sim.hash(), events: sim.eventsProcessed };
}

// ------------------------------------------------------------------ the published numbers

/** A number the paper or the thesis states in its text, with the figure of ours it compares to. */
export interface PublishedElectionNumber {
  /** Where it is stated. */
  source: string;
  /** The sentence, quoted. */
  quote: string;
  /** The figure of `raft-election` (or `raft-election-wan`) it compares to. */
  figure: string;
  /** The stated value in ms (a lower bound where the text says "longer than"). */
  valueMs: number;
}

/** The election times the Raft paper (§9.3) and Ongaro's thesis (§9.4) state in their text. */
export const publishedElectionNumbers: PublishedElectionNumber[] = [
  {
    source: "paper §9.3",
    quote: "In the absence of randomness, leader election consistently took longer than 10 seconds",
    figure: "medianMs 150-150",
    valueMs: 10_000,
  },
  {
    source: "paper §9.3",
    quote: "Adding just 5ms of randomness helps significantly, resulting in a median downtime of 287ms",
    figure: "medianMs 150-155",
    valueMs: 287,
  },
  {
    source: "paper §9.3",
    quote: "with 50ms of randomness the worst-case completion time (over 1000 trials) was 513ms",
    figure: "maxMs 150-200",
    valueMs: 513,
  },
  {
    source: "paper §9.3",
    quote: "With an election timeout of 12-24ms, it takes only 35ms on average to elect a leader",
    figure: "meanMs 12-24",
    valueMs: 35,
  },
  { source: "paper §9.3", quote: "(the longest trial took 152ms)", figure: "maxMs 12-24", valueMs: 152 },
  {
    source: "thesis §9.4",
    quote: "When only one of the five servers has failed, the average election completes within about 475 ms",
    figure: "meanMs failed=1",
    valueMs: 475,
  },
  {
    source: "thesis §9.4",
    quote: "and 99.9% of elections complete within 1.5 s",
    figure: "p999Ms failed=1",
    valueMs: 1500,
  },
  {
    source: "thesis §9.4",
    quote: "Even when two of the five servers have failed, the average election takes about 650 ms",
    figure: "meanMs failed=2",
    valueMs: 650,
  },
  { source: "thesis §9.4", quote: "and 99.9% of elections complete in 3 s", figure: "p999Ms failed=2", valueMs: 3000 },
];

/** The published numbers beside ours (from `figures`, where present) and ours divided by theirs. */
export function compareWithPublished(
  figures: Record<string, unknown>,
): {
  source: string;
  figure: string;
  publishedMs: number;
  oursMs: number | null;
  ratio: number | null;
  quote: string;
}[] {
  return publishedElectionNumbers.filter((n) => n.figure in figures).map((n) => {
    const ours = typeof figures[n.figure] === "number" ? figures[n.figure] as number : null;
    return {
      source: n.source,
      figure: n.figure,
      publishedMs: n.valueMs,
      oursMs: ours,
      ratio: ours === null ? null : Math.round((ours / n.valueMs) * 100) / 100,
      quote: n.quote,
    };
  });
}
