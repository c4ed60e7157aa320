// Proves the session-guarantees checker reports each of Terry et al.'s four guarantees broken by a
// small hand-written history, with the session, the operations and an explanation; lets
// unacknowledged writes bind only what they must; rejects bad input naming the event; and finds
// no violation in random histories of a linearizable last-writer-wins store.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import type { Op } from "../history/history.ts";
import { Rng } from "../sim/rng.ts";
import { checkSessionGuarantees, type SessionGuarantee, type SessionResult } from "./session.ts";
import { ScriptedHistory } from "../history/_script.ts";

/** A scripted history with this checker's functions. */
class Script extends ScriptedHistory {
  write(process: number, key: string | undefined, version: number, type: "ok" | "info" | "fail" = "ok") {
    return this.op(process, "write", key, version, type, version);
  }
  read(process: number, key: string | undefined, version: number | null) {
    return this.op(process, "read", key, null, "ok", version);
  }
}

/** The guarantees broken, with the violation count of each. */
function broken(result: SessionResult): Partial<Record<SessionGuarantee, number>> {
  return Object.fromEntries(
    result.details.guarantees.filter((g) => !g.valid).map((g) => [g.guarantee, g.violationCount]),
  );
}

function only(result: SessionResult, guarantee: SessionGuarantee) {
  const entry = result.details.guarantees.find((g) => g.guarantee === guarantee)!;
  assert.equal(entry.violations.length, 1);
  return entry.violations[0];
}

Deno.test("sessions that read their writes, read monotonically and write after what they read hold every guarantee", () => {
  const events = new Script()
    .write(0, "x", 1).read(0, "x", 1).write(1, "x", 2).read(0, "x", 2).write(0, "x", 3)
    .read(1, "x", 3).read(1, "y", null).write(1, "y", 10).read(0, "y", 10).events;
  const result = checkSessionGuarantees(events);
  assert.equal(result.valid, true);
  assert.deepEqual(broken(result), {});
  assert.deepEqual(result.details.guarantees.map((g) => g.guarantee), [
    "read-your-writes",
    "monotonic-reads",
    "monotonic-writes",
    "writes-follow-reads",
  ]);
  assert.equal(result.message, "all session guarantees hold over 2 session(s), 2 key(s), 5 read(s)");
});

Deno.test("read your writes: a read older than the session's acknowledged write is a violation", () => {
  const events = new Script().write(0, "x", 1).read(1, "x", 1).read(0, "x", null).events;
  const result = checkSessionGuarantees(events);
  assert.equal(result.valid, false);
  assert.deepEqual(broken(result), { "read-your-writes": 1 });
  const v = only(result, "read-your-writes");
  assert.equal(v.session, 0);
  assert.equal(v.key, "x");
  assert.deepEqual(v.operations.map((op) => [op.f, op.callIndex]), [["write", 0], ["read", 4]]);
  assert.equal(
    v.explanation,
    "process 0 wrote x = 1 (event 1), then read x = nothing (event 5), older than its own acknowledged write",
  );
});

Deno.test("read your writes: an unacknowledged write binds no later read, even one seen by others", () => {
  const events = new Script().write(0, "x", 1, "info").read(1, "x", 1).read(0, "x", null).events;
  assert.deepEqual(broken(checkSessionGuarantees(events)), {});
});

Deno.test("monotonic reads: a read older than an earlier read of the session is a violation", () => {
  const events = new Script().write(1, "x", 1).write(1, "x", 2).read(0, "x", 2).read(0, "x", 1).events;
  const result = checkSessionGuarantees(events);
  assert.deepEqual(broken(result), { "monotonic-reads": 1 });
  const v = only(result, "monotonic-reads");
  assert.deepEqual(v.operations.map((op) => op.output), [2, 1]);
  assert.equal(v.explanation, "process 0 read x = 2 (event 5), then read x = 1 (event 7), an older version");
});

Deno.test("monotonic reads: another session's or another key's older read is no violation", () => {
  const events = new Script().write(2, "x", 1).write(2, "x", 2).write(2, "y", 1)
    .read(0, "x", 2).read(1, "x", 1).read(0, "y", 1).events;
  assert.deepEqual(broken(checkSessionGuarantees(events)), {});
});

Deno.test("monotonic writes: a later write the version order puts first is a violation", () => {
  const result = checkSessionGuarantees(new Script().write(0, "x", 5).write(0, "x", 3).events);
  assert.deepEqual(broken(result), { "monotonic-writes": 1 });
  assert.equal(
    only(result, "monotonic-writes").explanation,
    "process 0 wrote x = 5 (event 1), then wrote x = 3 (event 3), which the version order puts first",
  );
});

Deno.test("monotonic writes: an unacknowledged write counts once some read shows it happened", () => {
  const unseen = new Script().write(0, "x", 5).write(0, "x", 3, "info").events;
  assert.deepEqual(broken(checkSessionGuarantees(unseen)), {});
  const seen = new Script().write(0, "x", 5).write(0, "x", 3, "info").read(1, "x", 3).events;
  assert.deepEqual(broken(checkSessionGuarantees(seen)), { "monotonic-writes": 1 });
  const failed = new Script().write(0, "x", 5).write(0, "x", 3, "fail").events;
  assert.deepEqual(broken(checkSessionGuarantees(failed)), {});
});

