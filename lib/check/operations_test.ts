// Proves invocations pair with their completions: fail operations are dropped, unknown ones
// return at infinity, unknown reads are dropped, and protocol breaks name the event.
import assert from "node:assert/strict";
import { parseHistory } from "../history/jsonl.ts";
import { pairOperations, partitionByKey } from "./operations.ts";

const lines = (...events: string[]) => parseHistory(events.join("\n"));

Deno.test("ok operations keep both ends; fail ones are dropped; info and pending ones never return", () => {
  const operations = pairOperations(lines(
    '{"process":0,"type":"invoke","f":"write","value":1}',
    '{"process":1,"type":"invoke","f":"cas","value":[1,2]}',
    '{"process":0,"type":"ok","f":"write","value":1}',
    '{"process":1,"type":"fail","f":"cas","value":[1,2]}',
    '{"process":2,"type":"invoke","f":"write","value":3}',
    '{"process":2,"type":"info","f":"write","value":3}',
    '{"process":3,"type":"invoke","f":"read","value":null}',
    '{"process":3,"type":"info","f":"read","value":null}',
    '{"process":4,"type":"invoke","f":"write","value":4}',
  ));
  assert.deepEqual(operations.map((o) => [o.process, o.f, o.callIndex, o.returnIndex, o.known]), [
    [0, "write", 0, 2, true],
    [2, "write", 4, Infinity, false],
    [4, "write", 8, Infinity, false],
  ]);
});

Deno.test("a completion without an invocation, or a second invocation, names the event", () => {
  assert.throws(
    () => pairOperations(lines('{"process":0,"type":"ok","f":"read","value":1}')),
    /event 1: process 0 completes read without an invocation/,
  );
  assert.throws(
    () =>
      pairOperations(
        lines(
          '{"process":0,"type":"invoke","f":"read","value":null}',
          '{"process":0,"type":"invoke","f":"read","value":null}',
        ),
      ),
    /event 2: process 0 invokes read while its read is open/,
  );
});

Deno.test("partitionByKey groups operations per key and renumbers them", () => {
  const operations = pairOperations(lines(
    '{"process":0,"type":"invoke","f":"put","key":"a","value":"x"}',
    '{"process":0,"type":"ok","f":"put","key":"a","value":"x"}',
    '{"process":0,"type":"invoke","f":"put","key":"b","value":"y"}',
    '{"process":0,"type":"ok","f":"put","key":"b","value":"y"}',
  ));
  const groups = partitionByKey(operations);
  assert.deepEqual([...groups.keys()], ["a", "b"]);
  assert.equal(groups.get("b")![0].id, 0);
});

Deno.test("events out of time order are refused, naming the event, rather than judged in line order", () => {
  assert.throws(
    () =>
      pairOperations(lines(
        '{"process":0,"type":"invoke","f":"write","value":1,"time":10}',
        '{"process":0,"type":"ok","f":"write","value":1,"time":20}',
        '{"process":1,"type":"invoke","f":"read","value":null,"time":5}',
        '{"process":1,"type":"ok","f":"read","value":1,"time":30}',
      )),
    /event 3: time 5 is before the previous event's time 20; events must be in real-time order/,
  );
  assert.equal(
    pairOperations(lines(
      '{"process":0,"type":"invoke","f":"write","value":1,"time":10}',
      '{"process":1,"type":"invoke","f":"write","value":2,"time":10}',
    )).length,
    2,
    "equal times are in order",
  );
});
