// The hybrid logical clock orders causally related events whatever the wall clocks say.
import assert from "node:assert/strict";
import { compareTimestamps, Hlc } from "./hlc.ts";

Deno.test("hlc: a timestamp taken after receiving one follows it, even on a clock far behind", () => {
  const fast = new Hlc();
  const slow = new Hlc();
  const sent = fast.now(10_000_000);
  slow.receive(sent);
  const after = slow.now(2_000_000);
  assert.ok(compareTimestamps(after, sent) > 0);
  assert.equal(after.wallUs, 10_000_000, "the physical part is the largest seen");
  assert.equal(after.logical, 1);
});

Deno.test("hlc: timestamps of one node grow strictly, and follow the wall clock once it passes them", () => {
  const clock = new Hlc();
  const a = clock.now(100);
  const b = clock.now(100);
  const c = clock.now(99);
  const d = clock.now(500);
  assert.ok(compareTimestamps(b, a) > 0 && compareTimestamps(c, b) > 0 && compareTimestamps(d, c) > 0);
  assert.deepEqual(d, { wallUs: 500, logical: 0 });
});
