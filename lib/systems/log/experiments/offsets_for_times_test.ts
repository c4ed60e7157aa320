// Kafka's offsetsForTimes through the client: after producers ran for a while with no faults, a
// lookup of each partition by a time in the middle of the run answers the first record the leader
// stamped at or after it: every send acknowledged before that time is below it, and every send
// invoked after it is at or above it.
import assert from "node:assert/strict";
import { runSystem } from "../../../harness/mod.ts";
import type { Op } from "../../../sim/mod.ts";
import { partitionKey } from "../mod.ts";
import { logEosOptions, logEosParams, logEosWorkload, logSystem } from "./mod.ts";

Deno.test("offsetForTime answers, per partition, the first committed record stamped at or after the time asked", () => {
  const params = logEosParams.resolve({ consumerCrashProbability: 0, faults: "none", partitions: 2, consumers: 1 });
  const askedUs = 600_000;
  const workload = logEosWorkload(params);
  const run = runSystem({
    system: logSystem,
    options: logEosOptions(params),
    workload: {
      ...workload,
      checkers: [],
      final: [
        ...workload.final!,
        ...[0, 1].map((p) => ({ f: "offsetForTime", key: partitionKey(p), value: { timestampUs: askedUs } })),
        { f: "offsetForTime", key: partitionKey(0), value: { timestampUs: 1e12 } },
      ],
    },
    schedule: { faults: [], recoveryUs: 0 },
    phases: { warmupUs: 100_000, durationUs: 1_000_000, recoveryBoundUs: 1_000_000 },
    seed: 3,
  });
  const events = run.sim.history.events as Op[];
  const answers = events.filter((op) => op.f === "offsetForTime" && op.type === "ok");
  assert.equal(answers.length, 3, JSON.stringify(answers));
  assert.equal(answers[2].value, null, "no record is stamped that late");
  for (const partition of [0, 1]) {
    const found = answers[partition].value as { offset: number; timestampUs: number };
    assert.ok(found.timestampUs >= askedUs, `${found.timestampUs}`);
    const invoked = new Map<string, number>();
    for (const op of events) {
      if (op.f !== "send" || op.key !== partitionKey(partition)) continue;
      if (op.type === "invoke") invoked.set(`${op.process}`, op.time);
      if (op.type !== "ok") continue;
      const offset = op.value as number;
      if (op.time < askedUs) assert.ok(offset < found.offset, `acknowledged at ${op.time}: offset ${offset}`);
      if (invoked.get(`${op.process}`)! >= askedUs) assert.ok(offset >= found.offset, `invoked later: ${offset}`);
    }
  }
});

Deno.test("offsetForTime refuses a request without a timestamp, naming what it expects", () => {
  const params = logEosParams.resolve({ faults: "none", partitions: 1, consumers: 1, producers: 1 });
  assert.throws(
    () =>
      runSystem({
        system: logSystem,
        options: logEosOptions(params),
        workload: {
          processes: 1,
          thinkTimeUsMean: 1_000,
          generator: { next: () => ({ f: "offsetForTime", key: "p0", value: { at: 5 } }) },
          checkers: [],
        },
        schedule: { faults: [], recoveryUs: 0 },
        phases: { warmupUs: 0, durationUs: 10_000, recoveryBoundUs: 10_000 },
        seed: 1,
      }),
    /offsetForTime request's value is \{ timestampUs: number \}/,
  );
});
