// Proves the metric recorder keeps series by default and, for the metrics a run names, only a
// histogram: the same distribution, in fixed memory, with the series refused loudly.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { Recorder } from "./recorder.ts";

Deno.test("a metric recorded into a histogram has the distribution its series would have had", () => {
  const series = new Recorder();
  const aggregated = new Recorder({ histograms: ["latency_us"] });
  for (let i = 0; i < 10_000; i++) {
    const latency = 100 + ((i * 7919) % 5000) + 0.5;
    for (const recorder of [series, aggregated]) {
      recorder.record("latency_us", i, i % 5, latency);
      recorder.record("queue_length", i, 0, i % 3);
    }
  }
  assert.deepEqual(aggregated.histogram("latency_us").summary(), series.histogram("latency_us").summary());
  assert.deepEqual(aggregated.names(), ["latency_us", "queue_length"]);
  assert.equal(aggregated.count("latency_us"), 10_000);
  assert.equal(aggregated.isAggregated("latency_us"), true);
  assert.equal(aggregated.isAggregated("queue_length"), false);
  assert.equal(aggregated.series("queue_length").value.length, 10_000, "other metrics stay series");
  assert.throws(
    () => aggregated.series("latency_us"),
    (e: Error) => e instanceof InputError && /recorded into a histogram/.test(e.message),
  );
});

Deno.test("histograms: all aggregates every metric; a negative value is refused naming the metric", () => {
  const recorder = new Recorder({ histograms: "all" });
  recorder.record("wal_bytes", 0, 0, 4096);
  assert.equal(recorder.histogram("wal_bytes").max, 4096);
  assert.throws(() => recorder.series("never_recorded"), /recorded into a histogram/);
  assert.throws(() => recorder.record("clock_offset_us", 0, 0, -5), /metric clock_offset_us .* got -5/);
  assert.equal(recorder.histogram("never_recorded").count, 0);
});

Deno.test("samplesMax bounds the observations kept in series, not those folded into histograms", () => {
  const recorder = new Recorder({ samplesMax: 3, histograms: ["latency_us"] });
  for (let i = 0; i < 100; i++) recorder.record("latency_us", i, 0, i);
  for (let i = 0; i < 3; i++) recorder.record("acked", i, 0, i);
  assert.throws(() => recorder.record("acked", 4, 0, 4), /samplesMax 3/);
  assert.throws(() => new Recorder({ histograms: "some" as "all" }), /histograms must be "all" or a list/);
});
