// Proves the log's benchmark runs at its stated load and reports its throughput. It asserts
// nothing about speed.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { benchLog } from "./log.ts";

Deno.test("benchLog reports acknowledged records per wall second, per million bare-loop events and per virtual second, at its stated load", () => {
  const figures = benchLog({ runs: 1, producers: 2, partitions: 2, batchRecords: 50, durationUs: 50_000 });
  const wall = figures.find((f) => f.name.includes("per wall second"))!;
  assert.match(wall.name, /2 closed-loop producers .*50 records .*per produce request.*3 replicas, acks=all/);
  assert.equal(wall.unit, "records/s");
  assert.ok(wall.value > 0);
  const normalised = figures.find((f) => f.name.includes("machine-normalised"))!;
  assert.equal(normalised.unit, "records/M events");
  assert.ok(normalised.value > 0);
  const simulated = figures.find((f) => f.name.includes("per virtual second"))!;
  assert.ok(simulated.value > 1_000, `${simulated.value} records per virtual second`);
  assert.ok(figures.every((f) => typeof f.name === "string" && typeof f.unit === "string" && Number.isFinite(f.value)));
});

Deno.test("benchLog refuses a batch size outside 1 to 10,000, naming the option", () => {
  assert.throws(
    () => benchLog({ runs: 1, producers: 1, partitions: 1, batchRecords: 0, durationUs: 10_000 }),
    (e: unknown) => e instanceof InputError && /--batch is the records per produce request, 1 to 10000/.test(e.message),
  );
});
