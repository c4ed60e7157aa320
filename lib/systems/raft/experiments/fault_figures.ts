/**
 * What a fault cost a Raft cluster, measured from outside: from the clients' history, the
 * leaders the harness saw elected, and the observer's readings of the servers. Every function is
 * pure and takes plain rows, so each can be tested on a hand-written history.
 *
 * Definitions (true time, microseconds):
 * - Election downtime: from the fault's start until a write is acknowledged by a leader elected
 *   after the fault: the first `ok` write completing at or after that leader's election and, when
 *   the clients recorded the term of each acknowledgement (`raft_write_ok_term`), answered in that
 *   leader's term or later (a deposed leader's held-back answers do not count). Writes are every
 *   client function but `get`. The election alone (`electionUs`) is the time to that leader's
 *   election. There is none when no leader was elected before the fault (nothing to replace).
 * - Write gap: the longest interval inside a span during which no write was acknowledged.
 * - Phases: ok completions per second before the fault (a span as long as the fault, starting no
 *   earlier than the first ok completion, so start-up is not counted), during it, and after the
 *   heal (the same span, cut at the run's end).
 * - Catch-up: at the first reading at or after the heal, the target is the highest commit index of
 *   any up server. A member that was up at the heal is behind when its applied index is below
 *   what the cluster had committed halfway through the fault: a healthy follower trails the
 *   commit index by a few entries, a cut-off one by everything since it was cut off. Its catch-up
 *   time is from the heal to the first reading where its applied index reaches the target. The
 *   resolution is the observer's period.
 *
 * @example
 * ```ts
 * import { electionDowntime } from "./fault_figures.ts";
 * const downtime = electionDowntime({
 *   events: [
 *     { process: 0, type: "invoke", f: "append", key: "k0", value: "a", time: 1_100_000 },
 *     { process: 0, type: "ok", f: "append", key: "k0", value: "a", time: 1_250_000 },
 *   ],
 *   leaderChanges: [{ timeUs: 100_000, server: 0, term: 1 }, { timeUs: 1_200_000, server: 2, term: 2 }],
 *   faultUs: 1_000_000,
 * });
 * downtime.downtimeUs; // 250_000
 * ```
 * @module
 */
import { assert, checkNumber } from "../../../assert.ts";
import type { Op } from "../../../history/mod.ts";
import { Histogram } from "../../../metrics/mod.ts";
import type { RaftServerSample } from "./observer.ts";

/** A server becoming leader, as `runRaftCluster` reports it. */
export interface LeaderChange {
  timeUs: number;
  server: number;
  term: number;
}

/** Whether a history operation writes (every Raft client function but `get`). */
export const isWrite = (op: Op): boolean => op.f !== "get";

/** The election downtime after one fault. */
export interface ElectionDowntime {
  /** Whether the new leader is another server than the one leading at the fault. */
  leaderMoved: boolean;
  /** The first leader elected at or after the fault in a term above the one leading at the fault; undefined if none. */
  newLeader: LeaderChange | undefined;
  /** From the fault to that election; undefined without a new leader. */
  electionUs: number | undefined;
  /** When the first write acknowledged after that election completed; undefined if none. */
  firstWriteUs: number | undefined;
  /** From the fault to that write; undefined without it. */
  downtimeUs: number | undefined;
}

/**
 * The time from a fault to a new leader, and to the first write it acknowledges (see the module doc).
 *
 * @param input the history's events, the leader changes of the run and the fault's start
 * @returns the new leader, the election time and the downtime (undefined parts when none came)
 */
export function electionDowntime(
  input: {
    events: readonly Op[];
    leaderChanges: readonly LeaderChange[];
    faultUs: number;
    /** The term of each acknowledged write, by client node and completion time (`raft_write_ok_term` rows). */
    writeTerms?: readonly { timeUs: number; node: number; value: number }[];
  },
): ElectionDowntime {
  const { events, leaderChanges, faultUs } = input;
  const before = leaderChanges.filter((c) => c.timeUs < faultUs);
  const leaderAtFault = before.reduce<LeaderChange | undefined>(
    (a, c) => (a === undefined || c.term > a.term ? c : a),
    undefined,
  );
  const none = {
    leaderMoved: false,
    newLeader: undefined,
    electionUs: undefined,
    firstWriteUs: undefined,
    downtimeUs: undefined,
  };
  // A fault before the first election replaced nobody: the first election is not a failover.
  if (leaderAtFault === undefined) return none;
  const newLeader = leaderChanges.find((c) => c.timeUs >= faultUs && c.term > leaderAtFault.term);
  if (newLeader === undefined) return none;
  const termOf = new Map(input.writeTerms?.map((row) => [`${row.node}:${row.timeUs}`, row.value]));
  const firstWrite = events.find((op) =>
    op.process !== "nemesis" && op.type === "ok" && isWrite(op) && op.time >= newLeader.timeUs &&
    (input.writeTerms === undefined || (termOf.get(`${op.process}:${op.time}`) ?? 0) >= newLeader.term)
  );
  assert(newLeader.timeUs >= faultUs, "the new leader is elected after the fault");
  return {
    leaderMoved: newLeader.server !== leaderAtFault.server,
    newLeader,
    electionUs: newLeader.timeUs - faultUs,
    firstWriteUs: firstWrite?.time,
    downtimeUs: firstWrite === undefined ? undefined : firstWrite.time - faultUs,
  };
}

