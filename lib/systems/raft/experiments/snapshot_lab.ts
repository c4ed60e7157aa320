/**
 * Snapshot cadence against throughput, WAL size and recovery time: the `raft-snapshot` experiment.
 *
 * Clients write hard (mostly puts) while every server snapshots its state machine each
 * `snapshotEveryEntries` applied entries and then cuts its WAL down to a short tail (Raft §7).
 * Snapshots cost disk work (write, fsync, rename, WAL rewrite) on the device the WAL's fsyncs
 * need; a long WAL costs recovery time, because a restarted server replays it before it handles
 * anything (lib/systems/raft/costs.ts prices the replay, charged through `api.work`). Two faults
 * measure the second side:
 *
 * - a follower is cut off for `isolateForUs` from `isolateAtUs`: when it returns, the leader has
 *   compacted past its log and must send InstallSnapshot; the install time is from the leader
 *   sending the snapshot that lands to the follower having it durable;
 * - a follower crashes at `restartAtUs` and restarts `downtimeUs` later: its recovery time is from
 *   the restart until its applied index reaches the highest commit index the other servers had
 *   at that instant, read by a probe every {@linkcode catchUpProbeUs}.
 *
 * Figures: `throughputOpsPerSecond` and `writesOkPerSecond` (per virtual second from the first
 * leader's election, `firstLeaderUs`, to the end of the run: before it nothing can be served, and
 * counting the ~175 ms of the first election would understate every cadence alike), the
 * harness's standard figures (latency percentiles overall and per kind, availability, RTO; its
 * `recoveryUs` is replaced by the restart's below), `walBytesMax` and `walBytesMean` (over every
 * server and sample),
 * `walBytesMaxUnfaulted` (the peak over the servers neither fault struck), `snapshotsDurable`
 * (taken or installed, all servers) and `snapshotsSent`, `recoveryUs`, `recoveryReplayWorkUs`,
 * `recoveredEntries` and `walBytesAtCrash` for the restart, `snapshotInstallUs` and `lagCatchUpUs`
 * for the isolated follower. A figure with nothing to measure is null (no install without
 * snapshots, no recovery when no follower was there to crash). Tables: `walBytes` (per server and
 * sample) and `catchUp` (one row per rejoin). Chart: `walBytes` over time, the faults marked.
 *
 * The trade-off's WAL figure is `walBytesMaxUnfaulted`, not `walBytesMax`: the servers a fault
 * struck have WALs shaped by the fault, not by the cadence. An installed snapshot is recorded in
 * the WAL without rewriting it, so the isolated follower keeps its WAL from before the isolation
 * and appends to it until its own next snapshot: with a snapshot every 1000 entries its peak is
 * 36-46% above every other server's on seeds 1-2, and sets `walBytesMax`. The restarted follower
 * may lose an unsynced tail at its crash. `walBytesMax` stays, the peak over every server.
 *
 * One run gives one cadence's figures, its WAL bytes over time and the catch-up table; a sweep over
 * `snapshotEveryEntries` gives the trade-off, which {@linkcode snapshotTradeOffTable} and
 * {@linkcode snapshotTradeOffCharts} turn into a table and charts.
 *
 * @example
 * ```ts ignore
 * import { resolveParams } from "../../../params.ts";
 * import { raftSnapshotExperiment } from "./snapshot_lab.ts";
 * const output = raftSnapshotExperiment.run(
 *   resolveParams(raftSnapshotExperiment.params, { snapshotEveryEntries: 500 }),
 *   1,
 * );
 * output.figures.recoveryUs; // microseconds from the restart to caught up
 * ```
 * @module
 */
import { InputError } from "../../../assert.ts";
import type { CheckResult } from "../../../check/mod.ts";
import type { Schedule } from "../../../faults/mod.ts";
import {
  boolean,
  defineCustomExperiment,
  defineParams,
  type Figure,
  integer,
  number,
  outputOf,
  paramGroups,
  standardFigures,
  type ValuesOf,
} from "../../../harness/mod.ts";
import type { Simulation } from "../../../sim/mod.ts";
import type { VegaLiteSpec } from "../../../viz/mod.ts";
import { reclaimCurve, type TimeMark } from "../../../viz/mod.ts";
import { meanConfidenceRows, percentileVsParameter, type SweepRowLike } from "../../../viz/mod.ts";
import { tradeOffCurve } from "../../../viz/mod.ts";
import { type RaftRunResult, runRaftCluster } from "./cluster.ts";
import type { RaftServer } from "../mod.ts";
import { walFileDefault } from "../mod.ts";