Deno.test("writes follow reads: a write the version order puts before what the session read is a violation", () => {
  // A client with a slow clock reads another client's write, then timestamps its own write earlier.
  const events = new Script().write(1, "x", 100).read(0, "x", 100).write(0, "x", 90).events;
  const result = checkSessionGuarantees(events);
  assert.equal(result.valid, false);
  assert.deepEqual(broken(result), { "writes-follow-reads": 1 });
  const v = only(result, "writes-follow-reads");
  assert.equal(v.session, 0);
  assert.deepEqual(v.operations.map((op) => [op.process, op.f, op.callIndex]), [
    [1, "write", 0],
    [0, "read", 2],
    [0, "write", 4],
  ]);
  assert.equal(
    v.explanation,
    "process 0 read x = 100 (event 3), then wrote x = 90 (event 5), which the version order puts before the write it read",
  );
});

Deno.test("only the required guarantees fail the check; the others are still reported", () => {
  const events = new Script().write(1, "x", 1).write(1, "x", 2).read(0, "x", 2).read(0, "x", 1).events;
  const result = checkSessionGuarantees(events, { guarantees: ["read-your-writes"] });
  assert.equal(result.valid, true);
  assert.deepEqual(broken(result), { "monotonic-reads": 1 });
  assert.match(result.message, /monotonic-reads: 1 violation\(s\) \(not required\)/);
});

Deno.test("a read of a version no write carries fails the check on its own", () => {
  const events = new Script().write(0, "x", 1, "fail").read(1, "x", 1).read(1, "x", 7).events;
  const result = checkSessionGuarantees(events);
  assert.equal(result.valid, false);
  assert.deepEqual(broken(result), {});
  assert.equal(result.details.unwrittenReadCount, 2);
  assert.deepEqual(result.details.unwrittenReads.map((r) => r.output), [1, 7]);
  assert.match(result.message, /2 read\(s\) of unwritten versions/);
});

Deno.test("a history without keys is one register", () => {
  const result = checkSessionGuarantees(new Script().write(0, undefined, 1).read(0, undefined, null).events);
  assert.equal(only(result, "read-your-writes").explanation.includes("the register = 1"), true);
});

Deno.test("every violation is counted but only violationsPerGuaranteeMax are kept", () => {
  const script = new Script().write(0, "x", 100);
  for (let i = 0; i < 5; i++) script.read(0, "x", null);
  const result = checkSessionGuarantees(script.events, { violationsPerGuaranteeMax: 2 });
  const ryw = result.details.guarantees[0];
  assert.equal(ryw.violationCount, 5);
  assert.equal(ryw.violations.length, 2);
});

Deno.test("bad input is rejected naming the event and what is allowed", () => {
  const bad = (events: Op[], message: string) =>
    assert.throws(() => checkSessionGuarantees(events), InputError, message);
  bad(new Script().write(0, "x", 1).events.map((e) => ({ ...e, f: "put" })), 'unknown f "put"; allowed: read, write');
  bad(
    [{ process: 0, type: "invoke", f: "write", key: "x", value: { version: 1 }, time: 0 }],
    'event 1 (process 0, invoke write): a write\'s value must be its version, a safe integer, got {"version":1}',
  );
  bad(
    [
      { process: 0, type: "invoke", f: "read", key: "x", value: null, time: 0 },
      { process: 0, type: "ok", f: "read", key: "x", value: "1", time: 1 },
    ],
    'event 2 (process 0, ok read): an ok read\'s value must be the version read (a safe integer) or null, got "1"',
  );
  bad(
    new Script().write(0, "x", 1).write(1, "x", 1, "info").events,
    'event 3 (process 1, invoke write): version 1 of key "x" was already written at event 1',
  );
  assert.throws(() => checkSessionGuarantees([], { guarantees: ["causal" as SessionGuarantee] }), InputError);
  assert.throws(() => checkSessionGuarantees([], { violationsPerGuaranteeMax: 0 }), InputError);
});

/**
 * A linearizable last-writer-wins store: each operation takes effect at one instant inside its
 * interval; a write's version comes from a global counter at invocation, and the store keeps the
 * highest version per key. Such a store gives every session guarantee, whatever the interleaving.
 */
function linearizableLww(rng: Rng): Op[] {
  const processes = rng.int(1, 4);
  const keys = ["x", "y"].slice(0, rng.int(1, 2));
  const store = new Map<string, number>();
  const open = new Map<number, { op: Op; applied: boolean; output: unknown }>();
  const events: Op[] = [];
  let counter = 0;
  const steps = rng.int(5, 100);
  for (let step = 0; step < steps; step++) {
    const process = rng.int(0, processes - 1);
    const pending = open.get(process);
    if (pending === undefined) {
      const f = rng.bernoulli(0.5) ? "write" : "read";
      const op: Op = {
        process,
        type: "invoke",
        f,
        key: rng.pick(keys),
        value: f === "write" ? ++counter : null,
        time: 0,
      };
      open.set(process, { op, applied: false, output: null });
      events.push({ ...op, time: events.length });
    } else if (!pending.applied) {
      const key = pending.op.key!;
      if (pending.op.f === "write") store.set(key, Math.max(store.get(key) ?? 0, pending.op.value as number));
      pending.output = pending.op.f === "write" ? pending.op.value : store.get(key) ?? null;
      pending.applied = true;
    } else {
      open.delete(process);
      const type = pending.op.f === "write" && rng.bernoulli(0.2) ? "info" : "ok";
      events.push({ ...pending.op, type, value: pending.output, time: events.length });
    }
  }
  return events;
}

Deno.test("random histories of a linearizable last-writer-wins store hold every session guarantee", () => {
  for (let seed = 0; seed < 300; seed++) {
    const result = checkSessionGuarantees(linearizableLww(Rng.fromSeed(seed).fork("session")));
    assert.equal(result.valid, true, `seed ${seed}: ${result.message}`);
    assert.deepEqual(broken(result), {}, `seed ${seed}`);
  }
});
