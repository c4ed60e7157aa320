// Proves comparisons align runs on their swept parameters, put a 95% interval on each difference,
// and flag only significant changes in the worse direction as regressions.
import assert from "node:assert/strict";
import { betterDirection, compareRows, formatFigure } from "./compare.ts";
import { describeProgress, ProgressDisplay } from "./notebook.ts";

Deno.test("a clear rise in latency across seeds is a significant regression; noise is not", () => {
  const a = [10, 11, 9, 10, 12].map((v, seed) => ({ clients: 2, seed, latencyUsP99: v, availability: 1 }));
  const b = [20, 21, 19, 22, 20].map((v, seed) => ({ clients: 2, seed, latencyUsP99: v, availability: 1 }));
  const rows = compareRows(a, b, ["clients"]);
  const latency = rows.find((r) => r.metric === "latencyUsP99")!;
  assert.equal(latency.group, "clients=2");
  assert.ok(latency.difference > 9 && latency.difference < 11);
  assert.ok(latency.ciLow > 0 && latency.ciLow <= latency.difference && latency.difference <= latency.ciHigh);
  assert.equal(latency.regression, true);
  const availability = rows.find((r) => r.metric === "availability")!;
  assert.equal(availability.significant, false);
  const noisy = compareRows(a, a.map((r, i) => ({ ...r, latencyUsP99: r.latencyUsP99 + (i % 2 === 0 ? 1 : -1) })), [
    "clients",
  ]);
  assert.equal(noisy.find((r) => r.metric === "latencyUsP99")!.regression, false);
});

Deno.test("a better figure is significant but not a regression; one run per side is never significant", () => {
  const a = [{ seed: 1, latencyUsP99: 20 }, { seed: 2, latencyUsP99: 21 }, { seed: 3, latencyUsP99: 22 }];
  const b = [{ seed: 1, latencyUsP99: 10 }, { seed: 2, latencyUsP99: 11 }, { seed: 3, latencyUsP99: 12 }];
  const better = compareRows(a, b, [])[0];
  assert.equal(better.significant, true);
  assert.equal(better.regression, false);
  const single = compareRows([a[0]], [{ seed: 1, latencyUsP99: 99 }], [])[0];
  assert.equal(single.significant, false);
});

Deno.test("groups present on one side only are left out, and figure directions come from their names", () => {
  const rows = compareRows([{ clients: 1, latencyUsP50: 5 }], [{ clients: 2, latencyUsP50: 5 }], ["clients"]);
  assert.deepEqual(rows, []);
  assert.equal(betterDirection("latencyUsP99"), "lower");
  assert.equal(betterDirection("availability"), "higher");
  assert.equal(betterDirection("events"), undefined);
});

Deno.test("gzip output decompresses to the history text", async () => {
  const { gzip } = await import("./run.ts");
  const text = '{"process":0,"type":"invoke","f":"read","value":null,"time":0}\n'.repeat(1000);
  const packed = await gzip(text);
  assert.ok(packed.length < text.length / 10);
  const unpacked = await new Response(
    new Blob([packed as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).text();
  assert.equal(unpacked, text);
});

Deno.test("formatFigure writes figures one way: integers whole, no exponent for ordinary magnitudes, no float noise", () => {
  assert.equal(formatFigure(48286), "48286");
  assert.equal(formatFigure(41920.3), "41920");
  assert.equal(formatFigure(35150.74000000002), "35151");
  assert.equal(formatFigure(0.997072599531616), "0.9971");
  assert.equal(formatFigure(567.6666666666666), "567.7");
  assert.equal(formatFigure(-2.5), "-2.5");
  assert.equal(formatFigure(NaN), "NaN");
});

Deno.test("compareRows orders groups by their numbers (2, 8, 32), not as text (2, 32, 8)", () => {
  const rows = [2, 32, 8].flatMap((
    clients,
  ) => [{ clients, latencyUsP99: clients }, { clients, latencyUsP99: clients }]);
  const groups = compareRows(rows, rows, ["clients"]).map((r) => r.group);
  assert.deepEqual(groups, ["clients=2", "clients=8", "clients=32"]);
});

Deno.test("the notebook's progress line gives a time left while running and the time taken when done, never 'ETA ?'", () => {
  const running = { done: 0, total: 4, cached: 0, failures: 0, elapsedMs: 100, etaMs: NaN };
  assert.match(describeProgress(running), /ETA after the first cell/);
  assert.match(describeProgress({ ...running, done: 2, etaMs: 3000 }), /ETA 3 s/);
  assert.match(
    describeProgress({ ...running, done: 4, cached: 4, elapsedMs: 2000 }),
    /4 \/ 4 cells \(4 cached\), 0 failed, done in 2 s/,
  );
  for (const p of [running, { ...running, done: 4 }]) assert.doesNotMatch(describeProgress(p), /\?/);
});

Deno.test("the notebook's progress display does nothing outside a Jupyter kernel", async () => {
  const display = new ProgressDisplay("faultline-sweep-test");
  display.update({ done: 1, total: 2, cached: 0, failures: 0, elapsedMs: 10, etaMs: 10 });
  await display.flushed();
});
