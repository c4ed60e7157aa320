// Proves windowed series count each operation in the window of its completion, report
// availability, throughput and latency percentiles of ok operations per window, keep empty
// windows, and refuse a window length of 0.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { windowedSeries } from "./windows.ts";
import { history } from "./_testing.ts";

const second = 1_000_000;

// Window 0: three ok reads (10, 20 and 30 us) and one failed write; window 1: nothing; window 2: an
// info, and a write invoked in window 1 that completes in window 2.
const events = history([
  { process: 0, f: "read", invokeUs: 100_000, completeUs: 100_010 },
  { process: 0, f: "read", invokeUs: 200_000, completeUs: 200_020 },
  { process: 0, f: "read", invokeUs: 300_000, completeUs: 300_030 },
  { process: 1, f: "write", value: 1, invokeUs: 400_000, completeUs: 450_000, type: "fail" },
  { process: 1, f: "write", value: 2, invokeUs: 1_900_000, completeUs: 2_100_000 },
  { process: 0, f: "read", invokeUs: 2_200_000, completeUs: 2_500_000, type: "info" },
]);

Deno.test("a window with 3 ok and 1 fail has availability 0.75 and throughput 3 per second", () => {
  const [first] = windowedSeries(events, { windowUs: second, startUs: 0, endUs: 3 * second });
  assert.deepEqual(first, {
    windowStartUs: 0,
    windowEndUs: second,
    operations: 4,
    ok: 3,
    fail: 1,
    info: 0,
    throughputPerSecond: 3,
    availability: 0.75,
    latencyUsP50: 20,
    latencyUsP90: 30,
    latencyUsP99: 30,
    latencyUsP999: 30,
    latencyUsMax: 30,
  });
});

Deno.test("a window with no operations still appears, with throughput 0 and availability NaN", () => {
  const rows = windowedSeries(events, { windowUs: second, startUs: 0, endUs: 3 * second });
  assert.deepEqual(rows.map((row) => row.windowStartUs), [0, second, 2 * second]);
  const empty = rows[1];
  assert.equal(empty.operations, 0);
  assert.equal(empty.throughputPerSecond, 0);
  assert.ok(Number.isNaN(empty.availability) && Number.isNaN(empty.latencyUsP99));
});

Deno.test("an operation counts in the window its completion falls in, not the one it was invoked in", () => {
  const third = windowedSeries(events, { windowUs: second, startUs: 0, endUs: 3 * second })[2];
  assert.deepEqual([third.ok, third.info, third.availability, third.latencyUsMax], [1, 1, 0.5, 200_000]);
});

Deno.test("without bounds the windows run from the first event to the last, which lands in the last window", () => {
  const rows = windowedSeries(events, { windowUs: 600_000 });
  assert.equal(rows[0].windowStartUs, 100_000);
  // 100_000 .. 2_500_000 is 2.4 s: exactly four windows, the last holding the completion at 2_500_000.
  assert.equal(rows.length, 4);
  assert.equal(rows[3].info, 1);
});

Deno.test("grouped by f, every window has one row per function, window by window", () => {
  const rows = windowedSeries(events, { windowUs: second, startUs: 0, endUs: 3 * second, by: "f" });
  assert.deepEqual(rows.map((row) => `${row.windowStartUs / second}:${row.f}:${row.operations}`), [
    "0:read:3",
    "0:write:1",
    "1:read:0",
    "1:write:0",
    "2:read:1",
    "2:write:1",
  ]);
  assert.equal(rows[1].availability, 0);
});

Deno.test("a window of 0 us, an end before the start, or an unknown grouping is refused with what is allowed", () => {
  const refused = (options: Parameters<typeof windowedSeries>[1], pattern: RegExp) =>
    assert.throws(() => windowedSeries(events, options), (e) => e instanceof InputError && pattern.test(e.message));
  refused({ windowUs: 0 }, /windowUs must be at least 1, got 0/);
  refused({ windowUs: 10, startUs: 50, endUs: 10 }, /endUs \(10\) must be at least startUs \(50\)/);
  refused({ windowUs: 10, by: "key" as "f" }, /by must be "f"/);
  refused({ windowUs: 1, startUs: 0, endUs: 1e12 }, /exceed windowsMax/);
});
