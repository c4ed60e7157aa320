// log-retention through the lab's parameters: the cleaner keeps what a reader of a compacted topic
// needs (the table check passes), the planted tombstoneDroppedEarly is caught by it, retention
// keeps each broker's disk bounded and deletes a segment within a check interval of its becoming
// eligible, and the run reports its reclaim curve.
import assert from "node:assert/strict";
import { resolveParams } from "../../../params.ts";
import { logRetentionExperiment, logRetentionParams } from "./mod.ts";

function run(params: Record<string, unknown>, seed: number) {
  return logRetentionExperiment.run(resolveParams(logRetentionExperiment.params, params), seed);
}

Deno.test("log-retention, compaction: the slow reader's table matches the producers' final state on seeds 1-3", () => {
  for (const seed of [1, 2, 3]) {
    const output = run({}, seed);
    const table = output.checks.find((c) => c.checker === "table");
    assert.equal(table?.valid, true, `seed ${seed}: ${table?.message}`);
    assert.ok((table!.details!.keysJudged as number) > 0);
    assert.ok(output.checks.every((c) => c.valid === true), `seed ${seed}`);
    assert.ok((output.figures.cleans as number) > 0 && (output.figures.bytesReclaimed as number) > 0);
  }
});

Deno.test("log-retention bug=tombstoneDroppedEarly is caught by the table check within seeds 1-5", () => {
  const caught = [1, 2, 3, 4, 5].filter((seed) =>
    run({ bug: "tombstoneDroppedEarly" }, seed).checks.some((c) => c.checker === "table" && c.valid === false)
  );
  assert.ok(caught.length > 0, "not caught on seeds 1-5");
});

Deno.test("log-retention, delete: disk stays bounded, a segment goes within a check interval of becoming eligible, and a reader below the log start resumes at it", () => {
  const params = {
    cleanupPolicy: "delete",
    retentionBytes: 16_384,
    segmentBytes: 2_048,
    retentionCheckIntervalUs: 50_000,
  };
  const output = run(params, 1);
  const f = output.figures;
  assert.ok((f.segmentsDeleted as number) > 10, `${f.segmentsDeleted} segments deleted`);
  assert.ok((f.bytesReclaimed as number) > 0);
  assert.ok((f.retentionDelayUsMax as number) <= 50_000 + 10_000, `delay ${f.retentionDelayUsMax}`);
  // Each broker holds two partitions; each keeps at most retentionBytes plus its active segment.
  const rows = output.tables.diskBytes as { bytes: number }[];
  assert.ok(rows.length > 0 && rows.every((row) => row.bytes <= 2 * (16_384 + 2_048)), "a broker passed its bound");
  assert.ok(output.charts?.diskBytes !== undefined);
  assert.equal(output.checks.find((c) => c.checker === "table"), undefined, "no table check when retention deletes");
  // The slow reader fell below the log start: it was told so and resumed at the earliest offset.
  const skips = output.history.events.filter((op) =>
    op.type === "ok" && op.f === "poll" && (op.value as { skipped?: unknown }[]).some((v) => v.skipped !== undefined)
  );
  assert.ok(skips.length > 0, "the reader never fell below the log start");
});

Deno.test("log-retention: one seed gives the same trace hash twice", () => {
  const params = { durationUs: 1_500_000, cleanupPolicy: "compact,delete" };
  assert.equal(run(params, 4).traceHash, run(params, 4).traceHash);
});

Deno.test("log-retention refuses a replication factor above the brokers", () => {
  assert.throws(() => logRetentionParams.resolve({ servers: 2 }), /replicationFactor 3 is above servers 2/);
});
