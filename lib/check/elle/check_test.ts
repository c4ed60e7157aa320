// Proves the isolation checker on hand-written histories: each of Adya's anomalies (G0, G1a, G1b,
// G1c, G-single, G-nonadjacent, G2) and Elle's direct ones is found with the right cycle and
// explanation, the model table is right for each (write skew passes snapshot isolation and fails
// serializability), a serial history passes every model, process and real-time order make the
// session and strict models fail where they should, bad input is refused by name, and a
// budget ends a search with "unknown".
import assert from "node:assert/strict";
import { InputError } from "../../assert.ts";
import type { Op } from "../../history/history.ts";
import { concurrentHistory, serialHistory, type TxnSpec } from "./_testing.ts";
import { checkIsolation, isolationCheckResult, type IsolationOptions, type IsolationResult } from "./check.ts";
import type { Anomaly } from "./types.ts";

const listAppend: IsolationOptions = { workload: "list-append", realtime: true };
const rwRegister: IsolationOptions = { workload: "rw-register", realtime: true };

function check(specs: TxnSpec[], options: IsolationOptions = listAppend): IsolationResult {
  return checkIsolation(concurrentHistory(specs), options);
}

/** The anomaly of `type`, which must be there. */
function anomaly(result: IsolationResult, type: string): Anomaly {
  const found = result.anomalies.find((a) => a.type === type);
  assert.ok(found !== undefined, `no ${type} among ${result.anomalies.map((a) => a.type).join(", ") || "nothing"}`);
  return found;
}

/** A cycle as "T1 -rw(x)-> T2 -wr(y)-> T1". */
function cycleOf(a: Anomaly): string {
  assert.ok(a.cycle !== undefined, `${a.type} has no cycle`);
  return a.explanation.split("\n")[0].slice(a.type.length + 2);
}

/** The models that hold, weakest first. */
function holding(result: IsolationResult): string[] {
  return Object.entries(result.models).filter(([, v]) => v === true).map(([k]) => k);
}

Deno.test("G0: two transactions whose appends interleave in opposite orders on two keys form a ww cycle", () => {
  const result = check([
    { ops: [["append", "x", 1], ["append", "y", 1]] },
    { ops: [["append", "x", 2], ["append", "y", 2]] },
    { ops: [["r", "x", [1, 2]], ["r", "y", [2, 1]]] },
  ]);
  assert.equal(cycleOf(anomaly(result, "G0")), "T1 -ww(x)-> T2 -ww(y)-> T1");
  assert.deepEqual(holding(result), []);
  assert.equal(result.valid, false);
});

Deno.test("G1a: a read of an element appended by a failed transaction is an aborted read", () => {
  const result = check([
    { outcome: "fail", ops: [["append", "x", 1]] },
    { ops: [["r", "x", [1]]] },
  ]);
  const found = anomaly(result, "G1a");
  assert.deepEqual(found.txns!.map((t) => t.name), ["T2", "T1"]);
  assert.match(found.explanation, /T2 read x = \[1\].*T1, a transaction that failed/);
  assert.deepEqual(holding(result), ["read-uncommitted"]);
});

Deno.test("G1b: a read ending in an append its writer followed with another is an intermediate read", () => {
  const result = check([
    { ops: [["append", "x", 1], ["append", "x", 2]] },
    { ops: [["r", "x", [1]]] },
  ]);
  assert.match(anomaly(result, "G1b").explanation, /T2 read x = \[1\], which ends in 1, but T1 appended more/);
  assert.equal(result.models["read-committed"], false);
  assert.equal(result.models["read-uncommitted"], true);
});

Deno.test("G1c: two transactions that each read the other's append form a wr cycle (circular information flow)", () => {
  const result = check([
    { ops: [["append", "x", 1], ["r", "y", [1]]] },
    { ops: [["append", "y", 1], ["r", "x", [1]]] },
  ]);
  assert.equal(cycleOf(anomaly(result, "G1c")), "T1 -wr(x)-> T2 -wr(y)-> T1");
  assert.deepEqual(holding(result), ["read-uncommitted"]);
});

