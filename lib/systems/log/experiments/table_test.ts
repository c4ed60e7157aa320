// The table check on small histories: the reader's rebuilt table against the producers' last
// acknowledged writes, a tombstone the reader missed, and the keys it cannot judge.
import assert from "node:assert/strict";
import type { Op } from "../../../sim/mod.ts";
import { checkTable } from "./table.ts";

let time = 0;
function op(process: number, type: Op["type"], f: string, value: unknown, key = "p0"): Op {
  return { process, type, f, key, value, time: time++ };
}
function send(process: number, key: string, value: string | null, outcome: Op["type"], offset?: number): Op[] {
  return [op(process, "invoke", "send", { key, value }), op(process, outcome, "send", offset)];
}
function read(values: unknown[]): Op[] {
  return [op(9, "invoke", "poll", null), op(9, "ok", "poll", values)];
}

Deno.test("a reader that saw every last write, tombstones included, passes", () => {
  const events = [
    ...send(1, "a", "1", "ok", 0),
    ...send(1, "a", null, "ok", 1),
    ...send(2, "b", "2", "ok", 2),
    ...read([{ offset: 0, key: "a", value: "1" }, { offset: 1, key: "a", value: null }, {
      offset: 2,
      key: "b",
      value: "2",
    }]),
  ];
  assert.equal(checkTable(events).valid, true);
});

Deno.test("a reader that missed a key's tombstone keeps the deleted key and fails", () => {
  const events = [
    ...send(1, "a", "1", "ok", 0),
    ...send(1, "a", null, "ok", 1),
    ...read([{ offset: 0, key: "a", value: "1" }]),
  ];
  const result = checkTable(events);
  assert.equal(result.valid, false);
  assert.match(result.message, /p0\/a: read "1", last written null at 1/);
});

Deno.test("keys with a send of unknown outcome, or whose last write retention skipped, are not judged", () => {
  const events = [
    ...send(1, "a", "1", "ok", 0),
    ...send(1, "a", "2", "info"),
    ...send(2, "b", "1", "ok", 1),
    ...send(2, "b", null, "ok", 2),
    ...read([{ offset: 0, key: "b", value: "1" }, { skipped: [1, 3] }]),
  ];
  const result = checkTable(events);
  assert.equal(result.valid, true);
  assert.equal(result.details!.keysJudged, 0);
});
