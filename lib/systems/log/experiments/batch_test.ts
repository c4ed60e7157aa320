// Batched produce through the client (Kafka's record batch): with acks=all and no faults, each
// acknowledged batch is in the log whole and in order at the offset it was acknowledged with, and
// the drains read every record of it once.
import assert from "node:assert/strict";
import { runSystem } from "../../../harness/mod.ts";
import type { Op } from "../../../sim/mod.ts";
import { partitionKey } from "../mod.ts";
import { logEosOptions, logEosParams, logSystem } from "./mod.ts";

Deno.test("sendBatch: every acknowledged batch is read back whole, in order, from the offset it was acknowledged at", () => {
  const params = logEosParams.resolve({
    faults: "none",
    partitions: 2,
    consumers: 1,
    producers: 3,
    transactional: false,
  });
  const run = runSystem({
    system: logSystem,
    options: logEosOptions(params),
    workload: {
      processes: 3,
      thinkTimeUsMean: 1_000,
      generator: {
        next: (rng, { process, sequence }) => ({
          f: "sendBatch",
          key: partitionKey(Math.floor(rng.next() * 2)),
          value: Array.from({ length: 1 + (sequence % 7) * 20 }, (_, i) => `${process}:${sequence}:${i}`),
        }),
      },
      final: [0, 1].map((p) => ({ f: "drain", key: partitionKey(p), value: null })),
      checkers: [],
    },
    schedule: { faults: [], recoveryUs: 0 },
    phases: { warmupUs: 50_000, durationUs: 500_000, recoveryBoundUs: 1_000_000 },
    seed: 2,
  });
  const events = run.sim.history.events as Op[];
  const drained = new Map<string, unknown[]>();
  for (const op of events) if (op.f === "drain" && op.type === "ok") drained.set(op.key!, op.value as unknown[]);
  assert.equal(drained.size, 2);
  const invoked = new Map<string, string[]>();
  let batches = 0;
  for (const op of events) {
    if (op.f !== "sendBatch") continue;
    if (op.type === "invoke") invoked.set(`${op.process}`, op.value as string[]);
    if (op.type !== "ok") continue;
    batches++;
    const values = invoked.get(`${op.process}`)!;
    const offset = op.value as number;
    assert.deepEqual(drained.get(op.key!)!.slice(offset, offset + values.length), values, `batch at ${offset}`);
  }
  assert.ok(batches > 20, `${batches} batches acknowledged`);
  const total = [...drained.values()].reduce((sum, values) => sum + values.length, 0);
  assert.equal(new Set([...drained.values()].flat()).size, total, "no record twice");
});
