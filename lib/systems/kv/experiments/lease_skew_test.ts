// Proves the linearizability checker finds the stale reads leader leases give when clocks drift
// past the lease's allowance, on the store's `lease` mode under the `leader-skew` fault package
// (the leader isolated while its clock runs 50% slow and the followers' 50% fast, against a 10%
// allowance), and that the same schedule without skew, or with ReadIndex reads, is linearizable.
import assert from "node:assert/strict";
import { InputError } from "../../../assert.ts";
import { leaderSkewPackage } from "./lease_skew.ts";
import { kvModesExperiment } from "./modes.ts";

/**
 * A stale read needs a reader still at the old leader after a writer reached the new one: the
 * window lies between the new leader's first commit and the end of the old leader's lease (about
 * 245 ms of true time after its last acknowledgement at half speed), while a client stuck on a
 * write at the old leader waits 200 ms before it moves. Readers that rarely write (99% gets) and
 * two keys, so reads and writes meet, put reads in that window (no deletes: the writes are puts). Seed 1 is the first of seeds 1-3
 * whose run shows it at these settings (seeds 2 and 3 do at 95% gets or other durations); the
 * run is deterministic, so the pinned seed keeps showing it.
 */
const skewed = { faults: "leader-skew", readFraction: 0.99, deleteFraction: 0, keys: 2, durationUs: 5_000_000 };
const seed = 1;
const run = (params: Record<string, unknown>) => kvModesExperiment.run({ ...skewed, ...params } as never, seed);
const verdict = (output: ReturnType<typeof run>) => output.checks.find((c) => c.checker === "linearizability (kv)");

Deno.test("kv: lease: the leader isolated with its clock 50% slow and the followers' 50% fast serves stale reads the checker finds", () => {
  const output = run({ mode: "lease", skewPpm: 500_000 });
  const result = verdict(output);
  assert.equal(result?.valid, false, JSON.stringify(output.checks));
  assert.match(String(result?.message), /get "[^"]*" met state/, "the operation no order fits is a read");
  assert.ok(Number(output.figures.terms) >= 2, "a new leader was elected while the old one was cut off");
});

Deno.test("kv: lease: the same schedule without skew is linearizable (the lease runs out before a successor is elected)", () => {
  const output = run({ mode: "lease", skewPpm: 0 });
  assert.equal(verdict(output)?.valid, true, JSON.stringify(output.checks));
  assert.ok(Number(output.figures.terms) >= 2, "the leader was deposed all the same");
});

Deno.test("kv: linearizable: ReadIndex reads stay linearizable under the same skew (they rely on no clock)", () => {
  const output = run({ mode: "linearizable", skewPpm: 500_000 });
  assert.equal(verdict(output)?.valid, true, JSON.stringify(output.checks));
});

Deno.test("kv: the leader-skew package aims at a leader and is bad input in a leaderless mode", () => {
  assert.throws(
    () => run({ mode: "one", skewPpm: 500_000 }),
    (e: unknown) => e instanceof InputError && /mode linearizable or lease/.test(e.message),
  );
  assert.throws(() => leaderSkewPackage(600_000), InputError);
});