Deno.test("G-single (read skew): a reader sees one of a transaction's appends but not the other", () => {
  const result = check([
    { ops: [["r", "x", []], ["r", "y", [1]]] },
    { ops: [["append", "x", 1], ["append", "y", 1]] },
    { ops: [["r", "x", [1]], ["r", "y", [1]]] },
  ]);
  const found = anomaly(result, "G-single");
  assert.equal(cycleOf(found), "T1 -rw(x)-> T2 -wr(y)-> T1");
  assert.deepEqual(found.cycle!.map((s) => [s.txn.name, s.dependency.kind, s.dependency.key]), [
    ["T1", "rw", "x"],
    ["T2", "wr", "y"],
  ]);
  assert.deepEqual(holding(result), ["read-uncommitted", "read-committed"]);
});

Deno.test("the G-single explanation names each transaction and says why each must precede the next", () => {
  const result = check([
    { ops: [["r", "x", []], ["r", "y", [1]]] },
    { ops: [["append", "x", 1], ["append", "y", 1]] },
    { ops: [["r", "x", [1]], ["r", "y", [1]]] },
  ]);
  assert.equal(
    anomaly(result, "G-single").explanation,
    [
      "G-single: T1 -rw(x)-> T2 -wr(y)-> T1",
      '  T1 = process 0, ok: [["r","x",[]],["r","y",[1]]]',
      '  T2 = process 1, ok: [["append","x",1],["append","y",1]]',
      "  T1 < T2 (rw): T1 read x = [] and did not see T2's append of 1, the next element",
      "  T2 < T1 (wr): T1 read y = [1], which holds T2's append of 1",
      "  So T1 would come before itself: no order of these transactions explains them.",
    ].join("\n"),
  );
});

Deno.test("G2 (write skew): two transactions read both keys empty and each appends to one; snapshot isolation allows it", () => {
  const result = check([
    { ops: [["r", "x", []], ["r", "y", []], ["append", "x", 1]] },
    { ops: [["r", "x", []], ["r", "y", []], ["append", "y", 1]] },
    { ops: [["r", "x", [1]], ["r", "y", [1]]] },
  ]);
  assert.equal(cycleOf(anomaly(result, "G2")), "T1 -rw(y)-> T2 -rw(x)-> T1");
  assert.deepEqual(holding(result), [
    "read-uncommitted",
    "read-committed",
    "snapshot-isolation",
    "strong-session-snapshot-isolation",
    "strong-snapshot-isolation",
  ]);
  assert.equal(result.models.serializable, false);
  assert.equal(result.valid, false);
  assert.equal(checkIsolation(concurrentHistory([]), { ...listAppend, model: "snapshot-isolation" }).valid, "unknown");
});

Deno.test("G-nonadjacent: a cycle whose two rw edges are never adjacent violates snapshot isolation", () => {
  const result = check([
    { ops: [["r", "x", []], ["r", "v", [1]]] },
    { ops: [["append", "x", 1], ["append", "z", 1]] },
    { ops: [["r", "z", [1]], ["r", "w", []]] },
    { ops: [["append", "w", 1], ["append", "v", 1]] },
    { ops: [["r", "x", [1]], ["r", "w", [1]]] },
  ]);
  assert.equal(cycleOf(anomaly(result, "G-nonadjacent")), "T1 -rw(x)-> T2 -wr(z)-> T3 -rw(w)-> T4 -wr(v)-> T1");
  assert.deepEqual(holding(result), ["read-uncommitted", "read-committed"]);
});

Deno.test("lost update: two transactions read x empty and both append; found directly and as a G-single", () => {
  const result = check([
    { ops: [["r", "x", []], ["append", "x", 1]] },
    { ops: [["r", "x", []], ["append", "x", 2]] },
    { ops: [["r", "x", [1, 2]]] },
  ]);
  assert.deepEqual(anomaly(result, "lost-update").txns!.map((t) => t.name), ["T1", "T2"]);
  assert.equal(cycleOf(anomaly(result, "G-single")), "T1 -ww(x)-> T2 -rw(x)-> T1");
  assert.deepEqual(holding(result), ["read-uncommitted", "read-committed"]);
});

Deno.test("lost update on registers is caught directly, though without a version order its cycle looks like write skew", () => {
  const result = check([
    { ops: [["r", "x", null], ["w", "x", 1]] },
    { ops: [["r", "x", null], ["w", "x", 2]] },
  ], rwRegister);
  anomaly(result, "lost-update");
  assert.equal(cycleOf(anomaly(result, "G2")), "T1 -rw(x)-> T2 -rw(x)-> T1");
  assert.equal(result.models["snapshot-isolation"], false, "lost update is forbidden by snapshot isolation");
  assert.equal(result.models["read-committed"], true);
});

