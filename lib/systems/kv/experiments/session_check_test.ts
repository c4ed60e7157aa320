// Proves the session guarantees are checked from the versions the store's clients record in the
// history: `session` mode keeps read-your-writes and monotonic reads under partitions (its check
// passes), `one` mode, which reads any one replica, breaks them and the same checker says so, and
// the history's versions alone decide (a read of an older version after a session's own write is
// caught, whatever the client believed).
import assert from "node:assert/strict";
import type { Op } from "../../../history/mod.ts";
import { kvModesExperiment } from "./modes.ts";
import { checkStoreSessions, sessionHistory } from "./session_check.ts";

const run = (params: Record<string, unknown>, seed: number) =>
  kvModesExperiment.run({ durationUs: 3_000_000, faults: "partitions", ...params } as never, seed);

Deno.test("kv: session: read-your-writes and monotonic reads are a check, and hold under partitions (seeds 1-3)", () => {
  for (const seed of [1, 2, 3]) {
    const output = run({ mode: "session" }, seed);
    const check = output.checks.find((c) => c.checker === "session-guarantees");
    assert.equal(check?.valid, true, `seed ${seed}: ${check?.message}`);
  }
});

Deno.test("kv: one: the same session checker finds reads older than the session's own writes under partitions", () => {
  for (const seed of [1, 2]) {
    const output = run({ mode: "one" }, seed);
    assert.equal(output.figures.sessionGuarantees, "false", `seed ${seed}: measured, not a check`);
    assert.ok(!output.checks.some((c) => c.checker === "session-guarantees"), "one mode does not promise them");
    const result = checkStoreSessions(output.history.events);
    assert.ok(result.details.guarantees.find((g) => g.guarantee === "read-your-writes")!.violationCount > 0);
  }
});

const op = (process: number, type: Op["type"], f: string, value: unknown, time: number, version?: number): Op => ({
  process,
  type,
  f,
  key: "k",
  value,
  time,
  ...(version === undefined ? {} : { version }),
});

Deno.test("session check: versions come from the history: a session reading an older version after its own write is caught", () => {
  const history = [
    op(1, "invoke", "put", "1:0", 0),
    op(1, "ok", "put", "1:0", 1, 100),
    op(2, "invoke", "put", "2:0", 2),
    op(2, "ok", "put", "2:0", 3, 200),
    op(2, "invoke", "get", null, 4),
    op(2, "ok", "get", "1:0", 5, 100),
  ];
  const result = checkStoreSessions(history);
  assert.equal(result.valid, false);
  assert.match(result.message ?? "", /read-your-writes: 1 violation/);
  // Reading the newer write instead keeps the guarantee.
  assert.equal(checkStoreSessions(history.with(-1, op(2, "ok", "get", "2:0", 5, 200))).valid, true);
  assert.deepEqual(sessionHistory(history).map((o) => `${o.f}=${o.value}`), [
    "write=0",
    "write=0",
    "write=1",
    "write=1",
    "read=null",
    "read=0",
  ]);
});

Deno.test("session check: a delete is named by its version, so reading the value it deleted after it is caught", () => {
  const history = [
    op(1, "invoke", "put", "1:0", 0),
    op(1, "ok", "put", "1:0", 1, 100),
    op(1, "invoke", "delete", null, 2),
    op(1, "ok", "delete", null, 3, 200),
    op(1, "invoke", "get", null, 4),
    op(1, "ok", "get", "", 5, 200),
  ];
  assert.equal(checkStoreSessions(history).valid, true, "reading its own delete keeps the guarantee");
  const resurrected = history.with(-1, op(1, "ok", "get", "1:0", 5, 100));
  assert.match(checkStoreSessions(resurrected).message ?? "", /read-your-writes: 1 violation/);
  // A read of a key never written (version 0) is of no write, not of the delete.
  assert.deepEqual(
    sessionHistory([op(3, "invoke", "get", null, 0), op(3, "ok", "get", "", 1, 0)]).map((o) => o.value),
    [
      null,
      null,
    ],
  );
});
