// Proves histories keep Jepsen's contract (one open operation per process, completions matching
// invocations) whether they keep every event or only faults, round-trip through the JSON Lines
// format, and name the line of a malformed event.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { faultWindows } from "./fault_windows.ts";
import { History, type Op } from "./history.ts";
import { formatHistory, parseHistory } from "./jsonl.ts";

Deno.test("a process runs one operation at a time and completes what it invoked", () => {
  const history = new History();
  const write = history.invoke({ process: 1, f: "write", value: 3, time: 10 });
  assert.throws(() => history.invoke({ process: 1, f: "read", value: null, time: 11 }), /still open/);
  const read = history.invoke({ process: 2, f: "read", value: null, key: "x", time: 12 });
  assert.deepEqual(history.openOperations(), [write, read]);
  history.complete(write, "ok", 3, 20);
  history.complete(read, "ok", 3, 21);
  assert.throws(() => history.complete(read, "ok", 3, 22), /not open/);
  assert.deepEqual(history.events.map((op) => [op.process, op.type, op.f, op.key, op.value]), [
    [1, "invoke", "write", undefined, 3],
    [2, "invoke", "read", "x", null],
    [1, "ok", "write", undefined, 3],
    [2, "ok", "read", "x", 3],
  ]);
});

Deno.test("events round-trip through JSON Lines with fields in the documented order", () => {
  const history = new History();
  const cas = history.invoke({ process: 3, f: "cas", key: "x", value: [1, 2], time: 1200 });
  history.add({ process: "nemesis", type: "info", f: "isolate", value: { phase: "start", id: 0 }, time: 1300 });
  history.complete(cas, "fail", [1, 2], 1400);
  const text = formatHistory(history.events);
  assert.equal(text.split("\n")[0], '{"process":3,"type":"invoke","f":"cas","key":"x","value":[1,2],"time":1200}');
  assert.deepEqual(parseHistory(text), history.events);
});

Deno.test("without times, line order stands in for real-time order", () => {
  const ops = parseHistory(
    '{"process":0,"type":"invoke","f":"read","value":null}\n\n{"process":0,"type":"ok","f":"read","value":1}\n',
  );
  assert.deepEqual(ops.map((op) => op.time), [0, 2]);
});

Deno.test("a malformed line is refused naming the line number and the problem", () => {
  const bad = (line: string, pattern: RegExp) =>
    assert.throws(
      () => parseHistory(`{"process":0,"type":"invoke","f":"read","value":null}\n${line}\n`, "h.jsonl"),
      (e: Error) => e instanceof InputError && pattern.test(e.message),
    );
  bad("{oops", /h\.jsonl:2: not valid JSON/);
  bad(
    '{"process":0,"type":"done","f":"read","value":1}',
    /h\.jsonl:2: type must be one of invoke, ok, fail, info, got "done"/,
  );
  bad('{"process":"p1","type":"ok","f":"read","value":1}', /h\.jsonl:2: process must be an integer or "nemesis"/);
  bad('{"process":0,"type":"ok","f":"read","value":1,"colour":"red"}', /h\.jsonl:2: unknown field "colour"/);
  bad('{"process":0,"type":"ok","f":"","value":1}', /h\.jsonl:2: f must be a non-empty string/);
  bad("[1,2]", /h\.jsonl:2: an event must be a JSON object/);
});

Deno.test("fault windows pair starts with heals; heal-all closes the rest; an unhealed fault runs to the end", () => {
  const nemesis = (f: string, phase: string, id: number, time: number) => ({
    process: "nemesis" as const,
    type: "info" as const,
    f,
    value: { phase, id, targets: ["n1"] },
    time,
  });
  const windows = faultWindows([
    nemesis("crash", "start", 0, 100),
    nemesis("isolate", "start", 1, 150),
    nemesis("crash", "heal", 0, 300),
    { process: "nemesis", type: "info", f: "heal-all", value: null, time: 400 },
    nemesis("pause", "start", 2, 500),
  ], 900);
  assert.deepEqual(windows.map((w) => [w.kind, w.startUs, w.endUs]), [
    ["crash", 100, 300],
    ["isolate", 150, 400],
    ["pause", 500, 900],
  ]);
});

Deno.test("a history that keeps only faults counts client events, keeps nemesis events and refuses to list the rest", () => {
  const seen: Op[] = [];
  const history = new History({ retain: "faults", sink: { write: (op) => seen.push(op) } });
  const write = history.invoke({ process: 1, f: "write", value: 3, time: 10 });
  history.add({ process: "nemesis", type: "info", f: "crash", value: { phase: "start", id: 0 }, time: 11 });
  assert.throws(() => history.invoke({ process: 1, f: "read", value: null, time: 12 }), /still open/);
  const read = history.invoke({ process: 2, f: "read", value: null, key: "x", time: 12 });
  history.complete(write, "ok", 3, 20);
  history.complete(read, "info", null, 21);
  assert.throws(() => history.complete(read, "ok", 3, 22), /not open/);
  assert.throws(() => history.add({ process: 3, type: "invoke", f: "read", value: null, time: 5 }), /after one at 21/);
  assert.deepEqual(history.counts, { invoke: 2, ok: 1, fail: 0, info: 1 });
  assert.deepEqual(history.faults().map((op) => op.f), ["crash"]);
  assert.throws(
    () => history.events,
    (e: Error) => e instanceof InputError && /keeps only fault events/.test(e.message),
  );
  assert.throws(() => history.operations(), /keeps only fault events/);
  assert.deepEqual(seen.map((op) => [op.process, op.type]), [
    [1, "invoke"],
    ["nemesis", "info"],
    [2, "invoke"],
    [1, "ok"],
    [2, "info"],
  ]);
});

Deno.test("a history that keeps every event counts them too, and passes them to its sink in order", () => {
  const seen: Op[] = [];
  const history = new History({ sink: { write: (op) => seen.push(op) } });
  const cas = history.invoke({ process: 3, f: "cas", key: "x", value: [1, 2], time: 1200 });
  history.complete(cas, "fail", [1, 2], 1400);
  assert.deepEqual(seen, history.events);
  assert.deepEqual(history.counts, { invoke: 1, ok: 0, fail: 1, info: 0 });
  assert.throws(() => new History({ retain: "some" as "all" }), /retain must be one of all, faults; got "some"/);
});
