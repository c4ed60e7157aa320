// Proves consistency chosen per request: the history records each request's level, fresh-reads
// flags a read that missed a write its class must see (R + W > N) and nothing else, catches the
// planted bug that acknowledges quorum writes on one copy, and the CP modes refuse levels.
import assert from "node:assert/strict";
import { InputError } from "../../../assert.ts";
import { keyValueGenerator } from "../../../harness/mod.ts";
import type { Op } from "../../../history/mod.ts";
import { Rng } from "../../../sim/mod.ts";
import { freshReadCounts, levelGenerator, levelOfInvocation } from "./levels.ts";
import { kvModesExperiment, kvModesParams, kvOptions } from "./modes.ts";

const sizes = { n: 3, r: 2, w: 2 };
const op = (process: number, f: string, value: unknown, result: unknown, version: number, from: number, to: number) =>
  [
    { process, type: "invoke", f, key: "k", value, time: from },
    { process, type: "ok", f, key: "k", value: result, time: to, version },
  ] as Op[];
/** Operations' events as a history records them: in real-time order. */
const history = (...ops: Op[][]) => ops.flat().sort((a, b) => a.time - b.time);

Deno.test("levels: a quorum read older than a quorum write acknowledged before it is stale", () => {
  const events = [
    ...op(1, "put", "1:0@quorum", "1:0@quorum", 10, 0, 5),
    ...op(1, "put", "1:1@quorum", "1:1@quorum", 20, 10, 15),
    ...op(2, "get", "quorum", "1:0@quorum", 10, 20, 25),
  ];
  const counts = freshReadCounts(events, "one", sizes);
  assert.deepEqual(counts.byLevel.quorum, { reads: 1, judged: 1, stale: 1 });
  assert.match(counts.first!, /quorum read of k .* older than the quorum write of "1:1@quorum"/);
});

Deno.test("levels: reads whose R + W ≤ N, or invoked before the write was acknowledged, are not judged", () => {
  const events = history(
    op(1, "put", "1:0@quorum", "1:0@quorum", 10, 0, 5),
    op(1, "put", "1:1", "1:1", 20, 10, 15), // the mode's level: one
    op(2, "get", null, "", 0, 20, 25), // a one read: 1 + 2 = N
    op(3, "get", "quorum", "1:0@quorum", 10, 12, 30), // sees the quorum write; the one write is 2 + 1 = N
    op(1, "put", "1:2@quorum", "1:2@quorum", 30, 40, 50),
    op(3, "get", "quorum", "1:0@quorum", 10, 45, 55), // invoked before that write was acknowledged
  );
  const counts = freshReadCounts(events, "one", sizes);
  assert.deepEqual(counts.byLevel.one, { reads: 1, judged: 0, stale: 0 });
  assert.deepEqual(counts.byLevel.quorum, { reads: 2, judged: 2, stale: 0 });
  // With all for reads, even the one writes must be seen: 3 + 1 > 3.
  const all = [...op(1, "put", "1:1", "1:1", 20, 0, 5), ...op(2, "get", "all", "", 0, 10, 15)];
  assert.equal(freshReadCounts(all, "one", sizes).byLevel.all.stale, 1);
});

Deno.test("levels: the generator records a request's level in the history, and draws nothing at fractions 0", () => {
  const base = keyValueGenerator({ keys: 2, readFraction: 0.5, writeF: "put" });
  const generator = levelGenerator(base, { readFraction: 0.5, writeFraction: 0.5, level: "all" });
  const rng = Rng.fromSeed(5);
  const requests = Array.from({ length: 200 }, (_, sequence) => generator.next(rng, { process: 1, sequence }));
  const strong = requests.filter((r) => r.consistency === "all");
  assert.ok(strong.length > 50 && strong.length < 150);
  for (const request of requests) {
    const invoke: Op = { process: 1, type: "invoke", f: request.f, key: request.key, value: request.value, time: 0 };
    assert.equal(levelOfInvocation(invoke, "one"), request.consistency ?? "one");
  }
  assert.equal(levelGenerator(base, { readFraction: 0, writeFraction: 0, level: "all" }), base);
});

Deno.test("levels: a CP mode refuses per-request levels: its consistency is chosen per run", () => {
  assert.throws(
    () => kvOptions(kvModesParams.resolve({ mode: "linearizable", strongReadFraction: 0.5 })),
    (e) => e instanceof InputError && /chosen per run/.test(e.message),
  );
});

Deno.test("levels: in mode one with strict quorums, quorum reads see quorum writes; a write acked on one copy breaks it", () => {
  const params = {
    mode: "one",
    strongReadFraction: 0.5,
    strongWriteFraction: 0.5,
    sloppyQuorum: false,
    faults: "partitions",
    durationUs: 3_000_000,
  } as const;
  const fresh = (bug: "none" | "coordinatorCountsSelfTwice") =>
    kvModesExperiment.run({ ...params, bug }, 2).checks.find((c) => c.checker === "fresh-reads")!;
  const good = fresh("none");
  assert.equal(good.valid, true, good.message);
  assert.match(good.message, /quorum reads: \d+, [1-9]\d* judged, 0 stale/);
  const bad = fresh("coordinatorCountsSelfTwice");
  assert.equal(bad.valid, false, bad.message);
});
