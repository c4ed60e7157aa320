// Proves staleness judges each read against the writes acknowledged before it was invoked (in
// versions behind and in time since the value read was superseded), treats concurrent writes as
// fresh and impossible values as anomalies, and that the freshness curve bins reads by the time
// since the latest acknowledged write.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { freshnessCurve, staleness, type StalenessRow } from "./staleness.ts";
import { history, type OperationSpec } from "./_testing.ts";

const ms = 1_000;

/** Writes of 1, 2, 3 to key x, acknowledged at 10, 20 and 30 ms. */
const writes: OperationSpec[] = [1, 2, 3].map((value) => ({
  process: 9,
  f: "write",
  key: "x",
  value,
  invokeUs: value * 10 * ms - 5 * ms,
  completeUs: value * 10 * ms,
}));

function readOf(result: unknown, invokeUs: number, key = "x"): OperationSpec {
  return { process: 1, f: "read", key, result, invokeUs, completeUs: invokeUs + ms };
}

Deno.test("a read of the previous value 40 ms after the newer write was acknowledged is 1 version and 40 ms behind", () => {
  const [row] = staleness(history([...writes, readOf(2, 70 * ms)]));
  assert.deepEqual(row, {
    key: "x",
    process: 1,
    readInvokeUs: 70 * ms,
    value: 2,
    fresh: false,
    versionsBehind: 1,
    stalenessUs: 40 * ms,
    sinceWriteUs: 40 * ms,
  });
});

Deno.test("a read two versions back is stale since the acknowledgement of the write after the one it saw", () => {
  const [row] = staleness(history([...writes, readOf(1, 35 * ms)]));
  assert.deepEqual([row.versionsBehind, row.stalenessUs, row.sinceWriteUs], [2, 15 * ms, 5 * ms]);
});

Deno.test("a read of the latest acknowledged value is fresh", () => {
  const [row] = staleness(history([...writes, readOf(3, 31 * ms)]));
  assert.deepEqual([row.fresh, row.versionsBehind, row.stalenessUs], [true, 0, 0]);
});

Deno.test("the initial value is fresh before any write and as many versions behind as writes acknowledged after", () => {
  const rows = staleness(history([readOf(0, 0), ...writes, readOf(0, 25 * ms)]), { initial: 0 });
  assert.deepEqual(rows.map((row) => [row.fresh, row.versionsBehind, row.stalenessUs]), [
    [true, 0, 0],
    [false, 2, 15 * ms],
  ]);
  assert.ok(Number.isNaN(rows[0].sinceWriteUs));
});

Deno.test("only writes acknowledged before the read's invocation count: a write acknowledged during the read does not", () => {
  // Write 3 is acknowledged at 30 ms, while the read invoked at 29 ms is in flight: 2 is still fresh.
  const [row] = staleness(history([...writes, readOf(2, 29 * ms)]));
  assert.equal(row.fresh, true);
});

Deno.test("a value of a write still in flight, or of unknown outcome, is fresh: it is concurrent with the read", () => {
  const inflight: OperationSpec = {
    process: 7,
    f: "write",
    key: "x",
    value: 4,
    invokeUs: 40 * ms,
    completeUs: 90 * ms,
  };
  const unknown: OperationSpec = {
    process: 8,
    f: "write",
    key: "x",
    value: 5,
    invokeUs: 41 * ms,
    completeUs: 42 * ms,
    type: "info",
  };
  const rows = staleness(history([...writes, inflight, unknown, readOf(4, 50 * ms), readOf(5, 60 * ms)]));
  assert.deepEqual(rows.map((row) => row.fresh), [true, true]);
});

Deno.test("a value never written, or written by a failed write, is an anomaly with NaN versions behind", () => {
  const failed: OperationSpec = {
    process: 7,
    f: "write",
    key: "x",
    value: 6,
    invokeUs: 40 * ms,
    completeUs: 41 * ms,
    type: "fail",
  };
  const rows = staleness(history([...writes, failed, readOf(6, 50 * ms), readOf(99, 60 * ms)]));
  for (const row of rows) assert.ok(!row.fresh && Number.isNaN(row.versionsBehind) && Number.isNaN(row.stalenessUs));
});