Deno.test("a serial history passes every model, for both workloads", () => {
  const appends = serialHistory([
    { ops: [["append", "x", 1], ["append", "y", 1]] },
    { ops: [["r", "x", [1]], ["append", "x", 2], ["r", "y", [1]]] },
    { ops: [["r", "x", [1, 2]], ["append", "y", 2], ["r", "y", [1, 2]]] },
    { ops: [["r", "z", null], ["append", "z", 1]] },
  ]);
  const registers = serialHistory([
    { ops: [["w", "x", 1], ["w", "y", 1]] },
    { ops: [["r", "x", 1], ["w", "x", 2], ["r", "y", 1]] },
    { ops: [["r", "x", 2], ["w", "y", 2], ["r", "y", 2]] },
    { ops: [["r", "z", null], ["w", "z", 1]] },
  ]);
  for (const [events, options] of [[appends, listAppend], [registers, rwRegister]] as const) {
    const result = checkIsolation(events, { ...options, model: "strict-serializable" });
    assert.deepEqual(result.anomalies, []);
    assert.equal(Object.keys(result.models).length, 8);
    assert.ok(Object.values(result.models).every((v) => v === true), JSON.stringify(result.models));
    assert.equal(result.valid, true);
    assert.match(result.message, /strict-serializable: no forbidden anomaly among 4 committed/);
  }
});

Deno.test("registers: read skew is a G-single through the initial state", () => {
  const result = check([
    { ops: [["r", "x", null], ["r", "y", 1]] },
    { ops: [["w", "x", 1], ["w", "y", 1]] },
  ], rwRegister);
  const found = anomaly(result, "G-single");
  assert.equal(cycleOf(found), "T1 -rw(x)-> T2 -wr(y)-> T1");
  assert.match(found.explanation, /T1 read x = null, the initial state, and T2 wrote x = 1, a later version/);
});

Deno.test("registers: write skew passes snapshot isolation and fails serializability", () => {
  const result = check([
    { ops: [["r", "x", null], ["r", "y", null], ["w", "x", 1]] },
    { ops: [["r", "x", null], ["r", "y", null], ["w", "y", 1]] },
  ], rwRegister);
  assert.equal(cycleOf(anomaly(result, "G2")), "T1 -rw(y)-> T2 -rw(x)-> T1");
  assert.equal(result.models["snapshot-isolation"], true);
  assert.equal(result.models.serializable, false);
});

Deno.test("registers: aborted, intermediate and garbage reads are found by the value read", () => {
  const result = check([
    { outcome: "fail", ops: [["w", "x", 1]] },
    { ops: [["w", "y", 1], ["w", "y", 2]] },
    { ops: [["r", "x", 1], ["r", "y", 1], ["r", "z", 9]] },
  ], rwRegister);
  assert.deepEqual(result.anomalies.map((a) => a.type), ["G1a", "G1b", "garbage-read"]);
});

Deno.test("registers: a version order follows from a transaction that read a version and then wrote the key", () => {
  // T2 read x = 1 and wrote 2, so 1 < 2; T3 read 1 too, so T3 precedes T2; T2's write of y was seen by T3.
  const result = check([
    { ops: [["w", "x", 1]] },
    { ops: [["r", "x", 1], ["w", "x", 2], ["w", "y", 1]] },
    { ops: [["r", "x", 1], ["r", "y", 1]] },
  ], rwRegister);
  assert.equal(cycleOf(anomaly(result, "G-single")), "T2 -wr(y)-> T3 -rw(x)-> T2");
  assert.match(anomaly(result, "G-single").explanation, /T3 read x = 1, and T2 read that same version/);
});

Deno.test("internal: a read that does not show the transaction's own earlier append", () => {
  const result = check([{ ops: [["append", "x", 1], ["r", "x", []]] }]);
  assert.match(anomaly(result, "internal").explanation, /T1 read x = \[\] but .* imply a list ending \[1\]/);
  assert.equal(result.models["read-committed"], true, "Adya's read committed says nothing of a txn's own writes");
  assert.equal(result.models["snapshot-isolation"], false);
});

Deno.test("future-read: a read showing an append the transaction makes only later", () => {
  const result = check([{ ops: [["r", "x", [1]], ["append", "x", 1]] }]);
  anomaly(result, "future-read");
  assert.equal(result.models["read-committed"], false);
});

