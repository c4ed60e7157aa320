// Proves no-resurrected-deletes flags a read of a value an acknowledged delete had replaced
// (directly, or through the write that value's writer had seen), and nothing else: not a read
// before the delete was acknowledged, nor a value the deleter had never seen.
import assert from "node:assert/strict";
import type { Op } from "../../../history/mod.ts";
import { resurrectedDeletes } from "./resurrection.ts";

let time = 0;
const op = (process: number, f: string, value: unknown, result: unknown = value): Op[] => [
  { process, type: "invoke", f, key: "k", value: f === "get" ? null : value, time: time++ },
  { process, type: "ok", f, key: "k", value: result, time: time++ },
];

Deno.test("resurrection: a read of the value the deleter had read, after the delete was acknowledged, is flagged", () => {
  const events = [
    ...op(1, "put", "a"),
    ...op(2, "get", null, "a"),
    ...op(2, "delete", null),
    ...op(3, "get", null, "a"),
  ];
  const found = resurrectedDeletes(events, { reads: "all" });
  assert.deepEqual(found.map((r) => [r.value, r.readProcess, r.deleteProcess]), [["a", 3, 2]]);
  assert.deepEqual(resurrectedDeletes(events, { reads: "final" }), [], "no final read among them");
});

Deno.test("resurrection: a value the deleter's last-seen write had itself replaced is flagged too", () => {
  const events = [
    ...op(1, "put", "a"),
    ...op(2, "get", null, "a"),
    ...op(2, "put", "b"),
    ...op(2, "delete", null),
    ...op(3, "get", null, "a"),
  ];
  assert.deepEqual(resurrectedDeletes(events, { reads: "all" }).map((r) => r.value), ["a"]);
});

Deno.test("resurrection: a value the deleter never saw, or a read before the delete, is not flagged", () => {
  const events = [
    ...op(1, "put", "a"),
    ...op(3, "get", null, "a"),
    ...op(2, "delete", null),
    ...op(1, "put", "c"),
    ...op(4, "get", null, "c"),
  ];
  assert.deepEqual(resurrectedDeletes(events, { reads: "all" }), []);
});
