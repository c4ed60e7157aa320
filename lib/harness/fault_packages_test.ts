// The shared fault packages: where a placement puts them, what a too-short run gets, and whom the
// standard packages aim at.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import type { ScheduleNode } from "../faults/mod.ts";
import {
  combinePackages,
  packageSchedule,
  standardFaultPackageNames,
  standardFaultPackages,
} from "./fault_packages.ts";

const randomOf = (node: ScheduleNode) => "random" in node ? node.random : assert.fail("not a random mix");

Deno.test("fault packages: each package is its own random mix from the warm-up to the quiet end", () => {
  const { crashes, partitions } = standardFaultPackages({ focus: "leader" });
  const schedule = packageSchedule([crashes, partitions], {
    durationUs: 5_000_000,
    warmupUs: 200_000,
    quietEndUs: 1_000_000,
    meanIntervalUs: 250_000,
  });
  assert.equal(schedule.faults.length, 2);
  for (const node of schedule.faults) {
    assert.equal(node.at, 200_000);
    assert.equal(randomOf(node).untilUs, 3_800_000, "the last fault starts 1 s before the end");
    assert.equal(randomOf(node).meanIntervalUs, 250_000);
  }
  assert.deepEqual(randomOf(schedule.faults[0]).choices, crashes.choices);
});

Deno.test("fault packages: a periodic scenario repeats through the faulty stretch, first at half a period", () => {
  const { power } = standardFaultPackages();
  const [node] = packageSchedule([power], { durationUs: 3_300_000, warmupUs: 300_000, quietEndUs: 1_500_000 }).faults;
  assert.ok("repeat" in node);
  assert.equal(node.at, 300_000 + 75_000);
  assert.equal(node.times, 10, "1.5 s of faults at one every 150 ms");
});

Deno.test("fault packages: a run too short for faults is refused naming the least duration, or runs clean when asked", () => {
  const { crashes } = standardFaultPackages();
  assert.throws(
    () => packageSchedule([crashes], { durationUs: 1_000_000 }),
    (e: Error) => e instanceof InputError && /durationUs 1000000 .* must be above 1800000/.test(e.message),
  );
  assert.deepEqual(packageSchedule([crashes], { durationUs: 1_000_000, tooShort: "no faults" }).faults, []);
  assert.deepEqual(packageSchedule([], { durationUs: 1_000_000 }).faults, [], "no packages: no faults, no error");
});

Deno.test("fault packages: with a focus role, crashes and isolation strike it as often as a random node", () => {
  const aimed = standardFaultPackages({ focus: "primary" });
  const crashTargets = aimed.crashes.choices!.map((c) => [c.fault.targets, c.weight]);
  assert.deepEqual(crashTargets, [[{ role: "primary" }, 1], [{ random: "one" }, 1]]);
  const unaimed = standardFaultPackages();
  assert.deepEqual(unaimed.crashes.choices!.map((c) => c.fault.targets), [{ random: "one" }]);
  for (const name of standardFaultPackageNames) {
    const text = JSON.stringify(unaimed[name]);
    assert.ok(!text.includes('"role"'), `${name} aims at a role although no focus was given: ${text}`);
  }
});

Deno.test("fault packages: combining keeps every weighted fault and refuses two periodic scenarios", () => {
  const p = standardFaultPackages();
  const combined = combinePackages(p.crashes, p.disks, p.power);
  assert.equal(combined.choices!.length, p.crashes.choices!.length + p.disks.choices!.length);
  assert.deepEqual(combined.periodic, p.power.periodic);
  assert.throws(() => combinePackages(p.power, p.power), InputError);
});
