// Proves the linearizability checker: it agrees with Porcupine on every history of its test
// corpus, with a brute-force search over all orders on thousands of small random histories, and
// it explains a violation with the operations involved.
import assert from "node:assert/strict";
import { parseHistory } from "../history/jsonl.ts";
import type { Op } from "../history/history.ts";
import { Rng } from "../sim/rng.ts";
import { checkLinearizable } from "./linearizability.ts";
import { casRegister, type Model, modelNamed, register } from "./models.ts";
import { type Operation, pairOperations } from "./operations.ts";

const corpus = new URL("../../datasets/porcupine/", import.meta.url);

Deno.test("every Porcupine corpus history gets the verdict Porcupine's tests assert", async () => {
  const verdicts: Record<string, boolean> = JSON.parse(await Deno.readTextFile(new URL("verdicts.json", corpus)));
  assert.equal(Object.keys(verdicts).length, 109);
  for (const [name, expected] of Object.entries(verdicts)) {
    const events = parseHistory(await Deno.readTextFile(new URL(`${name}.jsonl`, corpus)), name);
    const keyed = name.startsWith("c");
    const result = checkLinearizable(pairOperations(events), modelNamed(keyed ? "kv" : "cas-register"), {
      initial: keyed ? "" : null,
    });
    assert.equal(result.valid, expected, `${name}: ${result.valid} after ${result.steps} steps`);
    if (!expected) assert.ok(result.counterexample !== undefined, `${name} has no counterexample`);
  }
});

/** Every order of the operations that respects real time; info operations may also be left out. */
function bruteForce(operations: Operation[], model: Model<unknown>, initial: unknown): boolean {
  const n = operations.length;
  const used = new Array(n).fill(false);
  const search = (state: unknown, placed: number): boolean => {
    // Done when every known operation is placed; unknown ones left out never took effect.
    if (operations.every((op, i) => used[i] || !op.known)) return true;
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      // i may go next only if no unplaced operation returned before i was called.
      const blocked = operations.some((other, j) => !used[j] && j !== i && other.returnIndex < operations[i].callIndex);
      if (blocked) continue;
      const after = model.step(state, operations[i].f, operations[i].input, operations[i].output);
      if (after === undefined) continue;
      used[i] = true;
      const found = search(after, placed + 1);
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(model.init(initial), 0);
}

/**
 * A random history of a register with cas, linearizable by construction: each operation takes
 * effect at a random instant inside its interval. Some completions become info (unknown).
 */
function randomHistory(rng: Rng, processes: number, operationsPerProcess: number): Op[] {
  type Planned = { process: number; f: string; input: unknown; callUs: number; effectUs: number; returnUs: number };
  const planned: Planned[] = [];
  for (let p = 0; p < processes; p++) {
    let t = rng.int(0, 5);
    for (let k = 0; k < operationsPerProcess; k++) {
      const callUs = t + rng.int(0, 4);
      const returnUs = callUs + rng.int(1, 12);
      const roll = rng.next();
      const f = roll < 0.4 ? "read" : roll < 0.75 ? "write" : "cas";
      const input = f === "read" ? null : f === "write" ? rng.int(0, 2) : [rng.int(0, 2), rng.int(0, 2)];
      planned.push({ process: p, f, input, callUs, effectUs: rng.uniform(callUs, returnUs), returnUs });
      t = returnUs + 1;
    }
  }
  let value: unknown = 0;
  const outputs = new Map<Planned, { type: "ok" | "fail" | "info"; value: unknown }>();
  for (const op of [...planned].sort((a, b) => a.effectUs - b.effectUs)) {
    let outcome: { type: "ok" | "fail" | "info"; value: unknown } = { type: "ok", value: op.input };
    if (op.f === "read") outcome = { type: "ok", value };
    if (op.f === "write") value = op.input;
    if (op.f === "cas") {
      const [expected, next] = op.input as number[];
      if (value === expected) value = next;
      else outcome = { type: "fail", value: op.input };
    }
    if (op.f !== "read" && rng.bernoulli(0.15)) outcome = { type: "info", value: op.input };
    outputs.set(op, outcome);
  }
  const events: { time: number; op: Op }[] = [];
  for (const op of planned) {
    events.push({ time: op.callUs, op: { process: op.process, type: "invoke", f: op.f, value: op.input, time: 0 } });
    const out = outputs.get(op)!;
    events.push({
      time: op.returnUs + 0.5,
      op: { process: op.process, type: out.type, f: op.f, value: out.value, time: 0 },
    });
  }
  events.sort((a, b) => a.time - b.time);
  return events.map((e, i) => ({ ...e.op, time: i }));
}

/** Changes one read's result, which usually breaks linearizability. */
function mutate(events: Op[], rng: Rng): Op[] {
  const reads = events.map((e, i) => [e, i] as const).filter(([e]) => e.f === "read" && e.type === "ok");
  if (reads.length === 0) return events;
  const [read, index] = rng.pick(reads);
  const copy = [...events];
  copy[index] = { ...read, value: ((read.value as number) + rng.int(1, 2)) % 3 };
  return copy;
}

Deno.test("on 3000 random small histories the checker agrees with a brute-force search over all orders", () => {
  const rng = Rng.fromSeed(2026).fork("linearizability-property");
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < 3000; i++) {
    const history = randomHistory(rng, rng.int(2, 4), rng.int(1, 3));
    const events = i % 2 === 0 ? history : mutate(history, rng);
    const operations = pairOperations(events);
    const expected = bruteForce(operations, casRegister, 0);
    const result = checkLinearizable(operations, casRegister, { initial: 0 });
    assert.equal(result.valid, expected, `history ${i}:\n${events.map((e) => JSON.stringify(e)).join("\n")}`);
    if (expected) valid++;
    else invalid++;
    if (i % 2 === 0) assert.equal(expected, true, "unmutated histories are linearizable by construction");
  }
  assert.ok(invalid > 300 && valid > 1500, `a balanced sample: ${valid} valid, ${invalid} invalid`);
});

