// Proves the primary-backup register keeps linearizability and its invariants under crashes,
// partitions and slow disks over several seeds, that the harness's checks catch each planted bug
// within a few seeds, that bad parameters are refused with a clear message, and that a seed replays.
import assert from "node:assert/strict";
import { InputError } from "../../../assert.ts";
import type { RunOutput } from "../../../harness/mod.ts";
import type { ParamValues } from "../../../params.ts";
import { registerExperiment } from "./mod.ts";

const invariantNames = ["one-primary-per-view", "backup-prefix", "view-numbers-grow"];
const failing = (output: RunOutput) => output.checks.filter((c) => c.valid !== true).map((c) => c.checker);

for (const faults of ["mixed", "crashes", "partitions"] as const) {
  Deno.test(`register: the correct system passes every check under ${faults} (seeds 1-4)`, () => {
    for (let seed = 1; seed <= 4; seed++) {
      const output = registerExperiment.run({ faults }, seed);
      assert.deepEqual(failing(output), [], `seed ${seed}: ${JSON.stringify(output.checks)}`);
      assert.ok((output.figures.operationsOk as number) > 3000, `seed ${seed}: ${output.figures.operationsOk} ok`);
      assert.ok((output.figures.faultsTouched as number) > 0, `seed ${seed}: no fault touched the system`);
      assert.ok((output.figures.viewNumberFinal as number) > 2, `seed ${seed}: the view never changed`);
    }
  });
}

Deno.test("register: planted bug backupAcksBeforeApply is caught by linearizability within 3 seeds (power loss of both replicas while the backup's disk is slow)", () => {
  const caught: number[] = [];
  for (let seed = 1; seed <= 3; seed++) {
    const output = registerExperiment.run({ faults: "crashes", bug: "backupAcksBeforeApply" }, seed);
    // A durability bug: the invariants hold, the answers do not.
    for (const name of invariantNames) {
      assert.equal(output.checks.find((c) => c.checker === name)?.valid, true, `seed ${seed}: ${name}`);
    }
    if (failing(output).includes("linearizability")) caught.push(seed);
  }
  assert.ok(caught.length > 0, "linearizability never caught backupAcksBeforeApply in seeds 1-3");
});

Deno.test("register: planted bug primaryReadsWithoutBackup is caught by linearizability within 6 seeds (an isolated old primary serves stale reads)", () => {
  const caught: number[] = [];
  for (let seed = 1; seed <= 6; seed++) {
    const output = registerExperiment.run({ faults: "partitions", bug: "primaryReadsWithoutBackup" }, seed);
    if (failing(output).includes("linearizability")) caught.push(seed);
  }
  assert.ok(caught.length > 0, "linearizability never caught primaryReadsWithoutBackup in seeds 1-6");
});

Deno.test("register: bad parameters are refused with what is allowed", () => {
  const refused = (params: ParamValues, message: RegExp) =>
    assert.throws(
      () => registerExperiment.run(params, 1),
      (e: Error) => e instanceof InputError && message.test(e.message),
    );
  refused({ replicas: 3 }, /allowed: servers/);
  refused({ servers: 1 }, /servers must be in \[2, 9\], got 1/);
  refused({ bug: "ackEarly" }, /bug must be one of none, backupAcksBeforeApply, primaryReadsWithoutBackup/);
  refused({ faults: "chaos" }, /faults must be one of mixed, crashes, partitions, disks, none/);
  refused({ durationUs: 1_000_000 }, /durationUs 1000000 leaves no time for faults/);
  refused({ readFraction: 0.7, casFraction: 0.5 }, /plus casFraction 0.5 is above 1/);
});

Deno.test("register: one seed gives the same trace hash twice", () => {
  const first = registerExperiment.run({ durationUs: 3_000_000 }, 7);
  const second = registerExperiment.run({ durationUs: 3_000_000 }, 7);
  assert.equal(first.traceHash, second.traceHash);
  assert.equal(first.events, second.events);
  assert.notEqual(registerExperiment.run({ durationUs: 3_000_000 }, 8).traceHash, first.traceHash);
});