Deno.test("incompatible order, duplicates and garbage: reads that no list-append history can produce", () => {
  const result = check([
    { ops: [["append", "x", 1]] },
    { ops: [["append", "x", 2]] },
    { ops: [["r", "x", [1, 2]]] },
    { ops: [["r", "x", [2]], ["r", "y", [5, 5]]] },
  ]);
  assert.match(anomaly(result, "incompatible-order").explanation, /T4 read x = \[2\] and T3 read \[1,2\]/);
  anomaly(result, "duplicate-elements");
  anomaly(result, "garbage-read");
  assert.deepEqual(holding(result), []);
});

Deno.test("an info transaction's appends count once a read sees them, and may never have happened otherwise", () => {
  const seen = check([{ outcome: "info", ops: [["append", "x", 1]] }, { ops: [["r", "x", [1]]] }]);
  assert.equal(seen.valid, true);
  const unseen = check([{ outcome: "info", ops: [["append", "x", 1]] }, { ops: [["r", "x", []]] }]);
  assert.equal(unseen.valid, true);
  const failed = check([{ outcome: "fail", ops: [["append", "x", 1]] }, { ops: [["r", "x", []]] }]);
  assert.equal(failed.valid, true);
});

Deno.test("real time: a read that misses an append completed before it began is serializable but not strict", () => {
  const events = serialHistory([{ ops: [["append", "x", 1]] }, { ops: [["r", "x", []]] }]);
  const result = checkIsolation(events, listAppend);
  assert.equal(result.models.serializable, true);
  assert.equal(result.models["strong-session-serializable"], true, "different processes");
  assert.equal(result.models["strict-serializable"], false);
  assert.equal(cycleOf(anomaly(result, "G-single-realtime")), "T1 -realtime-> T2 -rw(x)-> T1");
  assert.equal(checkIsolation(events, { workload: "list-append", model: "strict-serializable" }).valid, false);
  assert.equal(checkIsolation(events, { workload: "list-append" }).models["strict-serializable"], undefined);
});

Deno.test("process order: a process that misses its own earlier append violates strong session serializability", () => {
  const events = serialHistory([{ process: 0, ops: [["append", "x", 1]] }, { process: 0, ops: [["r", "x", []]] }]);
  const result = checkIsolation(events, { workload: "list-append", realtime: false });
  assert.equal(result.models.serializable, true);
  assert.equal(result.models["strong-session-serializable"], false);
  assert.equal(cycleOf(anomaly(result, "G-single-process")), "T1 -process-> T2 -rw(x)-> T1");
});