/** How often a catch-up probe reads a rejoined server: recovery times are exact to this. */
export const catchUpProbeUs = 100;

/** The most WAL samples one run keeps (servers times readings); more is refused before the run. */
export const walSamplesMax = 200_000;

/** The snapshot file of a server (as node.ts names it), counted beside its WAL. */
const snapshotFile = "snapshot";

/** The parameters of `raft-snapshot`. */
export const raftSnapshotParams = defineParams({
  snapshotEveryEntries: integer({
    default: 1000,
    min: 0,
    max: 1_000_000,
    description: "snapshot every this many applied entries (0: never, the WAL only grows)",
  }),
  ...paramGroups.cluster({ default: 3, min: 3, max: 9 }),
  ...paramGroups.clients({ default: 10, max: 200 }),
  readFraction: number({
    default: 0.1,
    min: 0,
    max: 1,
    description: "fraction of reads; the rest are puts of fresh values",
  }),
  thinkTimeUsMean: integer({ default: 500, min: 0, max: 1_000_000, description: "client think time" }),
  keys: integer({ default: 50, min: 1, max: 100_000, description: "keys written (the snapshot's size)" }),
  ...paramGroups.duration({ defaultUs: 4_000_000, minUs: 500_000, maxUs: 600_000_000 }),
  isolateAtUs: integer({
    default: 500_000,
    min: 0,
    max: 600_000_000,
    description: "cut a follower off at this time (after the first election)",
  }),
  isolateForUs: integer({
    default: 1_000_000,
    min: 0,
    max: 600_000_000,
    description: "for this long, so it falls behind the compacted log (0: no isolation)",
  }),
  restartAtUs: integer({ default: 3_000_000, min: 0, max: 600_000_000, description: "crash a follower at this time" }),
  downtimeUs: integer({ default: 100_000, min: 1, max: 600_000_000, description: "and restart it after this long" }),
  sampleEveryUs: integer({
    default: 50_000,
    min: 1_000,
    max: 600_000_000,
    description: "how often WAL bytes are read",
  }),
  checkLinearizability: boolean({ default: true, description: "check the history (switch off for long sweeps)" }),
});

/** The experiment's parameters, typed. */
export type SnapshotParams = ValuesOf<typeof raftSnapshotParams>;

/**
 * The fault schedule: isolate a follower (when `isolateForUs` > 0), then crash a follower and
 * restart it; the run ends `durationUs` after its start. Refuses (InputError) faults that overlap,
 * or a restart that leaves no time to recover.
 *
 * @example
 * ```ts ignore
 * snapshotSchedule({ ...params, isolateAtUs: 500_000, isolateForUs: 1_000_000, restartAtUs: 3_000_000 });
 * ```
 */
export function snapshotSchedule(p: SnapshotParams): Schedule {
  const restartUs = p.restartAtUs + p.downtimeUs;
  if (restartUs >= p.durationUs) {
    throw new InputError(
      `restartAtUs + downtimeUs (${restartUs}) must be below durationUs (${p.durationUs}): the restarted ` +
        "follower needs time to recover within the run",
    );
  }
  const followers = { random: "one" as const, of: { role: "followers" } };
  const faults: Schedule["faults"] = [];
  if (p.isolateForUs > 0) {
    if (p.isolateAtUs + p.isolateForUs > p.restartAtUs) {
      throw new InputError(
        `the isolation (isolateAtUs ${p.isolateAtUs} + isolateForUs ${p.isolateForUs}) must end by restartAtUs ` +
          `(${p.restartAtUs}), so the lagging follower and the restart are measured apart`,
      );
    }
    faults.push({ at: p.isolateAtUs, fault: { kind: "isolate", targets: followers, durationUs: p.isolateForUs } });
  }
  faults.push({ at: p.restartAtUs, fault: { kind: "crash", targets: followers, durationUs: p.downtimeUs } });
  return { faults, recoveryUs: p.durationUs - restartUs };
}

/** One reading of one server's files (a type, not an interface, so it is a table row as it is). */
export type WalSample = {
  timeUs: number;
  server: string;
  walBytes: number;
  snapshotBytes: number;
};