Deno.test("a stale read is explained: the write that must come before it, the read, and the state it met", () => {
  const events = parseHistory([
    '{"process":0,"type":"invoke","f":"write","value":1}',
    '{"process":0,"type":"ok","f":"write","value":1}',
    '{"process":1,"type":"invoke","f":"write","value":2}',
    '{"process":1,"type":"ok","f":"write","value":2}',
    '{"process":2,"type":"invoke","f":"read","value":null}',
    '{"process":2,"type":"ok","f":"read","value":1}',
  ].join("\n"));
  const result = checkLinearizable(pairOperations(events), register, { initial: 0 });
  assert.equal(result.valid, false);
  const example = result.counterexample!;
  assert.deepEqual(example.linearized.map((l) => [l.operation.f, l.operation.input, l.stateAfter]), [
    ["write", 2, "2"],
  ]);
  assert.equal(example.stuck.f, "read");
  assert.equal(example.stuck.output, 1);
  assert.equal(example.stateAtStuck, "2");
});

Deno.test("a read of an object with its keys in another order is not stale: the pre-check compares values as structures", () => {
  // The write of {"a":1,"b":2} may take effect after the concurrent write of 5; the read then
  // finds it, spelt {"b":2,"a":1}.
  const events = parseHistory([
    '{"process":0,"type":"invoke","f":"write","value":5}',
    '{"process":1,"type":"invoke","f":"write","value":{"a":1,"b":2}}',
    '{"process":0,"type":"ok","f":"write","value":5}',
    '{"process":1,"type":"ok","f":"write","value":{"a":1,"b":2}}',
    '{"process":2,"type":"invoke","f":"read","value":null}',
    '{"process":2,"type":"ok","f":"read","value":{"b":2,"a":1}}',
  ].join("\n"));
  for (const model of [register, casRegister]) {
    assert.equal(checkLinearizable(pairOperations(events), model).valid, true, model.name);
  }
});

Deno.test("a violation the search finds is explained by the longest order it found", () => {
  // The read of 2 is not stale (the write of 2 may come late), but then the read of 1 cannot follow.
  const events = parseHistory([
    '{"process":0,"type":"invoke","f":"write","value":1}',
    '{"process":1,"type":"invoke","f":"write","value":2}',
    '{"process":0,"type":"ok","f":"write","value":1}',
    '{"process":1,"type":"ok","f":"write","value":2}',
    '{"process":2,"type":"invoke","f":"read","value":null}',
    '{"process":2,"type":"ok","f":"read","value":2}',
    '{"process":2,"type":"invoke","f":"read","value":null}',
    '{"process":2,"type":"ok","f":"read","value":1}',
  ].join("\n"));
  const result = checkLinearizable(pairOperations(events), register, { initial: 0 });
  assert.equal(result.valid, false);
  const example = result.counterexample!;
  assert.equal(example.stuck.f, "read");
  assert.ok(example.linearized.length >= 2, JSON.stringify(example.linearized));
});

Deno.test("an info write may take effect late or never; a fail write never does", () => {
  const history = (writeType: string, readValue: number) =>
    parseHistory([
      '{"process":0,"type":"invoke","f":"write","value":1}',
      `{"process":0,"type":"${writeType}","f":"write","value":1}`,
      '{"process":1,"type":"invoke","f":"read","value":null}',
      `{"process":1,"type":"ok","f":"read","value":${readValue}}`,
    ].join("\n"));
  const check = (writeType: string, readValue: number) =>
    checkLinearizable(pairOperations(history(writeType, readValue)), register, { initial: 0 }).valid;
  assert.equal(check("info", 1), true, "the unknown write took effect");
  assert.equal(check("info", 0), true, "the unknown write never took effect");
  assert.equal(check("fail", 1), false, "a failed write cannot be read");
  assert.equal(check("ok", 0), false, "a completed write must be visible to a later read");
});

Deno.test("a step budget ends a search with the verdict unknown, never a hang", () => {
  const rng = Rng.fromSeed(4);
  const events = randomHistory(rng, 6, 6);
  const result = checkLinearizable(pairOperations(events), casRegister, { initial: 0, stepsMax: 5 });
  assert.equal(result.valid, "unknown");
  assert.ok(result.steps <= 5);
});

Deno.test("keys are checked independently: a violation on one key names it", () => {
  const events = parseHistory([
    '{"process":0,"type":"invoke","f":"put","key":"a","value":"x"}',
    '{"process":0,"type":"ok","f":"put","key":"a","value":"x"}',
    '{"process":1,"type":"invoke","f":"get","key":"b","value":null}',
    '{"process":1,"type":"ok","f":"get","key":"b","value":"x"}',
  ].join("\n"));
  const result = checkLinearizable(pairOperations(events), modelNamed("kv"), { initial: "" });
  assert.equal(result.valid, false);
  assert.equal(result.keys, 2);
  assert.equal(result.counterexample?.key, "b");
});
