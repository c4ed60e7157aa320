// Proves the lost-committed-writes check names acknowledged appends missing from the final state,
// ignores appends that were never acknowledged, and says unknown when no final state is known.
import assert from "node:assert/strict";
import type { Op } from "../../history/history.ts";
import { checkLostWrites } from "./lost_writes.ts";

const op = (type: Op["type"], value: string, time: number, f = "append"): Op => ({
  process: 1,
  type,
  f,
  key: "k",
  value,
  time,
});

Deno.test("lost writes: an acknowledged append missing from the final state is named", () => {
  const events = [op("ok", "1.1;", 10), op("ok", "1.2;", 20), op("info", "1.3;", 30)];
  const result = checkLostWrites(events, new Map([["k", "1.1;"]]));
  assert.equal(result.valid, false);
  assert.match(result.message, /1 of 2 acknowledged appends are missing.*"1.2;" on key k/);
});

Deno.test("lost writes: unacknowledged appends may or may not be there; acknowledged ones all are", () => {
  const events = [op("ok", "1.1;", 10), op("info", "1.3;", 30), op("ok", "x", 40, "put")];
  assert.equal(checkLostWrites(events, new Map([["k", "1.1;"]])).valid, true);
  assert.equal(checkLostWrites(events, new Map([["k", "1.1;1.3;"]])).valid, true);
});

Deno.test("lost writes: without a server known to hold every commit, the verdict is unknown", () => {
  assert.equal(checkLostWrites([op("ok", "1.1;", 10)], undefined).valid, "unknown");
});