/** Reads every server's WAL and snapshot sizes (page cache) at 0, `everyUs`, ... up to `untilUs`. */
function sampleFiles(sim: Simulation, servers: readonly number[], everyUs: number, untilUs: number): WalSample[] {
  const readings = Math.floor(untilUs / everyUs) + 1;
  if (readings * servers.length > walSamplesMax) {
    throw new InputError(
      `sampling ${servers.length} servers every ${everyUs} us for ${untilUs} us keeps ${readings * servers.length} ` +
        `rows, more than walSamplesMax ${walSamplesMax}: raise sampleEveryUs`,
    );
  }
  const rows: WalSample[] = [];
  const read = (s: Simulation) => {
    for (const server of servers) {
      const files = s.files(server);
      rows.push({
        timeUs: s.nowUs,
        server: s.nodeName(server),
        walBytes: files.size(walFileDefault),
        snapshotBytes: files.size(snapshotFile),
      });
    }
    if (s.nowUs + everyUs <= untilUs) s.at(s.nowUs + everyUs, read);
  };
  sim.at(sim.nowUs, read);
  return rows;
}

/** A server rejoining the cluster (a restart, the end of an isolation) and when it had caught up. */
export interface CatchUp {
  /** The server struck (-1: no server matched, for instance no follower at that moment). */
  server: number;
  /** Its WAL's length just after it was struck. */
  walBytesAtStrike: number;
  rejoinedUs: number;
  /** The highest commit index among the other up servers when it rejoined. */
  commitTarget: number;
  /** When its applied index first reached `commitTarget` (read every catchUpProbeUs), or undefined. */
  caughtUpUs: number | undefined;
}

/** Where a catch-up watch looks: when the server is struck, how to find it, when it rejoins. */
interface WatchOptions {
  struckAtUs: number;
  /** The struck server, read just after the nemesis struck it; undefined when none or several match. */
  struck: (sim: Simulation) => number | undefined;
  rejoinedAtUs: number;
  /** A restart: only a new incarnation counts as rejoined. */
  newIncarnation: boolean;
  untilUs: number;
}

/**
 * Watches one server from outside: finds it when it is struck, takes the cluster's commit index
 * when it rejoins, and polls until its applied index reaches that. The nemesis was armed first,
 * so at a shared instant the fault has already happened when these callbacks run.
 */
function watchCatchUp(
  sim: Simulation,
  cluster: { servers: readonly number[]; instance(node: number): RaftServer | undefined },
  options: WatchOptions,
): CatchUp {
  const watch: CatchUp = {
    server: -1,
    walBytesAtStrike: 0,
    rejoinedUs: options.rejoinedAtUs,
    commitTarget: 0,
    caughtUpUs: undefined,
  };
  let struckInstance: RaftServer | undefined;
  sim.at(options.struckAtUs, (s) => {
    watch.server = options.struck(s) ?? -1;
    if (watch.server < 0) return;
    struckInstance = cluster.instance(watch.server);
    watch.walBytesAtStrike = s.files(watch.server).size(walFileDefault);
  });
  const poll = (s: Simulation) => {
    const server = cluster.instance(watch.server)!;
    const rejoined = s.isUp(watch.server) && (!options.newIncarnation || server !== struckInstance);
    if (rejoined && server.applied >= watch.commitTarget) {
      watch.caughtUpUs = s.nowUs;
      return;
    }
    if (s.nowUs + catchUpProbeUs <= options.untilUs) s.at(s.nowUs + catchUpProbeUs, poll);
  };
  sim.at(options.rejoinedAtUs, (s) => {
    if (watch.server < 0) return;
    const others = cluster.servers.filter((n) => n !== watch.server && s.isUp(n));
    watch.commitTarget = Math.max(0, ...others.map((n) => cluster.instance(n)?.commit ?? 0));
    poll(s);
  });
  return watch;
}

/** The one server down now, if exactly one is. */
function downServer(sim: Simulation, servers: readonly number[]): number | undefined {
  const down = servers.filter((n) => !sim.isUp(n));
  return down.length === 1 ? down[0] : undefined;
}

/** The one server whose links to every other server are cut now, if exactly one is. */
function isolatedServer(sim: Simulation, servers: readonly number[]): number | undefined {
  const cut = servers.filter((n) => servers.every((o) => o === n || sim.network.isBlocked(n, o)));
  return cut.length === 1 ? cut[0] : undefined;
}

