// Proves, end to end on the echo experiment, that the metrics see what its history says: a crash
// of one server never costs availability (clients retry elsewhere) but multiplies tail latency
// and cuts throughput in the windows it overlaps, and every row list converts to an arquero table.
import assert from "node:assert/strict";
import { faultWindows } from "../history/fault_windows.ts";
import { runEcho } from "../systems/echo/experiments/mod.ts";
import {
  evaluateSlo,
  operationLatencies,
  recoveryPoint,
  recoveryTimes,
  staleness,
  table,
  windowedSeries,
  type WindowRow,
} from "./mod.ts";

const durationUs = 3_000_000;
const params = { durationUs, clients: 3, downtimeUs: 1_000_000 };
const run = runEcho(params, 1);
const [crash] = faultWindows(run.history.events, durationUs);
const windows = windowedSeries(run.history, { windowUs: 250_000, startUs: 0, endUs: durationUs });
const overlapsCrash = (row: WindowRow) => row.windowEndUs > crash.startUs && row.windowStartUs < crash.endUs;

Deno.test("echo: the history holds one crash of server0, from 0.9 s to 1.9 s", () => {
  assert.deepEqual([crash.kind, crash.targets, crash.startUs, crash.endUs], ["crash", ["server0"], 900_000, 1_900_000]);
});

Deno.test("echo: no operation fails, so availability is 1 in every window, the crash's included", () => {
  assert.ok(windows.every((row) => row.fail === 0 && row.info === 0 && row.availability === 1));
  assert.deepEqual(recoveryTimes(run.history, { endUs: durationUs }).map((row) => row.rtoUs), [0]);
});

Deno.test("echo: p99 latency in every window overlapping the crash is over 10 times that of any other window", () => {
  const during = windows.filter(overlapsCrash);
  const outside = windows.filter((row) => !overlapsCrash(row));
  assert.equal(during.length, 5);
  const calmP99Max = Math.max(...outside.map((row) => row.latencyUsP99));
  for (const row of during) assert.ok(row.latencyUsP99 > 10 * calmP99Max, `${row.windowStartUs}: ${row.latencyUsP99}`);
  // Clients waiting out the 20 ms timeout on the dead server also serve fewer requests.
  const inside = windows.filter((row) => row.windowStartUs >= crash.startUs && row.windowEndUs <= crash.endUs);
  const calmThroughputMin = Math.min(...outside.map((row) => row.throughputPerSecond));
  for (const row of inside) assert.ok(row.throughputPerSecond < calmThroughputMin / 2);
});

Deno.test("echo: a 10 ms p99 SLO fails in exactly the 500 ms windows that overlap the crash", () => {
  const result = evaluateSlo(run.history, "p99 < 10 ms in every 500 ms window", { startUs: 0, endUs: durationUs });
  const failed = result.windows.filter((row) => !row.pass).map((row) => row.windowStartUs);
  assert.deepEqual(failed, [500_000, 1_000_000, 1_500_000]);
  const worst = result.worstWindow!;
  assert.ok(worst.windowStartUs >= crash.startUs - 500_000 && worst.windowStartUs < crash.endUs);
});

Deno.test("echo with acknowledgement before fsync: RPO finds the request the run's own check lost, in flight at the crash", () => {
  const buggy = runEcho({ ...params, bug: "ackBeforeFsync" }, 2);
  const lostIds = buggy.check.lostRequestIds;
  assert.ok(lostIds.length > 0, "seed 2 loses an acknowledged request");
  const acknowledged = operationLatencies(buggy.history).filter((row) => row.type === "ok").length;
  const okValues = buggy.history.events.filter((op) => op.type === "ok").map((op) => op.value);
  const result = recoveryPoint(buggy.history, {
    present: okValues.filter((value) => !lostIds.includes(value as number)),
  });
  assert.equal(result.acknowledged, acknowledged);
  assert.deepEqual(result.lostValues, lostIds);
  // The server answered before its fsync and crashed while the answer was on its way: the client
  // saw the acknowledgement after the crash began, so the write was committed just before it.
  for (const row of result.lost) {
    assert.ok(row.ackUs > crash.startUs && row.ackUs < crash.startUs + 20_000, `acknowledged at ${row.ackUs}`);
    assert.deepEqual([row.faultStartUs, row.gapUs], [crash.startUs, 0]);
  }
});

Deno.test("echo: every row list converts to an arquero table with as many rows", () => {
  const lists: object[][] = [
    windows,
    operationLatencies(run.history),
    evaluateSlo(run.history, "p99 < 10 ms in every 500 ms window").windows,
    recoveryTimes(run.history),
    staleness(run.history),
  ];
  for (const rows of lists) assert.equal(table(rows).numRows(), rows.length);
  assert.ok(table(windows).columnNames().includes("latencyUsP99"));
});
