// Proves the design's claims one scripted fault at a time, on the correct system and, where a
// planted bug is aimed at the claim, on the buggy one: an isolated primary cannot answer once its
// backup is promoted, a lone primary takes its role back from its own disk, and the view service
// comes back from its disk with its view.
import assert from "node:assert/strict";
import type { Schedule } from "../../../faults/mod.ts";
import {
  type HarnessRun,
  packageSchedule,
  runSystem,
  standardFaultPackageNames,
  standardFaultPackages,
} from "../../../harness/mod.ts";
import { registerOptions, registerParams, registerSystem, registerWorkload } from "./mod.ts";

function scenario(faults: Schedule["faults"], given: Record<string, string | number> = {}, seed = 1): HarnessRun {
  const params = registerParams.resolve(given);
  return runSystem({
    system: registerSystem,
    options: registerOptions(params),
    workload: registerWorkload(params),
    schedule: { faults, recoveryUs: 0 },
    phases: { warmupUs: 300_000, durationUs: 3_000_000, recoveryBoundUs: 2_000_000 },
    seed,
  });
}

const failing = (run: HarnessRun) => run.checks.filter((c) => c.valid !== true).map((c) => c.checker);
const figures = (run: HarnessRun) => run.cluster.figures!();

// Read-heavy on two keys: clients that keep reading stay with the old primary, and every key is
// soon written through the new one.
const readHeavy = { readFraction: 0.8, casFraction: 0.1, keys: 2 };
const isolatePrimary = [{
  at: 1_000_000,
  fault: { kind: "isolate", targets: { role: "primary" }, durationUs: 1_000_000 },
}];

Deno.test("register: network: isolate the primary for 1 s (its clients still reach it): the backup is promoted, the old primary answers nothing stale", () => {
  const run = scenario(isolatePrimary, readHeavy);
  assert.deepEqual(failing(run), []);
  assert.ok((figures(run).viewNumberFinal as number) >= 3, `views: ${figures(run).viewNumberFinal}`);
  assert.ok(run.sim.metrics.series("attempts_answered").value.some((attempts) => attempts > 1), "no client retried");
});

Deno.test("register: network: isolate the primary for 1 s, with primaryReadsWithoutBackup: its stale reads break linearizability", () => {
  const run = scenario(isolatePrimary, { ...readHeavy, bug: "primaryReadsWithoutBackup" });
  assert.ok(failing(run).includes("linearizability"), JSON.stringify(run.checks));
  for (const name of ["one-primary-per-view", "backup-prefix", "view-numbers-grow"]) {
    assert.equal(run.checks.find((c) => c.checker === name)?.valid, true, name);
  }
});

Deno.test("register: process: two servers, crash the backup, then the lone primary: it takes its role back from its own disk", () => {
  const run = scenario([
    { at: 800_000, fault: { kind: "crash", targets: { role: "backup" }, durationUs: 1_200_000 } },
    { at: 1_200_000, fault: { kind: "crash", targets: { role: "primary" }, durationUs: 300_000 } },
  ], { servers: 2 });
  assert.deepEqual(failing(run), []);
  // The lone primary came back in a newer view, and the other server rejoined as its backup.
  assert.match(figures(run).serverRolesFinal as string, /primary@\d+/);
  assert.match(figures(run).serverRolesFinal as string, /backup@\d+/);
});

Deno.test("register: process: crash the view service for 0.5 s: its view comes back from disk and numbers keep growing", () => {
  const run = scenario([
    { at: 1_000_000, fault: { kind: "crash", targets: { role: "viewService" }, durationUs: 500_000 } },
    { at: 1_200_000, fault: { kind: "crash", targets: { role: "primary" }, durationUs: 300_000 } },
  ]);
  assert.deepEqual(failing(run), []);
  assert.ok((figures(run).viewNumberFinal as number) >= 3, `views: ${figures(run).viewNumberFinal}`);
});

Deno.test("register: every standard fault package of the harness, aimed at the primary: the correct system passes every check", () => {
  const packages = standardFaultPackages({ focus: "primary" });
  for (const name of standardFaultPackageNames) {
    const params = registerParams.resolve({ durationUs: 3_500_000 });
    const run = runSystem({
      system: registerSystem,
      options: registerOptions(params),
      workload: registerWorkload(params),
      schedule: packageSchedule([packages[name]], { durationUs: 3_500_000, meanIntervalUs: 300_000 }),
      phases: { warmupUs: 300_000, durationUs: 3_500_000, recoveryBoundUs: 2_000_000 },
      seed: 1,
    });
    assert.deepEqual(failing(run), [], `${name}: ${JSON.stringify(run.checks.filter((c) => c.valid !== true))}`);
    assert.ok(run.coverage.faultsTouched > 0, `${name}: no fault touched the register`);
  }
});