/** A snapshot a leader sent that a follower made durable. */
export interface SnapshotInstall {
  index: number;
  /** When the leader last sent that snapshot before it was installed. */
  sentUs: number;
  /** When the follower had it durable (renamed into place). */
  installedUs: number;
}

/**
 * The first snapshot `server` made durable at or after `sinceUs` that a leader had sent it since
 * then, from the metrics `raft_snapshot_index` (on the follower) and `raft_snapshots_sent` (on the
 * leader, valued with the snapshot's index); the follower's own snapshots, at indexes no leader
 * sent, are passed over. Undefined when there was none.
 *
 * @example
 * ```ts
 * import { snapshotInstall } from "./snapshot_lab.ts";
 * snapshotInstall(
 *   [{ timeUs: 900, node: 1, value: 40 }],
 *   [{ timeUs: 100, node: 0, value: 40 }, { timeUs: 300, node: 0, value: 40 }],
 *   { server: 1, sinceUs: 0 },
 * ); // { index: 40, sentUs: 300, installedUs: 900 }
 * ```
 */
export function snapshotInstall(
  durable: readonly { timeUs: number; node: number; value: number }[],
  sent: readonly { timeUs: number; node: number; value: number }[],
  where: { server: number; sinceUs: number },
): SnapshotInstall | undefined {
  for (const row of durable) {
    if (row.node !== where.server || row.timeUs < where.sinceUs) continue;
    const sends = sent.filter((s) => s.value === row.value && s.timeUs >= where.sinceUs && s.timeUs <= row.timeUs);
    if (sends.length === 0) continue; // one of its own
    return { index: row.value, sentUs: Math.max(...sends.map((s) => s.timeUs)), installedUs: row.timeUs };
  }
  return undefined;
}

/** The value of `name` that `node` recorded at exactly `timeUs`, or null. */
function recordedAt(sim: Simulation, name: string, node: number, timeUs: number): number | null {
  const row = sim.metrics.rows(name).find((r) => r.node === node && r.timeUs === timeUs);
  return row === undefined ? null : row.value;
}

function elapsed(watch: CatchUp | undefined): number | null {
  return watch?.caughtUpUs === undefined ? null : watch.caughtUpUs - watch.rejoinedUs;
}

/** A liveness check: the struck server caught up before the run ended. */
function catchUpCheck(checker: string, watch: CatchUp, sim: Simulation): CheckResult {
  if (watch.server < 0) {
    return { checker, valid: "unknown", message: "no single follower matched when the fault struck: nothing measured" };
  }
  const name = sim.nodeName(watch.server);
  const caughtUp = elapsed(watch);
  return {
    checker,
    valid: caughtUp !== null,
    message: caughtUp !== null
      ? `${name} reached commit index ${watch.commitTarget} ${caughtUp} us after rejoining at ${watch.rejoinedUs} us`
      : `${name} rejoined at ${watch.rejoinedUs} us and had not reached commit index ${watch.commitTarget} by the end`,
  };
}

/** One row of the catch-up table. */
function catchUpRow(event: string, watch: CatchUp, sim: Simulation, extra: Record<string, Figure>) {
  return {
    event,
    server: watch.server < 0 ? null : sim.nodeName(watch.server),
    walBytesAtStrike: watch.walBytesAtStrike,
    rejoinedUs: watch.rejoinedUs,
    commitTarget: watch.commitTarget,
    caughtUpUs: watch.caughtUpUs ?? null,
    catchUpUs: elapsed(watch),
    ...extra,
  };
}

/**
 * Snapshot cadence against throughput, WAL bytes, recovery time and snapshot install time. One
 * run of the system, but its probes (WAL sampler, catch-up watches) are state of that run which
 * its figures read, so it runs the cluster itself and gathers its output with `outputOf`.
 */
