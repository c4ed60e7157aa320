// Proves keys with a time to live are judged as they should be: a value written with a TTL may be
// found absent later (the kv-cas-ttl model), but not before its TTL could have run out, nor read
// long after (ttl-expiry); the plain kv-cas model would call an expiry a violation, which is why the
// store's runs with TTLs use the other. And kv-modes runs with TTLs expire keys and pass.
import assert from "node:assert/strict";
import { InputError } from "../../../assert.ts";
import { kvCas } from "../../../check/mod.ts";
import { keyValueGenerator, linearizable } from "../../../harness/mod.ts";
import type { Op } from "../../../history/mod.ts";
import { Rng } from "../../../sim/mod.ts";
import { casGenerator } from "./cas.ts";
import { kvModesExperiment, kvModesParams, kvModesWorkload, kvOptions } from "./modes.ts";
import { kvCasTtl, ttlCounts, ttlExpiry, ttlGenerator, ttlOfValue } from "./ttl.ts";

const op = (process: number, f: string, value: unknown, result: unknown, fromUs: number, toUs: number): Op[] => [
  { process, type: "invoke", f, key: "k", value: f === "get" ? null : value, time: fromUs },
  { process, type: "ok", f, key: "k", value: result, time: toUs },
];
const bounds = { driftPpm: 50_000, slackUs: 1_000 };

Deno.test("ttl: a value names its TTL, and the model lets only such a value expire, for good", () => {
  assert.equal(ttlOfValue("3:7/ttl5000"), 5000);
  assert.equal(ttlOfValue("3:7"), undefined);
  assert.equal(kvCasTtl.step("3:7/ttl5000", "get", null, ""), "");
  assert.equal(kvCasTtl.step("3:7", "get", null, ""), undefined, "a value without a TTL cannot vanish");
  assert.equal(kvCasTtl.step("3:7/ttl5000", "get", null, "3:7/ttl5000"), "3:7/ttl5000", "not expired yet");
  assert.equal(kvCasTtl.step("", "get", null, "3:7/ttl5000"), undefined, "an expired value does not come back");
  assert.equal(kvCasTtl.step("3:7/ttl5000", "cas", ["", "4:1"], true), "4:1", "a cas may find it expired");
  assert.equal(kvCasTtl.step("3:7", "cas", ["", "4:1"], true), undefined);
  assert.equal(kvCasTtl.step("3:7/ttl5000", "cas", ["3:7/ttl5000", "4:1"], true), "4:1");
});

Deno.test("ttl: a history with an expiry is linearizable on kv-cas-ttl and not on kv-cas", () => {
  const events = [...op(1, "put", "1:0/ttl5000", "1:0/ttl5000", 0, 10), ...op(2, "get", null, "", 9_000, 9_100)];
  const judge = (model: typeof kvCas) =>
    linearizable("l", model, { initial: "" }).check({
      events,
      finalValues: undefined,
      durableValues: undefined,
      elements: () => [],
    }).valid;
  assert.equal(judge(kvCasTtl), true);
  assert.equal(judge(kvCas), false);
});

Deno.test("ttl: a key found absent before its TTL ran out is an early expiry; one read long after, a late read", () => {
  const early = [...op(1, "put", "1:0/ttl5000", "1:0/ttl5000", 0, 10), ...op(2, "get", null, "", 100, 200)];
  assert.equal(ttlCounts(early, bounds).earlyExpiries, 1);
  const check = ttlExpiry({ ...bounds, late: "check" }).check({
    events: early,
    finalValues: undefined,
    durableValues: undefined,
    elements: () => [],
  });
  assert.equal(check.valid, false);
  assert.match(check.message, /expired before/);

  const late = [
    ...op(1, "put", "1:0/ttl5000", "1:0/ttl5000", 0, 10),
    ...op(2, "get", null, "1:0/ttl5000", 4_000, 4_100),
    ...op(2, "get", null, "1:0/ttl5000", 7_000, 7_100),
  ];
  const counts = ttlCounts(late, bounds);
  assert.deepEqual([counts.lateReads, counts.earlyExpiries], [1, 0], "only the read past 5 ms · 1.05 + 1 ms");
  const judged = (mode: "check" | "count") =>
    ttlExpiry({ ...bounds, late: mode }).check({
      events: late,
      finalValues: undefined,
      durableValues: undefined,
      elements: () => [],
    }).valid;
  assert.deepEqual([judged("check"), judged("count")], [false, true]);
});

Deno.test("ttl: absence after the TTL, or explained by a delete in between, is no violation", () => {
  const events = [
    ...op(1, "put", "1:0/ttl5000", "1:0/ttl5000", 0, 10),
    ...op(2, "get", null, "", 6_000, 6_100),
    ...op(1, "put", "1:1/ttl5000", "1:1/ttl5000", 7_000, 7_010),
    ...op(3, "delete", null, null, 7_020, 7_030),
    ...op(2, "get", null, "", 7_100, 7_200),
  ];
  const counts = ttlCounts(events, bounds);
  assert.deepEqual([counts.ttlPuts, counts.expiredReads, counts.earlyExpiries, counts.lateReads], [2, 1, 0, 0]);
});

Deno.test("ttl: the generator marks a share of the puts, and a cas expects the marked value", () => {
  const base = casGenerator(keyValueGenerator({ keys: 1, readFraction: 0, writeF: "put" }), 0.5);
  const generator = ttlGenerator(base, 0.5, 5_000);
  const rng = Rng.fromSeed(3);
  const requests = Array.from({ length: 200 }, (_, sequence) => generator.next(rng, { process: 0, sequence }));
  const marked = requests.filter((r) => r.f === "put" && r.ttlUs === 5_000);
  assert.ok(marked.length > 20 && marked.every((r) => ttlOfValue(r.value) === 5_000));
  let last = "";
  for (const request of requests) {
    if (request.f === "cas") assert.equal((request.value as string[])[0], last, "expects what was last written");
    last = request.f === "put" ? String(request.value) : (request.value as string[])[1];
  }
  // At fraction 0 nothing is drawn: the workload replays as it did before TTLs existed.
  assert.equal(ttlGenerator(base, 0, 5_000), base);
});

Deno.test("ttl: a leaderless mode with a TTL fraction is refused, naming the modes that take one", () => {
  assert.throws(
    () => kvOptions(kvModesParams.resolve({ mode: "quorum", ttlFraction: 0.2 })),
    (e) => e instanceof InputError && /linearizable or lease/.test(e.message),
  );
});

Deno.test("ttl: kv-modes on Raft with TTLs expires keys, and every check passes", () => {
  const params = { mode: "linearizable", ttlFraction: 0.5, durationUs: 1_500_000, faults: "none" } as const;
  const output = kvModesExperiment.run(params, 1);
  for (const check of output.checks) assert.equal(check.valid, true, `${check.checker}: ${check.message}`);
  const message = output.checks.find((c) => c.checker === "ttl-expiry")!.message;
  const expired = Number(/(\d+) reads found their key expired/.exec(message)![1]);
  assert.ok(expired > 10, message);
  assert.ok(kvModesWorkload(kvModesParams.resolve(params)).checkers.some((c) => c.name === "ttl-expiry"));
});
