// Proves what the linearizability checker reports, beyond its verdict: the counterexample of a
// key names exactly the operations it could not place, and an "unknown" says which bound ended
// the search and what to change.
import assert from "node:assert/strict";
import { parseHistory } from "../history/jsonl.ts";
import { checkLinearizable, unknownExplanation } from "./linearizability.ts";
import { kv, register } from "./models.ts";
import { pairOperations } from "./operations.ts";

Deno.test("the counterexample of a later key does not list an operation it placed as not placed (ids are global, indices per key)", () => {
  const operations = pairOperations(parseHistory([
    '{"process":0,"type":"invoke","f":"put","key":"a","value":"x"}',
    '{"process":0,"type":"ok","f":"put","key":"a","value":"x"}',
    '{"process":0,"type":"invoke","f":"put","key":"a","value":"y"}',
    '{"process":0,"type":"ok","f":"put","key":"a","value":"y"}',
    '{"process":1,"type":"invoke","f":"put","key":"b","value":"1"}',
    '{"process":2,"type":"invoke","f":"get","key":"b","value":null}',
    '{"process":1,"type":"ok","f":"put","key":"b","value":"1"}',
    '{"process":2,"type":"ok","f":"get","key":"b","value":"2"}',
  ].join("\n")));
  const result = checkLinearizable(operations, kv, { initial: "" });
  assert.equal(result.valid, false);
  const example = result.counterexample!;
  assert.equal(example.key, "b");
  assert.deepEqual(example.linearized.map((l) => [l.operation.f, l.operation.input]), [["put", "1"]]);
  assert.deepEqual(example.concurrent, [], "the put was placed, so it is not among the operations not placed");
});

Deno.test("an unknown verdict names the bound that ended the search and what to change", () => {
  const result = checkLinearizable(
    pairOperations(parseHistory([
      '{"process":0,"type":"invoke","f":"write","value":1}',
      '{"process":1,"type":"invoke","f":"write","value":2}',
      '{"process":0,"type":"ok","f":"write","value":1}',
      '{"process":1,"type":"ok","f":"write","value":2}',
    ].join("\n"))),
    register,
    { stepsMax: 1 },
  );
  assert.equal(result.valid, "unknown");
  assert.equal(result.unknownReason, "steps");
  assert.match(unknownExplanation(result), /used its budget of 1 steps; a larger one \(--steps\) may settle it/);
  const memory = unknownExplanation({ ...result, unknownReason: "memory", unknownKey: "k" });
  assert.match(memory, /on key k filled its memo .*more steps cannot help/);
});
