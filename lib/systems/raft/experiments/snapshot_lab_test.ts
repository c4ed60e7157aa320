// Proves the raft-snapshot experiment measures the snapshot trade-off: without snapshots the WAL
// only grows and a restarted follower replays all of it, so it recovers last; with snapshots the
// WAL stays bounded; a follower cut off past the compacted log is brought back by InstallSnapshot;
// throughput counts only the time a leader could serve; the trade-off's WAL peak is not set by a
// server a fault struck; the checks pass throughout; bad parameters are refused clearly; sweep
// rows become the trade-off.
import assert from "node:assert/strict";
import { raftInvariantNames } from "../mod.ts";
import { experimentNamed } from "../../../lab/mod.ts";
import type { RunOutput } from "../../../harness/mod.ts";
import { resolveParams } from "../../../params.ts";
import { toSvg } from "../../../viz/mod.ts";
import {
  raftSnapshotExperiment,
  raftSnapshotParams,
  snapshotInstall,
  snapshotSchedule,
  snapshotTradeOffCharts,
  snapshotTradeOffTable,
  type WalSample,
} from "./snapshot_lab.ts";

const seed = 1;
const runs = new Map<number, RunOutput>();

/** The experiment's default run (4 s of heavy writes) at one cadence, run once per test file. */
function runAt(snapshotEveryEntries: number): RunOutput {
  let output = runs.get(snapshotEveryEntries);
  if (output === undefined) {
    output = raftSnapshotExperiment.run(resolveParams(raftSnapshotExperiment.params, { snapshotEveryEntries }), seed);
    runs.set(snapshotEveryEntries, output);
  }
  return output;
}

function figure(output: RunOutput, name: string): number {
  const value = output.figures[name];
  assert.equal(typeof value, "number", `${name} is ${value}`);
  return value as number;
}

function walSamples(output: RunOutput): WalSample[] {
  return output.tables.walBytes as unknown as WalSample[];
}

function restartedServer(output: RunOutput): string {
  return output.tables.catchUp.find((row) => row.event === "restart")!.server as string;
}

Deno.test("raft-snapshot: without snapshots every WAL only grows, up to several times the peak with them", () => {
  const never = runAt(0);
  const every1000 = runAt(1000);
  // The restarted follower may lose an unsynced tail at its crash; the others never shrink.
  const others = walSamples(never).filter((s) => s.server !== restartedServer(never));
  for (const server of new Set(others.map((s) => s.server))) {
    const bytes = others.filter((s) => s.server === server).map((s) => s.walBytes);
    assert.ok(bytes.every((b, i) => i === 0 || b >= bytes[i - 1]), `${server}'s WAL shrank without snapshots`);
  }
  assert.equal(figure(never, "snapshotsDurable"), 0);
  assert.ok(figure(never, "walBytesMax") > 5 * figure(every1000, "walBytesMax"));
});

Deno.test("raft-snapshot: with a snapshot every 1000 entries each WAL is cut back and stays bounded", () => {
  const output = runAt(1000);
  const samples = walSamples(output);
  const halfUs = 2_000_000;
  for (const server of new Set(samples.map((s) => s.server))) {
    const bytes = samples.filter((s) => s.server === server);
    assert.ok(bytes.some((s, i) => i > 0 && s.walBytes < bytes[i - 1].walBytes), `${server}'s WAL was never cut`);
    // Bounded: the second half of the run (several cycles) peaks no higher than the first.
    const peak = (late: boolean) =>
      Math.max(...bytes.filter((s) => (s.timeUs >= halfUs) === late).map((s) => s.walBytes));
    assert.ok(peak(true) <= 1.2 * peak(false), `${server}: ${peak(false)} then ${peak(true)} bytes`);
  }
  assert.ok(figure(output, "snapshotsDurable") >= 3 * 3, "each server snapshots at least three times");
});

