// Proves compare-and-set in the store: the CP modes perform it and the linearizability checker
// judges it with the kv-cas model (a cas that found its value and one that did not), a
// leaderless mode refuses it up front naming the modes that can, and the checker tells a cas
// that broke atomicity.
import assert from "node:assert/strict";
import { InputError } from "../../../assert.ts";
import { checkLinearizable, kvCas, pairOperations } from "../../../check/mod.ts";
import type { Op } from "../../../history/mod.ts";
import { Rng } from "../../../sim/mod.ts";
import { HashRing, kvClient, kvSettingsDefaults } from "../mod.ts";
import { kvModesExperiment } from "./modes.ts";

const run = (params: Record<string, unknown>, seed: number) =>
  kvModesExperiment.run({ durationUs: 2_000_000, ...params } as never, seed);

for (const mode of ["linearizable", "lease"]) {
  Deno.test(`kv: ${mode}: cas operations succeed and fail, and the history with them is linearizable under mixed faults`, () => {
    const output = run({ mode, faults: "mixed", casFraction: 0.5, keys: 2 }, 1);
    const failing = output.checks.filter((c) => c.valid !== true);
    assert.deepEqual(failing, []);
    const completions = output.history.events.filter((op) => op.f === "cas" && op.type !== "invoke");
    assert.ok(completions.some((op) => op.type === "ok"), "some cas found its expected value");
    assert.ok(completions.some((op) => op.type === "fail"), "some cas found another value");
  });
}

for (const mode of ["quorum", "one", "session"]) {
  Deno.test(`kv: ${mode}: a cas fraction in a leaderless mode is bad input naming the modes that allow cas`, () => {
    assert.throws(
      () => run({ mode, casFraction: 0.1 }, 1),
      (e: unknown) => e instanceof InputError && /linearizable or lease/.test(e.message) && e.message.includes(mode),
    );
  });
}

Deno.test("kv-cas model: two cas operations that both found the same value are not linearizable", () => {
  const at = (time: number, process: number, type: Op["type"], f: string, value: unknown): Op => ({
    process,
    type,
    f,
    key: "k",
    value,
    time,
  });
  const history: Op[] = [
    at(0, 0, "invoke", "put", "a"),
    at(1, 0, "ok", "put", "a"),
    at(2, 1, "invoke", "cas", ["a", "b"]),
    at(2, 2, "invoke", "cas", ["a", "c"]),
    at(3, 1, "ok", "cas", ["a", "b"]),
    at(3, 2, "ok", "cas", ["a", "c"]),
  ];
  const check = (events: Op[]) => checkLinearizable(pairOperations(events), kvCas, { initial: "" }).valid;
  assert.equal(check(history), false);
  // The second one failing (it found "b") is the linearizable outcome: a failed cas is dropped.
  assert.equal(check(history.with(-1, at(3, 2, "fail", "cas", "b"))), true);
});

Deno.test("kv: a leaderless client fails a cas request at once, naming the modes that allow it, and sends nothing", () => {
  const sent: unknown[] = [];
  const context = {
    id: 0,
    session: 0,
    rng: Rng.fromSeed(1),
    send: (_to: number, message: unknown) => sent.push(message),
    setTimer: () => 0,
    cancelTimer: () => true,
    monotonicUs: () => 0,
    record: () => {},
  };
  const ring = new HashRing({ nodes: [1, 2, 3], virtualNodes: 4 });
  const client = kvClient(context, { ring, settings: kvSettingsDefaults, mode: "one", timeoutUs: 1, attemptsMax: 1 });
  let outcome: unknown;
  client.perform({ f: "cas", key: "k", value: ["", "a"] }, (o) => (outcome = o));
  assert.deepEqual(outcome, {
    type: "fail",
    value: "cas is not supported in mode one; modes that allow it: linearizable, lease",
  });
  assert.deepEqual(sent, []);
});
