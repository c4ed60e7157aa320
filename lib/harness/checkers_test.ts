// The lost-session-writes checker: a key ending with a session's write that the same session later
// overwrote (acknowledged) lost that later write; other sessions' writes are not its business.
import assert from "node:assert/strict";
import type { Op } from "../history/mod.ts";
import { sessionWritesKept } from "./checkers.ts";
import { elementsOf } from "./workload.ts";

let time = 0;
const op = (process: number, type: Op["type"], f: string, value: unknown): Op => ({
  process,
  type,
  f,
  key: "k",
  value,
  time: time++,
});
const write = (
  process: number,
  value: string,
): Op[] => [op(process, "invoke", "put", value), op(process, "ok", "put", value)];

const judge = (events: Op[], finalValue: string) =>
  sessionWritesKept().check({
    events,
    finalValues: new Map([["k", finalValue]]),
    durableValues: undefined,
    elements: elementsOf,
  });

Deno.test("lost-session-writes: a key ending with a session's earlier write lost its later one", () => {
  const events = [...write(1, "1:a"), ...write(1, "1:b")];
  const result = judge(events, "1:a");
  assert.equal(result.valid, false);
  assert.match(result.message, /key k ends with "1:a", but process 1 later wrote "1:b"/);
  assert.equal(judge(events, "1:b").valid, true);
});

Deno.test("lost-session-writes: another session's later write, or a concurrent one, is not judged", () => {
  assert.equal(judge([...write(1, "1:a"), ...write(2, "2:a")], "1:a").valid, true);
  // Another session overwrote concurrently: last-writer-wins may keep either.
  const overlapping = [
    op(1, "invoke", "put", "1:a"),
    op(2, "invoke", "put", "2:a"),
    op(1, "ok", "put", "1:a"),
    op(2, "ok", "put", "2:a"),
  ];
  assert.equal(judge(overlapping, "1:a").valid, true);
  assert.equal(
    sessionWritesKept().check({ events: [], finalValues: undefined, durableValues: undefined, elements: elementsOf })
      .valid,
    "unknown",
  );
});