Deno.test("raft-snapshot: a restarted follower replays its WAL before catching up, so no snapshots recover last", () => {
  const [every100, every1000, never] = [runAt(100), runAt(1000), runAt(0)];
  for (const output of [every100, every1000, never]) {
    assert.ok(figure(output, "recoveryUs") >= figure(output, "recoveryReplayWorkUs"), "replay is part of recovery");
  }
  // The replay is priced by what the WAL holds, which the cadence bounds.
  assert.ok(figure(every100, "recoveryReplayWorkUs") < figure(every1000, "recoveryReplayWorkUs"));
  assert.ok(figure(every1000, "recoveryReplayWorkUs") * 5 < figure(never, "recoveryReplayWorkUs"));
  assert.ok(figure(never, "recoveredEntries") > 5_000, "without snapshots the whole log is replayed");
  // Beyond the replay, a restarted follower waits for the leader's next append or heartbeat, up to
  // an interval in whatever phase the restart fell: the totals differ by less than the replays do.
  assert.ok(figure(never, "recoveryUs") > figure(every1000, "recoveryUs"));
  // Every 100 entries is not compared with never: a follower down for 100 ms falls behind so short
  // a compacted tail and waits for the leader to notice and send a snapshot.
});

Deno.test("raft-snapshot: a follower cut off past the compacted log gets InstallSnapshot and catches up", () => {
  const output = runAt(300);
  const installUs = figure(output, "snapshotInstallUs");
  // From the leader's send to the follower's durable rename: a network hop, a write and an fsync.
  assert.ok(installUs > 0 && installUs < 50_000, `install took ${installUs} us`);
  assert.ok(figure(output, "snapshotsSent") > 0);
  const heal = output.tables.catchUp.find((row) => row.event === "isolation-heal")!;
  assert.ok((heal.snapshotIndex as number) > 0);
  assert.ok((heal.catchUpUs as number) >= installUs);
});

Deno.test("raft-snapshot: without snapshots nothing is installed and the lagging follower catches up by appends", () => {
  const output = runAt(0);
  assert.equal(output.figures.snapshotInstallUs, null);
  assert.equal(figure(output, "snapshotsSent"), 0);
  assert.ok(figure(output, "lagCatchUpUs") > 0);
});

Deno.test("raft-snapshot: throughput counts from the first leader's election to the end, not the election before it", () => {
  const output = runAt(1000);
  const firstLeaderUs = figure(output, "firstLeaderUs");
  // The first election takes an election timeout (150-300 ms) and a vote round: nothing is served.
  assert.ok(firstLeaderUs > 150_000 && firstLeaderUs < 400_000, `first leader at ${firstLeaderUs} us`);
  const ok = output.history.events.filter((op) => op.process !== "nemesis" && op.type === "ok");
  assert.ok(ok.every((op) => op.time > firstLeaderUs), "an operation completed before there was a leader");
  const servingSeconds = (4_000_000 - firstLeaderUs) / 1e6;
  assert.equal(figure(output, "throughputOpsPerSecond"), ok.length / servingSeconds);
  const writes = ok.filter((op) => op.f === "put").length;
  assert.equal(figure(output, "writesOkPerSecond"), writes / servingSeconds);
});

Deno.test("raft-snapshot: the trade-off's peak WAL is the peak of the servers no fault struck", async () => {
  // Seed 1, a snapshot every 1000 entries: n0 is isolated and comes back by InstallSnapshot, which
  // leaves its old WAL in place, so its WAL peaks well above the others'.
  const output = runAt(1000);
  const struck = new Set(output.tables.catchUp.map((row) => row.server as string));
  assert.equal(struck.size, 2, "the isolation and the restart struck different followers");
  const samples = walSamples(output);
  const peak = (rows: WalSample[]) => Math.max(...rows.map((s) => s.walBytes));
  const unfaulted = samples.filter((s) => !struck.has(s.server));
  const isolated = output.tables.catchUp.find((row) => row.event === "isolation-heal")!.server as string;
  assert.equal(figure(output, "walBytesMax"), peak(samples.filter((s) => s.server === isolated)));
  assert.equal(figure(output, "walBytesMaxUnfaulted"), peak(unfaulted));
  assert.ok(figure(output, "walBytesMax") > 1.3 * figure(output, "walBytesMaxUnfaulted"));
  // The table and the charts of the trade-off use the unfaulted peak.
  const rows = [{ snapshotEveryEntries: 1000, seed, ...output.figures }];
  assert.equal(snapshotTradeOffTable(rows)[0].walBytesMaxUnfaulted, peak(unfaulted));
  const charts = snapshotTradeOffCharts(rows);
  assert.equal(charts.walBytes.data.values[0].mean, peak(unfaulted));
  assert.ok((await toSvg(charts.tradeOff)).includes("servers no fault struck"));
});

