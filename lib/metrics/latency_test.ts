// Proves operation latencies pair each invocation with its completion (ok, fail or info, never a
// pending one), and that latency histograms count exactly the rows their filter selects.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { History } from "../history/history.ts";
import { latencyHistogram, operationLatencies } from "./latency.ts";
import { history } from "./_testing.ts";

const events = history([
  { process: 0, f: "write", key: "x", value: 1, invokeUs: 0, completeUs: 30 },
  { process: 1, f: "read", invokeUs: 10, completeUs: 25, type: "fail" },
  { process: 2, f: "read", invokeUs: 12, completeUs: 112, type: "info" },
  { process: 0, f: "read", key: "x", invokeUs: 40, completeUs: 47 },
  { process: 1, f: "write", value: 9, invokeUs: 50 },
]);

Deno.test("every completed operation gives one row with its latency, and a pending one gives none", () => {
  assert.deepEqual(operationLatencies(events), [
    { process: 1, f: "read", key: null, invokeUs: 10, completeUs: 25, latencyUs: 15, type: "fail" },
    { process: 0, f: "write", key: "x", invokeUs: 0, completeUs: 30, latencyUs: 30, type: "ok" },
    { process: 0, f: "read", key: "x", invokeUs: 40, completeUs: 47, latencyUs: 7, type: "ok" },
    { process: 2, f: "read", key: null, invokeUs: 12, completeUs: 112, latencyUs: 100, type: "info" },
  ]);
});

Deno.test("nemesis events are not operations, and a History is accepted as well as its events", () => {
  const recorded = new History();
  recorded.add({ process: "nemesis", type: "info", f: "crash", value: { phase: "start", id: 0 }, time: 0 });
  const write = recorded.invoke({ process: 3, f: "write", value: 5, time: 5 });
  recorded.complete(write, "ok", 5, 45);
  assert.deepEqual(operationLatencies(recorded).map((row) => row.latencyUs), [40]);
});

Deno.test("a latency histogram counts only the rows its filter selects", () => {
  const rows = operationLatencies(events);
  assert.equal(latencyHistogram(rows).count, 4);
  const ok = latencyHistogram(rows, { type: "ok" });
  assert.deepEqual([ok.count, ok.min, ok.max], [2, 7, 30]);
  assert.equal(latencyHistogram(rows, { type: ["fail", "info"], f: "read" }).max, 100);
  assert.equal(latencyHistogram(rows, { key: null }).count, 2);
  assert.equal(latencyHistogram(rows, (row) => row.latencyUs > 20).count, 2);
});

Deno.test("a completion without an invocation, or times going backwards, is refused with its position", () => {
  const orphan = [{ process: 4, type: "ok" as const, f: "read", value: 1, time: 3 }];
  assert.throws(
    () => operationLatencies(orphan),
    (e) => e instanceof InputError && /event 0: process 4/.test(e.message),
  );
  const backwards = history([{ process: 0, f: "read", invokeUs: 10, completeUs: 20 }]).reverse();
  assert.throws(() => operationLatencies(backwards), InputError);
});
