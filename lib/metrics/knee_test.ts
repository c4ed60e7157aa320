// Proves the knee is the last offered load of the run of loads the system keeps up with (served
// within the shortfall and p99 within the factor of the unloaded p99), whatever order the points
// come in, and that a curve that never keeps up has no knee.
import assert from "node:assert/strict";
import { loadKnee } from "./knee.ts";

/** An M/M/1-like curve: capacity 1000/s, p99 growing as 1/(1 − utilisation). */
const curve = [100, 200, 400, 600, 800, 950, 1200, 2000].map((offeredPerSecond) => {
  const utilisation = Math.min(offeredPerSecond / 1000, 0.999);
  return {
    offeredPerSecond,
    throughputPerSecond: Math.min(offeredPerSecond, 1000),
    latencyUsP99: 2_000 / (1 - utilisation),
  };
});

Deno.test("loadKnee() finds the highest offered load whose p99 stays within 3× the unloaded p99", () => {
  const knee = loadKnee(curve);
  // p99 at 600/s is 5,000 µs (2.2× the 2,222 µs at 100/s); at 800/s it is 10,000 µs (4.5×).
  assert.equal(knee.offeredPerSecond, 600);
  assert.equal(knee.index, 3);
  assert.equal(knee.capacityPerSecond, 1000);
  assert.deepEqual(knee.keepsUp, [true, true, true, true, false, false, false, false]);
});

Deno.test("loadKnee() with a looser latency factor stops where throughput falls behind the offer", () => {
  const knee = loadKnee(curve, { latencyFactorMax: 1_000 });
  assert.equal(knee.offeredPerSecond, 950, "1200/s is served at 1000/s, 17% short");
});

Deno.test("loadKnee() takes points in any order and ends the knee at the first point that falls behind", () => {
  const shuffled = [curve[5], curve[0], curve[7], curve[2], curve[1], curve[3], curve[6], curve[4]];
  assert.equal(loadKnee(shuffled).offeredPerSecond, 600);
  // A light load that falls behind ends the run even if heavier ones happen to keep up.
  const dip = curve.map((p) => (p.offeredPerSecond === 200 ? { ...p, throughputPerSecond: 150 } : p));
  assert.equal(loadKnee(dip).offeredPerSecond, 100);
});

Deno.test("loadKnee() has no knee when even the lightest load is not served, and refuses repeated loads", () => {
  const knee = loadKnee([{ offeredPerSecond: 100, throughputPerSecond: 10, latencyUsP99: 5_000 }]);
  assert.equal(knee.index, undefined);
  assert.ok(Number.isNaN(knee.offeredPerSecond));
  assert.throws(() => loadKnee([curve[0], curve[0]]), /appears twice/);
  assert.throws(() => loadKnee([]), /at least one point/);
});

Deno.test("loadKnee() judges throughput against the arrivals drawn, so a light load that arrived short still keeps up", () => {
  // Poisson arrivals at light loads drew 4-10% fewer operations than the nominal rate, and the
  // system served every one of them at its unloaded latency; the heavy loads arrived as offered.
  const drawn = [
    { offeredPerSecond: 250, arrivalsPerSecond: 224, throughputPerSecond: 223.3, latencyUsP99: 3_300 },
    { offeredPerSecond: 400, arrivalsPerSecond: 366, throughputPerSecond: 366, latencyUsP99: 3_700 },
    { offeredPerSecond: 1_400, arrivalsPerSecond: 1_347, throughputPerSecond: 1_349, latencyUsP99: 7_800 },
    { offeredPerSecond: 5_200, arrivalsPerSecond: 5_049, throughputPerSecond: 1_957, latencyUsP99: 970_000 },
  ];
  const knee = loadKnee(drawn);
  assert.deepEqual(knee.keepsUp, [true, true, true, false]);
  assert.equal(knee.offeredPerSecond, 1_400);
  // Judged against the nominal rate the lightest load "fell behind" by 11%, and there was no knee.
  const nominal = loadKnee(drawn.map(({ arrivalsPerSecond: _, ...point }) => point));
  assert.equal(nominal.index, undefined);
  // What was shed or given up on still counts as arrived: serving 90% of the arrivals falls behind.
  const shed = drawn.map((p) => (p.offeredPerSecond === 400 ? { ...p, throughputPerSecond: 0.9 * 366 } : p));
  assert.equal(loadKnee(shed).offeredPerSecond, 250);
  assert.throws(() => loadKnee([{ ...drawn[0], arrivalsPerSecond: -1 }]), /arrivalsPerSecond/);
});
