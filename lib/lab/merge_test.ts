// Proves a merge counts each cell as the sweep that ran it did: a run that broke an assertion is a
// found bug (a failure, exit 1), bad parameters a cell without a verdict (exit 2), and Faultline's
// own failure one too, of the kind that makes a sweep exit 4.
import assert from "node:assert/strict";
import { rowErrorKind } from "./merge.ts";

Deno.test("merge: an assertion a run broke is a verdict, an InputError bad parameters, anything else internal", () => {
  assert.equal(rowErrorKind({ error: "" }), undefined, "no error");
  assert.equal(rowErrorKind({ error: "AssertionError: two leaders in term 3" }), undefined, "a found bug");
  assert.equal(rowErrorKind({ error: "InputError: replicationFactor 4 is above servers 3" }), "input");
  assert.equal(rowErrorKind({ error: "TypeError: x is undefined" }), "internal");
  assert.equal(rowErrorKind({ error: "worker failed: out of memory" }), "internal");
});
