// Proves each clock fault kind, run by the nemesis from a schedule on the probe cluster, moves its
// targets' wall clocks exactly as described during its window (timers following the monotonic
// clock), leaves the other nodes on true time, and puts the clocks back on true time at the heal.
import assert from "node:assert/strict";
import type { FaultSpec } from "./types.ts";
import { type ProbeCluster, probeCluster, strike } from "./_probe_cluster.ts";

// Off the 10 ms tick grid, so no reading shares an instant with a start or heal.
const startUs = 105_000;
const durationUs = 200_000;
const endUs = startUs + durationUs;

/** Runs one clock fault on n2 and returns the probe after the run. */
function runClockFault(fault: Omit<FaultSpec, "targets" | "durationUs">, window = durationUs) {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: startUs,
    fault: { ...fault, targets: { nodes: ["n2"] }, durationUs: window } as FaultSpec,
  }]);
  probe.sim.run({ untilUs: nemesis.endUs });
  return { probe, coverage: nemesis.coverage().faults[0] };
}

/** n2's readings as [true time, reading minus true time], split around the window [startUs, untilUs). */
function offsets(probe: ProbeCluster, untilUs = endUs) {
  const all = probe.clockReadings[2].map(([trueUs, readingUs]) => [trueUs, readingUs - trueUs] as const);
  return {
    during: all.filter(([t]) => t >= startUs && t < untilUs),
    outside: all.filter(([t]) => t < startUs || t >= untilUs),
  };
}

/** Asserts that n2 read true time outside the window and every other node read true time throughout. */
function assertTrueTimeElsewhere(probe: ProbeCluster, untilUs = endUs): void {
  const { outside } = offsets(probe, untilUs);
  assert.ok(outside.some(([t]) => t >= untilUs), "n2 read its clock after the heal");
  for (const [t, offset] of outside) assert.equal(offset, 0, `n2 read ${offset} us off at ${t}, outside the window`);
  for (const node of [0, 1, 3, 4]) {
    for (const [t, reading] of probe.clockReadings[node]) assert.equal(reading, t, `n${node} is on true time`);
  }
}

/** True-time gaps between consecutive readings of n2 in [fromUs, toUs). */
function tickGaps(probe: ProbeCluster, fromUs: number, toUs: number): number[] {
  const times = probe.clockReadings[2].map(([t]) => t).filter((t) => t >= fromUs && t < toUs);
  return times.slice(1).map((t, i) => t - times[i]);
}

Deno.test("clock-offset: readings during the window are off true time by exactly the offset and true again after the heal", () => {
  const { probe, coverage } = runClockFault({ kind: "clock-offset", offsetUs: -250_000 });

  const { during } = offsets(probe);
  assert.ok(during.length >= 19, `${during.length} readings in the window`);
  for (const [t, offset] of during) assert.equal(offset, -250_000, `n2 read ${offset} us off at ${t}`);
  assertTrueTimeElsewhere(probe);
  assert.equal(coverage.effects.clockReadsSkewed, during.length);
  assert.ok(coverage.touched);
});

Deno.test("clock-drift: the target's clock gains driftPpm on true time through the window and its timers fire that much sooner", () => {
  const driftPpm = 100_000;
  const { probe, coverage } = runClockFault({ kind: "clock-drift", driftPpm });

  const { during } = offsets(probe);
  assert.ok(during.length >= 19);
  for (const [t, offset] of during) {
    const expected = ((t - startUs) * driftPpm) / 1e6;
    assert.ok(Math.abs(offset - expected) <= 1, `at ${t} n2 was ${offset} us ahead, expected ${expected}`);
  }
  // A 10 ms timer on a clock 10% fast takes 10 000 / 1.1 true microseconds, rounded up.
  const gaps = tickGaps(probe, startUs + 10_000, endUs);
  assert.ok(gaps.length > 10 && gaps.every((g) => g === 9_091), `tick gaps during the drift: ${gaps}`);
  assert.ok(tickGaps(probe, endUs + 10_000, endUs + 150_000).every((g) => g === 10_000), "ticks back to 10 ms");
  assertTrueTimeElsewhere(probe);
  assert.equal(coverage.effects.clockReadsSkewed, during.length);
});

Deno.test("clock-jump: the wall clock jumps at the start and is reset at the heal while timers keep their pace", () => {
  for (const deltaUs of [2_000_000, -2_000_000]) {
    const { probe, coverage } = runClockFault({ kind: "clock-jump", deltaUs });

    const { during } = offsets(probe);
    assert.ok(during.length >= 19);
    for (const [t, offset] of during) assert.equal(offset, deltaUs, `n2 read ${offset} us off at ${t}`);
    // Timers run on the monotonic clock, which a jump does not move.
    const gaps = tickGaps(probe, 0, endUs + 100_000);
    assert.ok(gaps.every((g) => g === 10_000), `tick gaps: ${gaps}`);
    if (deltaUs < 0) {
      const readings = probe.clockReadings[2].map(([, r]) => r);
      assert.ok(readings.some((r, i) => i > 0 && r < readings[i - 1]), "a backward jump makes a reading go back");
    }
    assertTrueTimeElsewhere(probe);
    assert.ok(coverage.effects.clockReadsSkewed >= 19 && coverage.touched);
  }
});

Deno.test("clock-strobe: readings alternate between deltaUs ahead and true time every periodUs, and stop at the heal", () => {
  const periodUs = 30_000;
  const window = 300_000;
  const { probe, coverage } = runClockFault({ kind: "clock-strobe", deltaUs: 200_000, periodUs }, window);

  const { during } = offsets(probe, startUs + window);
  assert.ok(during.length >= 29);
  for (const [t, offset] of during) {
    const ahead = Math.floor((t - startUs) / periodUs) % 2 === 0;
    assert.equal(offset, ahead ? 200_000 : 0, `at ${t} n2 read ${offset} us off`);
  }
  assert.ok(during.some(([, o]) => o === 0) && during.some(([, o]) => o === 200_000), "both phases are seen");
  assertTrueTimeElsewhere(probe, startUs + window);
  assert.equal(coverage.effects.jumps, window / periodUs);
  assert.equal(coverage.effects.clockReadsSkewed, during.filter(([, o]) => o !== 0).length);
});
