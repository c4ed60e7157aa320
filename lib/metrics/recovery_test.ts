// Proves RTO is the time from a fault's start to the first sliding window of restored
// availability (undefined when service never returns), and RPO finds the acknowledged writes
// missing at the end and the span from each to the next fault.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { recoveryPoint, recoveryTimes } from "./recovery.ts";
import { fault, history, loop, type OperationSpec } from "./_testing.ts";

const second = 1_000_000;

/** A read every 100 ms taking 5 ms from 0 to 6 s; those invoked in [failFromUs, failToUs) fail. */
function reads(failFromUs: number, failToUs: number): OperationSpec[] {
  const options = { process: 0, f: "read", fromUs: 0, toUs: 6 * second, periodUs: 100_000, latencyUs: 5_000 };
  return loop(options, (t) => (t >= failFromUs && t < failToUs ? "fail" : "ok"));
}

Deno.test("a crash during which operations fail for 2 s, then succeed, has an RTO of 2 s", () => {
  const events = history(reads(1 * second, 3 * second), fault("crash", 0, 1 * second, 3 * second));
  assert.deepEqual(recoveryTimes(events), [{
    id: 0,
    kind: "crash",
    targets: ["n1"],
    startUs: 1 * second,
    healUs: 3 * second,
    restoredUs: 3 * second,
    rtoUs: 2 * second,
  }]);
});

Deno.test("a lower availability minimum counts a window that is half recovered as restored", () => {
  const events = history(reads(1 * second, 3 * second), fault("crash", 0, 1 * second, 3 * second));
  // The window [2.5 s, 3.5 s) holds five failures and five successes.
  assert.equal(recoveryTimes(events, { availabilityMin: 0.5 })[0].rtoUs, 1_500_000);
});

Deno.test("a fault that never hurt the service has an RTO of 0, and one it never recovered from has none", () => {
  const events = history(reads(4 * second, 6 * second), [
    ...fault("pause", 0, 500_000, 600_000),
    ...fault("crash", 1, 4 * second),
  ]);
  const [harmless, fatal] = recoveryTimes(events);
  assert.deepEqual([harmless.kind, harmless.rtoUs], ["pause", 0]);
  assert.deepEqual([fatal.kind, fatal.restoredUs, fatal.rtoUs], ["crash", undefined, undefined]);
});

Deno.test("a window of 0 us or an availability above 1 is refused naming the allowed range", () => {
  const events = history(reads(0, 0), fault("crash", 0, second));
  assert.throws(
    () => recoveryTimes(events, { windowUs: 0 }),
    (e) => e instanceof InputError && /windowUs must be at least 1/.test(e.message),
  );
  assert.throws(() => recoveryTimes(events, { availabilityMin: 2 }), /availabilityMin must be between 0 and 1, got 2/);
});

/** Writes of 1 to 5 acknowledged at 100 .. 500 ms; write 6 ends unknown. */
const writes: OperationSpec[] = [1, 2, 3, 4, 5, 6].map((value) => ({
  process: 0,
  f: "write",
  value,
  invokeUs: value * 100_000 - 10_000,
  completeUs: value * 100_000,
  type: value === 6 ? "info" : "ok",
}));

Deno.test("acknowledged writes missing at the end are lost, and RPO is the span from each to the next fault", () => {
  const events = history(writes, [...fault("crash", 0, 350_000, 380_000), ...fault("crash", 1, 900_000, 950_000)]);
  const result = recoveryPoint(events, { present: [1, 3, 5] });
  assert.equal(result.acknowledged, 5);
  assert.deepEqual(result.lostValues, [2, 4]);
  assert.deepEqual(result.lost.map((row) => [row.ackUs, row.faultStartUs, row.gapUs]), [
    [200_000, 350_000, 150_000],
    [400_000, 900_000, 500_000],
  ]);
  assert.equal(result.rpoUs, 500_000);
});

Deno.test("a lost write no fault follows is measured to the end of the history, and nothing lost means RPO 0", () => {
  const events = history(writes, fault("crash", 0, 150_000, 160_000));
  const lost = recoveryPoint(events, { present: [1, 2, 3, 4], endUs: 2 * second });
  assert.deepEqual(lost.lost.map((row) => [row.value, row.faultStartUs, row.gapUs]), [[5, undefined, 1_500_000]]);
  assert.equal(recoveryPoint(events, { present: new Set([1, 2, 3, 4, 5]) }).rpoUs, 0);
});

Deno.test("a lost write whose acknowledgement was in flight when the last fault struck is lost at that fault, with gap 0", () => {
  // Write 5 is invoked at 490 ms and acknowledged at 500 ms; the crash starts at 495 ms.
  const events = history(writes, fault("crash", 0, 495_000, 700_000));
  const result = recoveryPoint(events, { present: [1, 2, 3, 4] });
  assert.deepEqual(result.lost.map((row) => [row.value, row.ackUs, row.faultStartUs, row.gapUs]), [[
    5,
    500_000,
    495_000,
    0,
  ]]);
  assert.equal(result.rpoUs, 0);
});

Deno.test("with keys, the values present are looked up under the write's key", () => {
  const events = history([
    { process: 0, f: "put", key: "a", value: 1, invokeUs: 0, completeUs: 10 },
    { process: 1, f: "put", key: "b", value: 1, invokeUs: 0, completeUs: 20 },
  ], fault("kill", 0, 50));
  const result = recoveryPoint(events, { present: { a: [1], b: [] } });
  assert.deepEqual(result.lost.map((row) => [row.key, row.gapUs]), [["b", 30]]);
});
