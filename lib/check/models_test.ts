// Proves each sequential model accepts exactly the legal steps, treats an unknown output as any
// result, and never mutates the state it is given; and that operations a model cannot judge (a
// function it lacks, a value of the wrong type) are refused as bad input, not judged.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { parseHistory } from "../history/jsonl.ts";
import { checkLinearizable } from "./linearizability.ts";
import { casRegister, counter, equalValues, hashValue, kv, kvCas, modelNamed, queue, register, set } from "./models.ts";
import { pairOperations } from "./operations.ts";

Deno.test('kv-cas: a delete takes the key back to "", so a later get must read "" and a cas must expect it', () => {
  const deleted = kvCas.step(kvCas.step(kvCas.init(null), "put", "a", undefined), "delete", null, undefined);
  assert.equal(deleted, "");
  assert.equal(kvCas.step(deleted, "get", null, "a"), undefined);
  assert.equal(kvCas.step(deleted, "cas", ["", "b"], true), "b");
  assert.equal(kvCas.invalid?.("delete", null, undefined), undefined, "a delete takes no value");
});

Deno.test("counter: adds accumulate and a read must see the sum", () => {
  const s = counter.step(counter.init(null), "add", 3, 3)!;
  assert.equal(counter.step(s, "read", null, 3), 3);
  assert.equal(counter.step(s, "read", null, 2), undefined);
  assert.equal(counter.step(s, "read", null, undefined), 3);
});

Deno.test("set: a read must return exactly the elements added, in any order", () => {
  let s = set.init(null);
  s = set.step(s, "add", 2, 2)!;
  s = set.step(s, "add", 1, 1)!;
  assert.ok(set.step(s, "read", null, [1, 2]) !== undefined);
  assert.ok(set.step(s, "read", null, [2, 1]) !== undefined);
  assert.equal(set.step(s, "read", null, [1]), undefined);
  assert.deepEqual(s, [1, 2]);
});

Deno.test("queue: dequeues come out in enqueue order, and an empty queue dequeues null", () => {
  const empty = queue.init(null);
  assert.equal(queue.step(empty, "dequeue", null, null), empty);
  const one = queue.step(empty, "enqueue", "a", "a")!;
  const two = queue.step(one, "enqueue", "b", "b")!;
  assert.equal(queue.step(two, "dequeue", null, "b"), undefined);
  assert.deepEqual(queue.step(two, "dequeue", null, "a"), ["b"]);
  assert.deepEqual(two, ["a", "b"], "the given state is not mutated");
});

Deno.test("kv: appends extend the value and its hash the same way a put of the whole value does", () => {
  const appended = kv.step(kv.step(kv.init(""), "append", "ab", "ab")!, "append", "c", "c")!;
  const put = kv.step(kv.init(""), "put", "abc", "abc")!;
  assert.ok(kv.equal(appended, put));
  assert.equal(kv.hash(appended), kv.hash(put));
  assert.equal(kv.step(appended, "get", null, "ab"), undefined);
});

Deno.test('kv-cas: a delete writes the absent value: a get after it returns "", never the deleted value', () => {
  const deleted = kvCas.step(kvCas.step(kvCas.init(""), "put", "a", "a"), "delete", null, null);
  assert.equal(deleted, "");
  assert.equal(kvCas.step(deleted, "get", null, ""), "");
  assert.equal(kvCas.step(deleted, "get", null, "a"), undefined);
  assert.equal(kvCas.invalid!("delete", null, null), undefined);
  assert.match(kvCas.invalid!("delete", "a", null)!, /delete takes null/);
});

Deno.test("an unknown model name is refused listing the models", () => {
  assert.throws(
    () => modelNamed("graph"),
    (e: Error) =>
      e instanceof InputError && /allowed: register, cas-register, kv, kv-cas, counter, set, queue/.test(e.message),
  );
  assert.throws(() => modelNamed("toString"), /unknown model/);
});