export const raftSnapshotExperiment = defineCustomExperiment({
  name: "raft-snapshot",
  description: "Raft snapshot cadence: throughput, WAL bytes, recovery and InstallSnapshot time under heavy writes",
  params: raftSnapshotParams,
  run(p, seed) {
    const schedule = snapshotSchedule(p);
    const probes: Probes = { samples: [], restart: undefined, lag: undefined };
    const run = runRaftCluster({
      servers: p.servers,
      clients: p.clients,
      durationUs: p.durationUs,
      bug: "none",
      schedule,
      keys: p.keys,
      writeF: "put",
      readFraction: p.readFraction,
      thinkTimeUsMean: p.thinkTimeUsMean,
      snapshotEveryEntries: p.snapshotEveryEntries,
      skipLinearizability: !p.checkLinearizability,
      probe: (sim, cluster) => armProbes(sim, cluster, p, probes),
    }, seed);
    const sim = run.sim;
    const restart = probes.restart!;
    const lag = probes.lag;
    const measured = measureCatchUps(sim, p, probes);
    const checks = [catchUpCheck("restarted follower caught up", restart, sim)];
    if (lag !== undefined) checks.push(catchUpCheck("isolated follower caught up", lag, sim));
    const catchUp = [
      catchUpRow("restart", restart, sim, { ...measured.restart, snapshotIndex: null, installUs: null }),
    ];
    if (lag !== undefined) {
      catchUp.push(catchUpRow("isolation-heal", lag, sim, {
        replayWorkUs: null,
        entriesReplayed: null,
        snapshotIndex: measured.install?.index ?? null,
        installUs: measured.installUs,
      }));
    }
    // The restarted follower's `recoveryUs` replaces the harness's (from the heal to progress).
    const figures = {
      ...standardFigures(run.run),
      ...run.run.cluster.figures?.(),
      ...snapshotFigures(run, p, probes, measured),
    };
    return outputOf(run.run, figures, {
      checks,
      tables: { walBytes: probes.samples, catchUp },
      charts: { walBytes: walBytesChart(probes.samples, p, lag) },
    });
  },
});

/** What the probes fill in as the run goes. */
interface Probes {
  samples: WalSample[];
  restart: CatchUp | undefined;
  /** Undefined without an isolation. */
  lag: CatchUp | undefined;
}

/** Schedules the WAL sampler and the two catch-up watches (called by the cluster before the run). */
function armProbes(
  sim: Simulation,
  cluster: { servers: readonly number[]; instance(node: number): RaftServer | undefined },
  p: SnapshotParams,
  probes: Probes,
): void {
  probes.samples = sampleFiles(sim, cluster.servers, p.sampleEveryUs, p.durationUs);
  probes.restart = watchCatchUp(sim, cluster, {
    struckAtUs: p.restartAtUs,
    struck: (s) => downServer(s, cluster.servers),
    rejoinedAtUs: p.restartAtUs + p.downtimeUs,
    newIncarnation: true,
    untilUs: p.durationUs,
  });
  if (p.isolateForUs === 0) return;
  probes.lag = watchCatchUp(sim, cluster, {
    struckAtUs: p.isolateAtUs,
    struck: (s) => isolatedServer(s, cluster.servers),
    rejoinedAtUs: p.isolateAtUs + p.isolateForUs,
    newIncarnation: false,
    untilUs: p.durationUs,
  });
}

/** What the metrics say about the two catch-ups: the restart's replay, the lagging follower's install. */
interface CatchUpMetrics {
  restart: { replayWorkUs: number | null; entriesReplayed: number | null };
  install: SnapshotInstall | undefined;
  installUs: number | null;
}

function measureCatchUps(sim: Simulation, p: SnapshotParams, probes: Probes): CatchUpMetrics {
  const restart = probes.restart!;
  const lag = probes.lag;
  // The restarted incarnation records what it replayed in onRecover, at the restart instant.
  const atRestart = (name: string) =>
    restart.server < 0 ? null : recordedAt(sim, name, restart.server, restart.rejoinedUs);
  const install = lag === undefined || lag.server < 0 ? undefined : snapshotInstall(
    sim.metrics.rows("raft_snapshot_index"),
    sim.metrics.rows("raft_snapshots_sent"),
    { server: lag.server, sinceUs: p.isolateAtUs },
  );
  return {
    restart: { replayWorkUs: atRestart("raft_recovery_work_us"), entriesReplayed: atRestart("raft_recovered_entries") },
    install,
    installUs: install === undefined ? null : install.installedUs - install.sentUs,
  };
}

/**
 * The servers a fault struck (the isolated follower, the restarted one), by name; a watch that
 * matched no single server strikes none.
 */
function struckServers(sim: Simulation, probes: Probes): Set<string> {
  const watches = [probes.restart, probes.lag].filter((w): w is CatchUp => w !== undefined && w.server >= 0);
  return new Set(watches.map((w) => sim.nodeName(w.server)));
}

