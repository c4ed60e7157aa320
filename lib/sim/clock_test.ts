// Proves node clocks skew, drift and jump as configured, that timers follow the drifting monotonic clock, and
// that jumps move only the wall clock.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { Clock } from "./clock.ts";
import { Simulation } from "./simulation.ts";
import type { NodeApi } from "./types.ts";

/** One started node whose timer firings (true time) are recorded. */
function clockNode(): { sim: Simulation; id: number; api: NodeApi; firedAtUs: Map<unknown, number> } {
  const sim = new Simulation({ seed: 1 });
  let captured: NodeApi | undefined;
  const firedAtUs = new Map<unknown, number>();
  const id = sim.addNode({
    create: (api) => {
      captured = api;
      return { onMessage: () => {}, onTimer: (tag) => firedAtUs.set(tag, sim.nowUs) };
    },
  });
  sim.run();
  return { sim, id, api: captured!, firedAtUs };
}

Deno.test("a clock offset set through sim.clock() shows in the node's now() but not in its monotonic clock", () => {
  const { sim, id, api } = clockNode();
  sim.runFor(1000);
  sim.clock(id).setOffset(5000);
  assert.equal(api.now(), 6000);
  assert.equal(api.monotonicUs(), 1000);
  sim.runFor(1000);
  assert.equal(api.now(), 7000, "an offset without drift stays constant");
  sim.clock(id).setOffset(-500);
  assert.equal(api.now(), 1500);
  assert.equal(sim.clock(id).wallUs(), 1500);
});

Deno.test("a clock running fast fires timers early in true time, and a slow clock fires them late", () => {
  const fast = clockNode();
  fast.sim.clock(fast.id).setDriftPpm(100_000); // 10% fast
  fast.api.setTimer(100_000, "fast");
  fast.sim.run();
  assert.equal(fast.firedAtUs.get("fast"), Math.ceil(100_000 / 1.1));
  assert.ok(fast.api.monotonicUs() >= 100_000, "the node's own clock has reached the deadline when the timer fires");

  const slow = clockNode();
  slow.sim.clock(slow.id).setDriftPpm(-100_000); // 10% slow
  slow.api.setTimer(100_000, "slow");
  slow.sim.run();
  assert.equal(slow.firedAtUs.get("slow"), Math.ceil(100_000 / 0.9));

  const perfect = clockNode();
  perfect.api.setTimer(100_000, "perfect");
  perfect.sim.run();
  assert.equal(perfect.firedAtUs.get("perfect"), 100_000);
});

Deno.test("drift accumulates in both the wall clock and the monotonic clock", () => {
  const { sim, id, api } = clockNode();
  sim.clock(id).setDriftPpm(1000); // 1 ms per second fast
  sim.runFor(2_000_000);
  // Readings are floored from a floating-point rate, so they may fall 1 us short of the exact value.
  const near = (actual: number, expected: number) =>
    assert.ok(actual <= expected && actual >= expected - 1, `${actual}`);
  near(api.now(), 2_002_000);
  near(api.monotonicUs(), 2_002_000);
  sim.clock(id).setDriftPpm(0); // readings before the change are kept
  sim.runFor(1_000_000);
  near(api.now(), 3_002_000);
});

Deno.test("a clock jump moves the wall clock but not the monotonic clock or pending timers", () => {
  const { sim, id, api, firedAtUs } = clockNode();
  api.setTimer(10_000, "timer");
  sim.runFor(1000);
  sim.clock(id).jump(60_000_000);
  assert.equal(api.now(), 60_001_000);
  assert.equal(api.monotonicUs(), 1000);
  sim.clock(id).jump(-120_000_000); // backwards too
  assert.equal(api.now(), 1000 - 60_000_000);
  assert.equal(api.monotonicUs(), 1000);
  sim.run();
  assert.equal(firedAtUs.get("timer"), 10_000);
});

Deno.test("reset returns a clock to true time while its monotonic reading carries on", () => {
  const { sim, id, api } = clockNode();
  sim.clock(id).setDriftPpm(500_000);
  sim.runFor(1000);
  sim.clock(id).jump(777);
  sim.clock(id).reset();
  assert.equal(api.now(), 1000);
  assert.equal(api.monotonicUs(), 1500);
  sim.runFor(1000);
  assert.equal(api.now(), 2000);
  assert.equal(api.monotonicUs(), 2500);
});

Deno.test("a Clock converts local delays to true delays without firing early", () => {
  const clock = new Clock();
  assert.equal(clock.trueDelayUs(1000), 1000);
  clock.setDriftPpm(0, 300_000);
  assert.equal(clock.driftPpm.toFixed(6), "300000.000000");
  const trueUs = clock.trueDelayUs(1000);
  assert.equal(trueUs, Math.ceil(1000 / 1.3));
  assert.ok(clock.monotonicUs(trueUs) >= 1000);
  assert.equal(clock.offsetUs(1_000_000), 300_000);
});

Deno.test("drift beyond the allowed range and fractional offsets are rejected", () => {
  const { sim, id } = clockNode();
  assert.throws(
    () => sim.clock(id).setDriftPpm(600_000),
    (e: Error) => e instanceof InputError && /driftPpm/.test(e.message),
  );
  assert.throws(() => sim.clock(id).setOffset(1.5), InputError);
  assert.throws(() => sim.clock(id).jump(NaN), InputError);
});

Deno.test("nodeStats counts now() readings only while the clock is offset or drifting, and monotonic ones only while drifting", () => {
  const { sim, id, api } = clockNode();
  const skewedReads = () => sim.nodeStats(id).clockReadsSkewed;
  api.now();
  api.monotonicUs();
  assert.equal(skewedReads(), 0, "a perfect clock");

  sim.clock(id).setOffset(5000);
  api.now();
  api.now();
  assert.equal(skewedReads(), 2);
  api.monotonicUs();
  assert.equal(skewedReads(), 2, "an offset does not skew the monotonic clock");
  sim.clock(id).wallUs();
  assert.equal(skewedReads(), 2, "kernel-side readings are not the node's");

  sim.clock(id).reset();
  sim.clock(id).setDriftPpm(1000);
  sim.runFor(1000);
  api.now();
  api.monotonicUs();
  assert.equal(skewedReads(), 4, "drift skews both clocks");

  sim.clock(id).reset();
  sim.runFor(1000);
  api.now();
  api.monotonicUs();
  assert.equal(skewedReads(), 4, "a reset clock no longer counts");
  sim.clock(id).jump(100);
  sim.clock(id).jump(-100);
  api.now();
  assert.equal(skewedReads(), 4, "jumps that cancel out leave the clock true");
});