const history = (...events: string[]) => pairOperations(parseHistory(events.join("\n")));
const refused = (run: () => unknown, message: RegExp) =>
  assert.throws(run, (e: Error) => {
    assert.ok(e instanceof InputError, String(e));
    assert.match(e.message, message);
    return true;
  });

Deno.test("a cas whose value is not [expected, new] is refused naming the event, not a crash", () => {
  refused(
    () =>
      checkLinearizable(
        history('{"process":0,"type":"invoke","f":"cas","value":5}', '{"process":0,"type":"ok","f":"cas","value":5}'),
        casRegister,
      ),
    /event 1: process 0 cas: cas takes \[expected, new\] \(two JSON values\), got 5 \(model cas-register\)/,
  );
});

Deno.test("an operation the model lacks is bad input naming the allowed functions, not a violation", () => {
  const op = (f: string, value: string) => [
    `{"process":0,"type":"invoke","f":"${f}","value":${value}}`,
    `{"process":0,"type":"ok","f":"${f}","value":${value}}`,
  ];
  refused(
    () => checkLinearizable(history(...op("wirte", "1")), register),
    /process 0 wirte: the register model has no function "wirte" \(did you mean write\?\); allowed: read, write/,
  );
  refused(() => checkLinearizable(history(...op("cas", "[1,2]")), register), /no function "cas"; allowed: read, write/);
  refused(() => checkLinearizable(history(...op("pop", "1")), queue), /allowed: enqueue, dequeue/);
  refused(() => checkLinearizable(history(...op("write", "1")), kv, { initial: "" }), /allowed: get, put, append/);
});

Deno.test("values outside a model's types are refused: loose counter, set, kv and queue values", () => {
  const read = (f: string, input: string, output: string) =>
    history(
      `{"process":0,"type":"invoke","f":"${f}","value":${input}}`,
      `{"process":0,"type":"ok","f":"${f}","value":${output}}`,
    );
  refused(() => checkLinearizable(read("read", "null", "null"), counter), /read returns a finite number, got null/);
  refused(() => checkLinearizable(read("read", "null", '"1"'), counter), /read returns a finite number, got "1"/);
  refused(() => checkLinearizable(read("add", '"abc"', '"abc"'), counter), /add takes a finite number, got "abc"/);
  refused(() => checkLinearizable(read("read", "null", "[1,1]"), set), /holds 1 twice/);
  refused(() => checkLinearizable(read("put", "5", "5"), kv, { initial: "" }), /put takes a string, got 5/);
  refused(
    () => checkLinearizable(read("enqueue", "null", "null"), queue),
    /enqueue takes a JSON value other than null/,
  );
  refused(() => checkLinearizable([], counter, { initial: "x" }), /counter: the initial value must be a number/);
  refused(() => checkLinearizable([], kv, { initial: 3 }), /kv: the initial value must be a string/);
});

Deno.test("register values compare as structures: an object read back with its keys in another order is the same value", () => {
  const result = checkLinearizable(
    history(
      '{"process":0,"type":"invoke","f":"write","value":{"a":1,"b":[2,{"c":3,"d":4}]}}',
      '{"process":0,"type":"ok","f":"write","value":{"a":1,"b":[2,{"c":3,"d":4}]}}',
      '{"process":1,"type":"invoke","f":"read","value":null}',
      '{"process":1,"type":"ok","f":"read","value":{"b":[2,{"d":4,"c":3}],"a":1}}',
    ),
    register,
  );
  assert.equal(result.valid, true);
  assert.ok(equalValues({ a: 1, b: 2 }, { b: 2, a: 1 }));
  assert.ok(!equalValues({ a: 1 }, { a: 1, b: undefined }));
  assert.ok(!equalValues([1, 2], [2, 1]), "arrays keep their order");
  assert.equal(hashValue({ a: 1, b: 2 }), hashValue({ b: 2, a: 1 }), "equal values hash alike (the memo relies on it)");
  assert.ok(set.step(set.init([{ x: 1, y: 2 }]), "read", null, [{ y: 2, x: 1 }]) !== undefined);
});