Deno.test("keys are judged separately, and put/get are a write and a read", () => {
  const events = history([
    ...writes,
    { process: 3, f: "put", key: "y", value: 1, invokeUs: 0, completeUs: 1 * ms },
    { process: 4, f: "get", key: "y", result: 1, invokeUs: 50 * ms, completeUs: 51 * ms },
  ]);
  const [row] = staleness(events);
  assert.deepEqual([row.key, row.fresh, row.sinceWriteUs], ["y", true, 49 * ms]);
});

Deno.test("a value written twice to one key is refused, since reads could not tell the writes apart", () => {
  const twice = history([...writes, { process: 5, f: "write", key: "x", value: 2, invokeUs: 50 * ms }]);
  assert.throws(() => staleness(twice), (e) => e instanceof InputError && /written twice/.test(e.message));
});

function row(sinceWriteUs: number, fresh: boolean): StalenessRow {
  const versionsBehind = fresh ? 0 : 1;
  return { key: null, process: 0, readInvokeUs: 0, value: 0, fresh, versionsBehind, stalenessUs: 0, sinceWriteUs };
}

Deno.test("the freshness curve is the share of fresh reads per bin of time since the latest acknowledged write", () => {
  const rows = [row(1 * ms, false), row(3 * ms, false), row(4 * ms, true), row(12 * ms, true), row(24 * ms, true)];
  rows.push(row(NaN, false), { ...row(2 * ms, false), versionsBehind: NaN });
  assert.deepEqual(freshnessCurve(rows, { binUs: 5 * ms }), [
    { sinceWriteUs: 0, reads: 3, freshProbability: 1 / 3 },
    { sinceWriteUs: 5 * ms, reads: 0, freshProbability: NaN },
    { sinceWriteUs: 10 * ms, reads: 1, freshProbability: 1 },
    { sinceWriteUs: 15 * ms, reads: 0, freshProbability: NaN },
    { sinceWriteUs: 20 * ms, reads: 1, freshProbability: 1 },
  ]);
  assert.throws(() => freshnessCurve(rows, { binUs: 0 }), /binUs must be at least 1, got 0/);
});

Deno.test("a delete sets the key back to the initial value: a read of it after the delete is fresh, after a later write it is behind that write", () => {
  const deleted: OperationSpec = {
    process: 8,
    f: "delete",
    key: "x",
    value: null,
    invokeUs: 32 * ms,
    completeUs: 35 * ms,
  };
  const rewritten: OperationSpec = {
    process: 8,
    f: "write",
    key: "x",
    value: 4,
    invokeUs: 40 * ms,
    completeUs: 45 * ms,
  };
  const rows = staleness(history([...writes, deleted, readOf(null, 37 * ms), rewritten, readOf(null, 55 * ms)]));
  assert.deepEqual(rows.map((row) => [row.fresh, row.versionsBehind, row.stalenessUs]), [
    [true, 0, 0],
    [false, 1, 10 * ms],
  ]);
});

Deno.test("a read of the initial value while a delete is in flight is fresh; two deletes of one key are not a repeated value", () => {
  const first: OperationSpec = {
    process: 8,
    f: "delete",
    key: "x",
    value: null,
    invokeUs: 32 * ms,
    completeUs: 33 * ms,
  };
  const second: OperationSpec = {
    process: 7,
    f: "delete",
    key: "x",
    value: null,
    invokeUs: 36 * ms,
    completeUs: 60 * ms,
  };
  const written: OperationSpec = { process: 8, f: "write", key: "x", value: 4, invokeUs: 34 * ms, completeUs: 35 * ms };
  const rows = staleness(history([...writes, first, written, second, readOf(null, 40 * ms)]));
  assert.deepEqual(rows.map((row) => row.fresh), [true]);
});
