// Proves the fault measurements on hand-written histories and readings: downtime runs from the
// fault to the first write a newer leader acknowledges (not a read, not an older leader's ack),
// the write gap is the longest span without an acknowledged write, phases split throughput around
// the fault, and catch-up times each server that was behind at the heal.
import assert from "node:assert/strict";
import type { Op } from "../../../history/mod.ts";
import { catchUpTimes, electionDowntime, phaseThroughput, writeGapUsMax } from "./fault_figures.ts";
import type { RaftServerSample } from "./observer.ts";

/** One operation of `process`, invoked at `fromUs` and completed `type` at `toUs`. */
function op(process: number, f: string, fromUs: number, toUs: number, type: "ok" | "info" = "ok"): Op[] {
  return [
    { process, type: "invoke", f, key: "k0", value: null, time: fromUs },
    { process, type, f, key: "k0", value: null, time: toUs },
  ];
}

function history(...operations: Op[][]): Op[] {
  return operations.flat().sort((a, b) => a.time - b.time);
}

const leaderChanges = [
  { timeUs: 100_000, server: 0, term: 1 },
  { timeUs: 1_180_000, server: 3, term: 2 },
];

Deno.test("downtime runs from the fault to the first write acknowledged after a newer leader's election", () => {
  const events = history(
    op(0, "append", 950_000, 1_010_000), // acknowledged by the old leader just after the fault: not recovery
    op(1, "get", 1_100_000, 1_190_000), // a read: not a write
    op(2, "append", 1_150_000, 1_230_000),
  );
  const downtime = electionDowntime({ events, leaderChanges, faultUs: 1_000_000 });
  assert.equal(downtime.newLeader?.server, 3);
  assert.equal(downtime.electionUs, 180_000);
  assert.equal(downtime.firstWriteUs, 1_230_000);
  assert.equal(downtime.downtimeUs, 230_000);
});

Deno.test("without a newer leader after the fault there is no election downtime to report", () => {
  const downtime = electionDowntime({ events: [], leaderChanges, faultUs: 1_500_000 });
  assert.deepEqual(downtime, {
    leaderMoved: false,
    newLeader: undefined,
    electionUs: undefined,
    firstWriteUs: undefined,
    downtimeUs: undefined,
  });
  const noWrite = electionDowntime({
    events: history(op(0, "get", 1_190_000, 1_200_000)),
    leaderChanges,
    faultUs: 1_000_000,
  });
  assert.equal(noWrite.electionUs, 180_000);
  assert.equal(noWrite.downtimeUs, undefined);
});

Deno.test("a deposed leader's held-back acknowledgements do not end the downtime; the new leader's first does", () => {
  const events = history(
    op(0, "append", 950_000, 1_200_000), // answered at the heal by the old leader, in term 1
    op(1, "append", 1_190_000, 1_260_000), // answered by the new leader, in term 2
  );
  const writeTerms = [{ timeUs: 1_200_000, node: 0, value: 1 }, { timeUs: 1_260_000, node: 1, value: 2 }];
  const downtime = electionDowntime({ events, leaderChanges, faultUs: 1_000_000, writeTerms });
  assert.equal(downtime.firstWriteUs, 1_260_000);
  assert.equal(downtime.leaderMoved, true);
});

Deno.test("a fault before the first election replaced no leader: no failover is reported", () => {
  const downtime = electionDowntime({
    events: history(op(0, "append", 90_000, 150_000)),
    leaderChanges,
    faultUs: 50_000,
  });
  assert.equal(downtime.newLeader, undefined);
  assert.equal(downtime.downtimeUs, undefined);
});

Deno.test("the write gap is the longest span without an acknowledged write, the span's ends included", () => {
  const events = history(
    op(0, "append", 0, 100),
    op(1, "append", 100, 400),
    op(2, "get", 400, 900),
    op(3, "put", 900, 950),
  );
  assert.equal(writeGapUsMax(events, { fromUs: 0, toUs: 1_000 }), 550, "from the write at 400 to the one at 950");
  assert.equal(writeGapUsMax(events, { fromUs: 0, toUs: 3_000 }), 2_050, "from 950 to the span's end");
  assert.equal(writeGapUsMax([], { fromUs: 10, toUs: 20 }), 10);
});