/** The run's figures: one row of a sweep's table (see the module documentation). */
function snapshotFigures(
  run: RaftRunResult,
  p: SnapshotParams,
  probes: Probes,
  measured: CatchUpMetrics,
): Record<string, Figure> {
  const sim = run.sim;
  // Nothing is served before the first leader: throughput counts from its election to the end.
  const firstLeaderUs = run.leaderChanges[0]?.timeUs ?? null;
  const seconds = (p.durationUs - (firstLeaderUs ?? 0)) / 1e6;
  const writesOk = sim.history.events.filter((op) => op.type === "ok" && op.f === "put").length;
  const walBytes = probes.samples.map((s) => s.walBytes);
  const struck = struckServers(sim, probes);
  const unfaulted = probes.samples.filter((s) => !struck.has(s.server)).map((s) => s.walBytes);
  const restart = probes.restart!;
  return {
    throughputOpsPerSecond: sim.history.counts.ok / seconds,
    writesOkPerSecond: writesOk / seconds,
    firstLeaderUs,
    walBytesMax: Math.max(0, ...walBytes),
    walBytesMaxUnfaulted: Math.max(0, ...unfaulted),
    walBytesMean: walBytes.length === 0 ? 0 : walBytes.reduce((a, b) => a + b, 0) / walBytes.length,
    snapshotsDurable: sim.metrics.count("raft_snapshot_index"),
    snapshotsSent: sim.metrics.count("raft_snapshots_sent"),
    recoveryUs: elapsed(restart),
    recoveryReplayWorkUs: measured.restart.replayWorkUs,
    recoveredEntries: measured.restart.entriesReplayed,
    walBytesAtCrash: restart.server < 0 ? null : restart.walBytesAtStrike,
    snapshotInstallUs: measured.installUs,
    lagCatchUpUs: elapsed(probes.lag),
  };
}

/** WAL bytes over time per server, with the isolation and the restart marked. */
function walBytesChart(
  samples: readonly WalSample[],
  p: SnapshotParams,
  lag: CatchUp | undefined,
): VegaLiteSpec {
  const marks: TimeMark[] = [];
  if (lag !== undefined) {
    marks.push({ timeUs: p.isolateAtUs, label: "isolate" }, { timeUs: lag.rejoinedUs, label: "heal" });
  }
  // One mark for the crash and the restart: a short downtime would print the two labels over each other.
  marks.push({ timeUs: p.restartAtUs, label: `crash, restart after ${p.downtimeUs / 1000} ms` });
  const cadence = p.snapshotEveryEntries === 0 ? "no snapshots" : `a snapshot every ${p.snapshotEveryEntries} entries`;
  return reclaimCurve(
    samples.map((s) => ({ timeUs: s.timeUs, bytes: s.walBytes, series: s.server })),
    { marks, title: `WAL bytes per server, ${cadence}` },
  );
}

/** The figures the trade-off table and charts read from sweep rows. */
export const snapshotTradeOffFigures = [
  "throughputOpsPerSecond",
  "walBytesMaxUnfaulted",
  "walBytesMax",
  "walBytesMean",
  "recoveryUs",
  "snapshotInstallUs",
] as const;

/**
 * The trade-off as a table from sweep rows over `snapshotEveryEntries`: one row per cadence, in
 * increasing order and 0 (no snapshots) last, with the mean over seeds of each figure of {@linkcode snapshotTradeOffFigures}
 * and the half-width of its 95% confidence interval (`…Ci95`); null where no seed had the figure
 * (no snapshot was installed without snapshots).
 *
 * @param rows sweep rows (each with `snapshotEveryEntries` and the experiment's figures)
 * @returns one row per cadence
 *
 * @example
 * ```ts
 * import { snapshotTradeOffTable } from "./snapshot_lab.ts";
 * snapshotTradeOffTable([
 *   { snapshotEveryEntries: 0, seed: 1, throughputOpsPerSecond: 2500, walBytesMaxUnfaulted: 880_000,
 *     walBytesMax: 900_000, walBytesMean: 450_000, recoveryUs: 40_000, snapshotInstallUs: null },
 * ]); // [{ snapshotEveryEntries: 0, seeds: 1, throughputOpsPerSecond: 2500, throughputOpsPerSecondCi95: 0, ... }]
 * ```
 */