Deno.test("bad input is refused with the event and what is allowed", () => {
  const txn = (value: unknown): Op[] => [{ process: 0, type: "invoke", f: "txn", value, time: 0 }];
  const refuse = (events: Op[], pattern: RegExp, options: IsolationOptions = listAppend) =>
    assert.throws(
      () => checkIsolation(events, options),
      (e: Error) => e instanceof InputError && pattern.test(e.message),
    );
  refuse(txn(5), /^event 1 \(process 0, invoke txn\): value must be a list of micro-ops \(\["append", key, value\]/);
  refuse(txn([["cas", "x", 1]]), /micro-op 1 \["cas","x",1\]: unknown micro-op "cas"; the list-append workload allows/);
  refuse(txn([["w", "x", 1]]), /unknown micro-op "w"; the list-append workload allows/);
  refuse(txn([["append", "x", 1]]), /unknown micro-op "append"; the rw-register workload allows/, rwRegister);
  refuse(txn([["append", "x"]]), /not a micro-op/);
  refuse(txn([["append", "x", null]]), /a written value must be a string or a finite number/);
  refuse([{ process: 0, type: "invoke", f: "read", value: null, time: 0 }], /f is "read"; .* only f "txn"/);
  refuse(concurrentHistory([{ ops: [["append", "x", 1]] }, { ops: [["append", "x", 1]] }]), /values unique per key/);
  refuse(concurrentHistory([]), /model strict-serializable is judged on real-time order/, {
    workload: "list-append",
    model: "strict-serializable",
    realtime: false,
  });
  refuse(concurrentHistory([]), /unknown consistency model "acid"/, {
    workload: "list-append",
    model: "acid" as never,
  });
});

Deno.test("a completion whose micro-ops differ from its invocation's is refused", () => {
  const events = [
    { process: 0, type: "invoke" as const, f: "txn", value: [["append", "x", 1]], time: 0 },
    { process: 0, type: "ok" as const, f: "txn", value: [["append", "x", 2]], time: 1 },
  ];
  assert.throws(() => checkIsolation(events, listAppend), /event 2: micro-op 1 \["append","x",2\] differs/);
});

Deno.test("a step budget ends the check with the verdict unknown, never a hang, keeping what it found", () => {
  const writeSkew: TxnSpec[] = [
    { ops: [["r", "x", []], ["r", "y", []], ["append", "x", 1]] },
    { ops: [["r", "x", []], ["r", "y", []], ["append", "y", 1]] },
  ];
  const starved = check(writeSkew, { ...listAppend, stepsMax: 2 });
  assert.equal(starved.valid, "unknown");
  assert.ok(Object.values(starved.models).every((v) => v === "unknown"));
  assert.match(starved.message, /unknown \(the search budget of 2 steps ran out\)/);
  const lostUpdate = check([
    { ops: [["r", "x", []], ["append", "x", 1]] },
    { ops: [["r", "x", []], ["append", "x", 2]] },
  ], { ...listAppend, stepsMax: 0 });
  assert.equal(lostUpdate.valid, false, "the lost update was found before the budget ran out");
  assert.equal(lostUpdate.models["read-committed"], "unknown");
});

Deno.test("a serial history of 3000 transactions on 5 processes is checked well within the default budget", () => {
  const specs: TxnSpec[] = [];
  const lists = new Map<string, number[]>();
  for (let i = 0; i < 3000; i++) {
    const key = `k${i % 7}`;
    const list = lists.get(key) ?? [];
    specs.push({ process: i % 5, ops: [["r", key, [...list]], ["append", key, i]] });
    lists.set(key, [...list, i]);
  }
  const result = checkIsolation(serialHistory(specs), { ...listAppend, model: "strict-serializable" });
  assert.equal(result.valid, true, result.message);
  assert.ok(result.steps < 200_000, `${result.steps} steps`);
});

Deno.test("a reader's own appends say nothing of the version order: read committed may commit them after others'", () => {
  // Under read committed T2 read y before T1 committed (seeing only its own 3) and z after; T1's 2
  // landed first. Taking T2's [3] as a version would claim 3 precedes 2: a false G1c.
  const result = check([
    { ops: [["append", "z", 1], ["append", "y", 2]] },
    { ops: [["append", "y", 3], ["r", "y", [3]], ["r", "z", [1]]] },
    { ops: [["r", "y", [2, 3]]] },
  ]);
  assert.equal(result.models["read-committed"], true);
  assert.equal(cycleOf(anomaly(result, "G-single")), "T1 -ww(y)-> T2 -rw(y)-> T1");
});

Deno.test("anomalies are all counted, and a few of each type kept with explanations", () => {
  const specs: TxnSpec[] = [{ outcome: "fail", ops: [["append", "x", 1]] }];
  for (let i = 0; i < 5; i++) specs.push({ ops: [["r", "x", [1]]] });
  const result = check(specs, { ...listAppend, anomaliesPerTypeMax: 2 });
  assert.equal(result.anomalyCounts.G1a, 5);
  assert.equal(result.anomalies.filter((a) => a.type === "G1a").length, 2);
  assert.match(result.message, /^serializable violated by G1a ×5: G1a \(aborted read\): T2 read x = \[1\]/);
});

Deno.test("the result composes with the other checkers as a CheckResult", () => {
  const result = check([{ ops: [["append", "x", 1], ["r", "x", [1]]] }]);
  const composed = isolationCheckResult(result);
  assert.equal(composed.checker, "isolation (serializable)");
  assert.equal(composed.valid, true);
  assert.deepEqual(composed.details?.models, result.models);
});

Deno.test("a budget spent on real-time edges leaves the serializable and session verdicts decided", () => {
  // 200 transactions one after another on their own keys: no data edges, 199 real-time edges.
  const events = serialHistory(Array.from({ length: 200 }, (_, i) => ({ ops: [["append", `k${i}`, 1]] })));
  const result = checkIsolation(events, { workload: "list-append", model: "strict-serializable", stepsMax: 100 });
  assert.equal(result.valid, "unknown");
  assert.equal(result.models.serializable, true);
  assert.equal(result.models["strong-session-serializable"], true);
  assert.equal(result.models["strong-snapshot-isolation"], "unknown");
  assert.match(result.message, /^strict-serializable: unknown \(the search budget of 100 steps ran out\)/);
});