Deno.test("phases count ok completions before, during and after the fault, each as long as the fault", () => {
  const events = history(
    ...[0, 1, 2, 3].map((i) => op(i, "append", 500_000 + i * 100_000, 510_000 + i * 100_000)),
    op(4, "append", 1_000_000, 1_300_000),
    op(5, "append", 1_300_000, 1_450_000, "info"),
    ...[0, 1].map((i) => op(i, "append", 1_500_000 + i * 100_000, 1_505_000 + i * 100_000)),
  );
  const rows = phaseThroughput(events, { startUs: 1_000_000, healUs: 1_500_000, runEndUs: 1_800_000 });
  assert.deepEqual(rows.map((r) => [r.phase, r.startUs, r.endUs, r.ok]), [
    ["before", 510_000, 1_000_000, 4],
    ["during", 1_000_000, 1_500_000, 1],
    ["after", 1_500_000, 1_800_000, 2],
  ]);
  // "Before" starts at the first acknowledgement, so start-up does not dilute it.
  assert.ok(Math.abs(rows[0].throughputPerSecond - 4 / 0.49) < 1e-9);
  assert.ok(Math.abs(rows[1].latencyUsP99 - 300_000) / 300_000 < 0.01);
});

Deno.test("catch-up times each server behind the highest commit at the heal until it applies up to it", () => {
  const reading = (timeUs: number, server: number, applied: number, commit = applied): RaftServerSample => ({
    timeUs,
    server,
    up: true,
    role: server === 0 ? "leader" : "follower",
    term: 2,
    commit,
    applied,
    lastIndex: applied,
  });
  const samples = [
    reading(1_000, 0, 500),
    reading(1_000, 1, 499),
    reading(1_000, 2, 120, 120),
    reading(2_000, 0, 510),
    reading(2_000, 1, 500),
    reading(2_000, 2, 300),
    reading(3_000, 0, 520),
    reading(3_000, 1, 520),
    reading(3_000, 2, 505),
  ];
  const rows = catchUpTimes(samples, 900);
  assert.deepEqual(rows.map((r) => [r.server, r.lagEntries, r.caughtUpUs, r.catchUpUs]), [
    [1, 1, 2_000, 1_100],
    [2, 380, 3_000, 2_100],
  ]);
  assert.deepEqual(catchUpTimes(samples, 5_000), [], "no reading after the heal");
});

Deno.test("given the fault, only servers cut off count: not a follower trailing by an entry, nor a non-member", () => {
  const reading = (timeUs: number, server: number, applied: number): RaftServerSample => ({
    timeUs,
    server,
    up: true,
    role: server === 0 ? "leader" : "follower",
    term: 2,
    commit: applied,
    applied,
    lastIndex: applied,
  });
  // Fault at 0, heal at 1_000: the cluster had committed 300 by 500; n2 and n3 stalled at 120.
  const samples = [
    ...[0, 1].map((s) => reading(500, s, 300)),
    ...[2, 3].map((s) => reading(500, s, 120)),
    reading(1_000, 0, 500),
    reading(1_000, 1, 499),
    reading(1_000, 2, 120),
    reading(1_000, 3, 120),
    ...[0, 1, 2].map((s) => reading(2_000, s, 520)),
  ];
  const rows = catchUpTimes(samples, 1_000, { faultUs: 0, members: new Set([0, 1, 2]) });
  assert.deepEqual(rows.map((r) => [r.server, r.catchUpUs]), [[2, 1_000]]);
});

Deno.test("a server that never reaches the target has no catch-up time", () => {
  const samples: RaftServerSample[] = [0, 1].flatMap((server) =>
    [1_000, 2_000].map((timeUs) => ({
      timeUs,
      server,
      up: true,
      role: "follower" as const,
      term: 1,
      commit: server === 0 ? 50 : 10,
      applied: server === 0 ? 50 : 10,
      lastIndex: 50,
    }))
  );
  const [row] = catchUpTimes(samples, 1_000);
  assert.equal(row.server, 1);
  assert.equal(row.catchUpUs, undefined);
});
