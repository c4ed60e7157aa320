// The append-order check on hand-made get/append histories: which reads it accepts, which it
// refuses and what its counterexample says. Its agreement with the general search on thousands of
// random histories is in hard_histories_test.ts.
import assert from "node:assert/strict";
import type { Op } from "../history/history.ts";
import { checkAppendOrder } from "./append_order.ts";
import { pairOperations } from "./operations.ts";

/** `[process, f, value]` steps: an invoke, or the completion of that process's open operation. */
type Step = [process: number, type: "invoke" | "ok" | "info", f: "get" | "append", value: string | null];

function history(steps: Step[]): Op[] {
  return steps.map(([process, type, f, value], time) => ({ process, type, f, value, key: "k", time }));
}

function check(steps: Step[], initial = "") {
  return checkAppendOrder(pairOperations(history(steps)), initial);
}

/** Appends `values` one after another by process 0, each acknowledged before the next. */
function sequentialAppends(values: string[]): Step[] {
  return values.flatMap((v): Step[] => [[0, "invoke", "append", v], [0, "ok", "append", v]]);
}

Deno.test("reads of every state the appends made, each as its own string, are linearizable", () => {
  const values = Array.from({ length: 50 }, (_, i) => `0:${i};`);
  const steps: Step[] = [];
  values.forEach((value, n) => {
    // Each read's text is built anew, so no two reads share a string with the appends or each other.
    const state = [...values.slice(0, n).join("")].join("");
    steps.push([1, "invoke", "get", null], [1, "ok", "get", state], [2, "invoke", "get", null]);
    steps.push([2, "ok", "get", state], ...sequentialAppends([value]));
  });
  steps.push([1, "invoke", "get", null], [1, "ok", "get", values.join("")]);
  assert.deepEqual(check(steps), { valid: true });
});

Deno.test("a read that is not a prefix of a later read is refused, though its length is a state's", () => {
  // The longest read says 1:0 came first; the earlier read, as long as "1:0;", claims 0:0 did.
  const result = check([
    [0, "invoke", "append", "0:0;"],
    [1, "invoke", "append", "1:0;"],
    [0, "ok", "append", "0:0;"],
    [1, "ok", "append", "1:0;"],
    [2, "invoke", "get", null],
    [2, "ok", "get", "0:0;"],
    [2, "invoke", "get", null],
    [2, "ok", "get", "1:0;0:0;"],
  ]);
  assert.equal(result?.valid, false);
  if (result?.valid !== false) return;
  assert.equal(result.stuck.output, "0:0;");
  assert.equal(result.stateAtStuck, '""', "the read shares no append with the order the longest read spells");
});

Deno.test("a read that differs from a state only in the middle is refused at the part they share", () => {
  const values = ["0:0;", "0:1;", "0:2;", "0:3;"];
  const result = check([
    ...sequentialAppends(values),
    [1, "invoke", "get", null],
    [1, "ok", "get", "0:0;0:1;0:2;0:3;"],
    [1, "invoke", "get", null],
    [1, "ok", "get", "0:0;0:9;0:2;0:3;"],
  ]);
  assert.equal(result?.valid, false);
  if (result?.valid !== false) return;
  assert.equal(result.stuck.output, "0:0;0:9;0:2;0:3;");
  assert.equal(result.stateAtStuck, '"0:0;"');
});

Deno.test("a read missing an acknowledged append is refused, though a later read holds it", () => {
  const result = check([
    [0, "invoke", "append", "0:0;"],
    [0, "ok", "append", "0:0;"],
    [0, "invoke", "append", "0:1;"],
    [0, "ok", "append", "0:1;"],
    // Called after 0:1 was acknowledged, yet it sees only 0:0.
    [1, "invoke", "get", null],
    [1, "ok", "get", "0:0;"],
    [1, "invoke", "get", null],
    [1, "ok", "get", "0:0;0:1;"],
  ]);
  assert.equal(result?.valid, false);
  if (result?.valid !== false) return;
  // The read of "0:0;" must come before 0:1 takes effect, which is acknowledged before the read.
  assert.equal(result.stuck.input, "0:1;");
  assert.equal(result.stateAtStuck, '"0:0;"');
});

Deno.test("an acknowledged append no read saw must still fit after every read of a state without it", () => {
  const result = check([
    [0, "invoke", "append", "0:0;"],
    [0, "ok", "append", "0:0;"],
    [1, "invoke", "get", null],
    [1, "ok", "get", ""],
  ]);
  assert.equal(result?.valid, false);
  if (result?.valid !== false) return;
  assert.equal(result.stuck.input, "0:0;");
  assert.equal(result.stateAtStuck, '""');
});

Deno.test("an append whose outcome is unknown may appear in a read or not at all", () => {
  const steps: Step[] = [
    [0, "invoke", "append", "0:0;"],
    [0, "info", "append", "0:0;"],
    [1, "invoke", "append", "1:0;"],
    [1, "info", "append", "1:0;"],
    [2, "invoke", "get", null],
    [2, "ok", "get", "1:0;"],
  ];
  assert.deepEqual(check(steps), { valid: true });
});

Deno.test("a read that does not start with the initial value, or has a part no append wrote, is refused", () => {
  const appended = sequentialAppends(["0:0;"]);
  const wrongStart = check([...appended, [1, "invoke", "get", null], [1, "ok", "get", "y0:0;"]], "x");
  assert.equal(wrongStart?.valid, false);
  const unknownPart = check([...appended, [1, "invoke", "get", null], [1, "ok", "get", "0:0;7:7;"]]);
  assert.equal(unknownPart?.valid, false);
  if (unknownPart?.valid !== false) return;
  assert.equal(unknownPart.stateAtStuck, '"0:0;"');
});

Deno.test("keys it cannot decide are left to the search: a repeated value, a value that is a prefix of another", () => {
  assert.equal(check(sequentialAppends(["a;", "a;"])), undefined);
  assert.equal(check(sequentialAppends(["a", "ab"])), undefined);
});