Deno.test("raft-snapshot: election safety, linearizability and both catch-ups hold at every cadence", () => {
  for (const cadence of [0, 100, 300, 1000]) {
    assert.deepEqual(
      runAt(cadence).checks.map((c) => [c.checker, c.valid]),
      [
        ...raftInvariantNames.map((name) => [name, true]),
        ["liveness", true],
        ["linearizability (kv)", true],
        ["restarted follower caught up", true],
        ["isolated follower caught up", true],
      ],
      `snapshot every ${cadence} entries`,
    );
  }
});

Deno.test("raft-snapshot: sweep rows become a trade-off table per cadence and charts that render", async () => {
  const rows: Record<string, unknown>[] = [0, 100, 300, 1000].map((snapshotEveryEntries) => ({
    snapshotEveryEntries,
    seed,
    ...runAt(snapshotEveryEntries).figures,
  }));
  const table = snapshotTradeOffTable(rows);
  assert.deepEqual(table.map((row) => row.snapshotEveryEntries), [100, 300, 1000, 0], "0 (never) is last");
  assert.equal(table[3].snapshotInstallUs, null, "no install without snapshots");
  assert.equal(table[2].recoveryUs, rows[3].recoveryUs);
  assert.equal(table[2].recoveryUsCi95, 0, "one seed: no interval");
  const charts = snapshotTradeOffCharts(rows);
  assert.deepEqual(Object.keys(charts), ["recovery", "walBytes", "throughput", "tradeOff", "tradeOffThroughput"]);
  const svg = await toSvg(charts.tradeOff);
  assert.ok(svg.includes("every 1000") && svg.includes("no snapshots") && svg.includes("peak WAL bytes"));
  // The cadence axis runs from the most frequent snapshots to none at all.
  assert.deepEqual(charts.recovery.data.values.map((v: { parameter: string }) => v.parameter), [
    "100",
    "300",
    "1000",
    "never",
  ]);
  assert.throws(() => snapshotTradeOffTable([{ seed: 1 }]), /sweep row 0 has no snapshotEveryEntries/);
});

Deno.test("raft-snapshot: bad parameters are refused naming the parameter and the limit", () => {
  const params = (given: Record<string, unknown>) => resolveParams(raftSnapshotExperiment.params, given);
  assert.throws(() => params({ snapshotEveryEntries: -1 }), /snapshotEveryEntries/);
  assert.throws(() => params({ servers: 2 }), /servers/);
  const p = (given: Record<string, unknown>) => {
    const values = params(given);
    return raftSnapshotExperiment.run(values, 1);
  };
  assert.throws(() => p({ durationUs: 3_000_000 }), /restartAtUs \+ downtimeUs \(3100000\) must be below durationUs/);
  assert.throws(
    () => p({ isolateForUs: 2_600_000 }),
    /the isolation \(isolateAtUs 500000 \+ isolateForUs 2600000\) must end by restartAtUs \(3000000\)/,
  );
});

Deno.test("raft-snapshot: the schedule isolates then crashes a follower and ends the run on time", () => {
  const schedule = snapshotSchedule(raftSnapshotParams.resolve({ isolateForUs: 0 }));
  assert.deepEqual(schedule.faults.map((f) => "fault" in f && f.fault.kind), ["crash"]);
  assert.equal(schedule.recoveryUs, 4_000_000 - 3_100_000);
  assert.equal(experimentNamed("raft-snapshot"), raftSnapshotExperiment);
});

Deno.test("snapshotInstall() pairs a follower's durable snapshot with the leader's last send of it", () => {
  const sent = [{ timeUs: 100, node: 0, value: 40 }, { timeUs: 300, node: 0, value: 40 }];
  assert.deepEqual(snapshotInstall([{ timeUs: 900, node: 1, value: 40 }], sent, { server: 1, sinceUs: 0 }), {
    index: 40,
    sentUs: 300,
    installedUs: 900,
  });
  // The follower's own snapshot (an index no leader sent) is passed over.
  const durable = [{ timeUs: 50, node: 1, value: 7 }, { timeUs: 900, node: 1, value: 40 }];
  assert.equal(snapshotInstall(durable, sent, { server: 1, sinceUs: 0 })?.installedUs, 900);
  assert.equal(snapshotInstall(durable.slice(0, 1), sent, { server: 1, sinceUs: 0 }), undefined);
  assert.equal(snapshotInstall([{ timeUs: 900, node: 2, value: 40 }], sent, { server: 1, sinceUs: 0 }), undefined);
});