export function snapshotTradeOffTable(rows: readonly SweepRowLike[]): Record<string, Figure>[] {
  const cadences = [...new Set(rows.map((row, i) => cadenceOf(row, i)))];
  cadences.sort((a, b) => cadenceRank(a) - cadenceRank(b));
  const byFigure = new Map(
    snapshotTradeOffFigures.map((figure) => [
      figure,
      meanConfidenceRows(rows, { parameter: "snapshotEveryEntries", metric: figure }),
    ]),
  );
  return cadences.map((cadence) => {
    const row: Record<string, Figure> = {
      snapshotEveryEntries: cadence,
      seeds: rows.filter((r) => r.snapshotEveryEntries === cadence).length,
    };
    for (const figure of snapshotTradeOffFigures) {
      const point = byFigure.get(figure)!.find((m) => m.parameter === cadence);
      row[figure] = point === undefined ? null : point.mean;
      row[`${figure}Ci95`] = point === undefined ? null : (point.upper - point.lower) / 2;
    }
    return row;
  });
}

/** The cadence axis of the trade-off charts: its column in {@linkcode cadenceRows}. */
const cadenceColumn = "entries per snapshot";

/**
 * Sweep rows sorted by cadence with 0 last and the cadence as text ("never" for 0) in
 * {@linkcode cadenceColumn}: 0 means no snapshots, the far end of the scale, not its start, and
 * text makes the charts space cadences evenly in that order.
 */
function cadenceRows(rows: readonly SweepRowLike[]): SweepRowLike[] {
  return rows
    .map((row, i) => ({ row, cadence: cadenceOf(row, i) }))
    .sort((a, b) => cadenceRank(a.cadence) - cadenceRank(b.cadence))
    .map(({ row, cadence }) => ({ ...row, [cadenceColumn]: cadence === 0 ? "never" : String(cadence) }));
}

/**
 * Charts of the trade-off from sweep rows over `snapshotEveryEntries`: recovery time, WAL bytes
 * (`walBytesMaxUnfaulted`, see the module doc) and throughput against the cadence (means over
 * seeds with 95% intervals; cadences in increasing order, then "never" for 0), and the trade-off
 * curves themselves, recovery time against peak WAL bytes and throughput against recovery time,
 * one labelled point per cadence.
 *
 * @param rows sweep rows
 * @returns specs by file stem
 *
 * @example
 * ```ts ignore
 * const charts = snapshotTradeOffCharts(sweep.rows);
 * await showChart(charts.tradeOff);
 * ```
 */
export function snapshotTradeOffCharts(rows: readonly SweepRowLike[]): Record<string, VegaLiteSpec> {
  const sorted = cadenceRows(rows);
  const parameter = cadenceColumn;
  const label = (value: unknown) => (value === "never" ? "no snapshots" : `every ${value}`);
  return {
    recovery: percentileVsParameter(sorted, {
      parameter,
      metric: "recoveryUs",
      title: "Recovery time of a restarted follower against the snapshot cadence",
    }),
    walBytes: percentileVsParameter(sorted, {
      parameter,
      metric: "walBytesMaxUnfaulted",
      title: "Peak WAL bytes of the servers no fault struck against the snapshot cadence",
    }),
    throughput: percentileVsParameter(sorted, {
      parameter,
      metric: "throughputOpsPerSecond",
      title: "Throughput against the snapshot cadence",
    }),
    tradeOff: tradeOffCurve(sorted, {
      parameter,
      x: "walBytesMaxUnfaulted",
      y: "recoveryUs",
      xTitle: "peak WAL bytes, servers no fault struck (log)",
      yTitle: "recovery time (us, log)",
      xScale: "log",
      yScale: "log",
      label,
      title: "What a snapshot cadence buys: recovery time against WAL bytes",
    }),
    tradeOffThroughput: tradeOffCurve(sorted, {
      parameter,
      x: "recoveryUs",
      y: "throughputOpsPerSecond",
      xTitle: "recovery time (us, log)",
      xScale: "log",
      label,
      yTitle: "throughput (ops per virtual second)",
      title: "What a snapshot cadence costs: throughput against recovery time",
    }),
  };
}

/** Where a cadence sorts: 0 (no snapshots) is the far end of the scale, after every other. */
function cadenceRank(cadence: number): number {
  return cadence === 0 ? Infinity : cadence;
}

function cadenceOf(row: SweepRowLike, index: number): number {
  const cadence = row.snapshotEveryEntries;
  if (typeof cadence !== "number" || !Number.isInteger(cadence) || cadence < 0) {
    throw new InputError(
      `sweep row ${index} has no snapshotEveryEntries (a whole number of entries); got ${JSON.stringify(cadence)}`,
    );
  }
  return cadence;
}
