// Proves how events become transactions: invocations pair with completions by process, reads of
// transactions that did not commit are unknown, the history may end with a transaction open,
// nemesis events are skipped, and broken protocol is refused naming the event.
import assert from "node:assert/strict";
import { InputError } from "../../assert.ts";
import type { Op } from "../../history/history.ts";
import { parseTransactions } from "./transactions.ts";

const event = (process: number | "nemesis", type: Op["type"], value: unknown, f = "txn"): Op => ({
  process,
  type,
  f,
  value,
  time: 0,
});

Deno.test("invocations pair with completions by process, in order of invocation", () => {
  const txns = parseTransactions([
    event(0, "invoke", [["r", "x", null]]),
    event(1, "invoke", [["append", "x", 1]]),
    event("nemesis", "info", { kill: [1] }, "kill"),
    event(1, "ok", [["append", "x", 1]]),
    event(0, "ok", [["r", "x", [1]]]),
    event(1, "invoke", [["append", "y", 2], ["r", "y", null]]),
  ], "list-append");
  assert.deepEqual(txns.map((t) => [t.name, t.process, t.outcome, t.invokeIndex, t.completeIndex]), [
    ["T1", 0, "ok", 0, 4],
    ["T2", 1, "ok", 1, 3],
    ["T3", 1, "info", 5, undefined],
  ]);
  assert.deepEqual(txns[0].ops, [{ f: "r", key: "x", value: [1] }]);
});

Deno.test("a failed or info transaction keeps its writes and forgets its reads", () => {
  const txns = parseTransactions([
    event(0, "invoke", [["w", "x", 1], ["r", "y", null]]),
    event(0, "fail", [["w", "x", 1], ["r", "y", 7]]),
    event(1, "invoke", [["r", "y", null]]),
    event(1, "info", [["r", "y", 3]]),
  ], "rw-register");
  assert.deepEqual(txns.map((t) => t.ops), [
    [{ f: "w", key: "x", value: 1 }, { f: "r", key: "y", value: null }],
    [{ f: "r", key: "y", value: null }],
  ]);
});

Deno.test("broken protocol is refused naming the event", () => {
  const refuse = (events: Op[], pattern: RegExp) =>
    assert.throws(
      () => parseTransactions(events, "list-append"),
      (e: Error) => e instanceof InputError && pattern.test(e.message),
    );
  refuse([event(0, "ok", [])], /^event 1 \(process 0, ok\): completes a txn it never invoked/);
  refuse([event(0, "invoke", []), event(0, "invoke", [])], /^event 2 .* while its txn of event 1 is open/);
  refuse([event(0, "invoke", [["r", "x", [1]]])], /an invocation's read must be null/);
  refuse([event(0, "invoke", [["r", "x", null]]), event(0, "ok", [["r", "x", 5]])], /a read must be a list/);
  refuse(
    [event(0, "invoke", [["r", "x", null]]), event(0, "ok", [])],
    /the completion has 0 micro-ops but its invocation/,
  );
});