/**
 * The longest interval of `[fromUs, toUs]` with no acknowledged write: between the span's ends
 * and the `ok` write completions inside it.
 *
 * @param events the history's events
 * @param span the interval to search
 * @returns the gap in microseconds (the whole span when no write was acknowledged in it)
 */
export function writeGapUsMax(events: readonly Op[], span: { fromUs: number; toUs: number }): number {
  checkNumber("toUs", span.toUs, { min: span.fromUs });
  let previousUs = span.fromUs;
  let gapUs = 0;
  for (const op of events) {
    if (op.process === "nemesis" || op.type !== "ok" || !isWrite(op)) continue;
    if (op.time < span.fromUs || op.time > span.toUs) continue;
    gapUs = Math.max(gapUs, op.time - previousUs);
    previousUs = op.time;
  }
  return Math.max(gapUs, span.toUs - previousUs);
}

/** Throughput and latency of one phase around a fault. */
export interface PhaseRow {
  phase: "before" | "during" | "after";
  startUs: number;
  endUs: number;
  /** Ok completions in [startUs, endUs). */
  ok: number;
  /** Ok completions per second. */
  throughputPerSecond: number;
  /** p99 latency of those ok operations (NaN when none). */
  latencyUsP99: number;
}

/**
 * Ok throughput before, during and after a fault: `[start − (heal − start), start)`,
 * `[start, heal)` and `[heal, heal + (heal − start))`, each cut to `[0, runEndUs]`.
 *
 * @param events the history's events
 * @param window the fault's start and heal and the run's end
 * @returns three rows, in phase order
 */
export function phaseThroughput(
  events: readonly Op[],
  window: { startUs: number; healUs: number; runEndUs: number },
): PhaseRow[] {
  const { startUs, healUs, runEndUs } = window;
  checkNumber("healUs", healUs, { min: startUs + 1 });
  const spanUs = healUs - startUs;
  const firstOk = events.find((op) => op.process !== "nemesis" && op.type === "ok")?.time ?? 0;
  const phases: [PhaseRow["phase"], number, number][] = [
    ["before", Math.min(startUs, Math.max(firstOk, startUs - spanUs)), startUs],
    ["during", startUs, healUs],
    ["after", healUs, Math.min(runEndUs, healUs + spanUs)],
  ];
  const invokedUs = new Map<number, number>();
  const rows = phases.map(([phase, from, to]) => ({ phase, from, to, latency: new Histogram() }));
  for (const op of events) {
    if (op.process === "nemesis") continue;
    if (op.type === "invoke") invokedUs.set(op.process, op.time);
    if (op.type !== "ok") continue;
    const row = rows.find((r) => op.time >= r.from && op.time < r.to);
    row?.latency.record(op.time - invokedUs.get(op.process)!);
  }
  return rows.map(({ phase, from, to, latency }) => ({
    phase,
    startUs: from,
    endUs: to,
    ok: latency.count,
    throughputPerSecond: to > from ? latency.count / ((to - from) / 1e6) : NaN,
    latencyUsP99: latency.quantile(0.99),
  }));
}

/** How long one cut-off server took to catch up after a heal. */
export interface CatchUpRow {
  server: number;
  healUs: number;
  /** The highest commit index of any up server at the first reading after the heal. */
  targetIndex: number;
  /** The server's applied index at that reading. */
  appliedAtHeal: number;
  /** targetIndex − appliedAtHeal. */
  lagEntries: number;
  /** The first reading where the server's applied index reached the target; undefined if none did. */
  caughtUpUs: number | undefined;
  /** caughtUpUs − healUs; undefined if the server never caught up. */
  catchUpUs: number | undefined;
}

/**
 * The catch-up time of every server that was behind at a heal (see the module doc).
 *
 * @param samples the observer's readings, in time order
 * @param healUs when the fault healed
 * @returns one row per server behind at the heal, by server id; none when every server was current
 */
export function catchUpTimes(
  samples: readonly RaftServerSample[],
  healUs: number,
  options: { faultUs?: number; members?: ReadonlySet<number> } = {},
): CatchUpRow[] {
  const first = samples.find((s) => s.timeUs >= healUs);
  if (first === undefined) return [];
  const atHeal = samples.filter((s) =>
    s.timeUs === first.timeUs && s.up && (options.members === undefined || options.members.has(s.server))
  );
  const targetIndex = atHeal.reduce((most, s) => Math.max(most, s.commit), 0);
  // What the cluster had committed halfway through the fault: below it, a server was cut off.
  const midUs = options.faultUs === undefined ? healUs : Math.floor((options.faultUs + healUs) / 2);
  const mid = samples.find((s) => s.timeUs >= midUs);
  const committedMid = mid === undefined
    ? targetIndex
    : samples.filter((s) => s.timeUs === mid.timeUs && s.up).reduce((most, s) => Math.max(most, s.commit), 0);
  const behind = atHeal.filter((s) => s.applied < Math.min(targetIndex, committedMid)).sort((a, b) =>
    a.server - b.server
  );
  return behind.map((start) => {
    const caughtUp = samples.find((s) =>
      s.server === start.server && s.timeUs >= first.timeUs && s.up && s.applied >= targetIndex
    );
    return {
      server: start.server,
      healUs,
      targetIndex,
      appliedAtHeal: start.applied,
      lagEntries: targetIndex - start.applied,
      caughtUpUs: caughtUp?.timeUs,
      catchUpUs: caughtUp === undefined ? undefined : caughtUp.timeUs - healUs,
    };
  });
}
