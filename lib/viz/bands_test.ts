// Proves fault bands come from a history's nemesis events (paired by id, closed by heal-all or the
// run's end) and shade a timeline that renders.
import assert from "node:assert/strict";
import type { Op } from "../history/history.ts";
import { faultBandsFromHistory } from "./bands.ts";
import { latencyTimeline } from "./charts.ts";
import { toSvg } from "./render.ts";

const events: Op[] = [
  { process: 0, type: "invoke", f: "write", value: 1, time: 100 },
  {
    process: "nemesis",
    type: "info",
    f: "partition",
    value: { phase: "start", id: 0, targets: ["n0", "n2"] },
    time: 1_000,
  },
  { process: 0, type: "ok", f: "write", value: 1, time: 1_200 },
  { process: "nemesis", type: "info", f: "crash", value: { phase: "start", id: 1, targets: ["n1"] }, time: 1_500 },
  { process: "nemesis", type: "info", f: "partition", value: { phase: "heal", id: 0 }, time: 3_000 },
  { process: "nemesis", type: "info", f: "clock-offset", value: { phase: "start", id: 2 }, time: 4_000 },
];

Deno.test("faultBandsFromHistory() pairs starts with heals and runs unhealed faults to the run's end", () => {
  assert.deepEqual(faultBandsFromHistory(events, 10_000), [
    { startUs: 1_000, endUs: 3_000, label: "partition n0,n2" },
    { startUs: 1_500, endUs: 10_000, label: "crash n1" },
    { startUs: 4_000, endUs: 10_000, label: "clock-offset" },
  ]);
});

Deno.test("faultBandsFromHistory() closes open faults at heal-all", () => {
  const healAll: Op = { process: "nemesis", type: "info", f: "heal-all", value: null, time: 6_000 };
  assert.deepEqual(faultBandsFromHistory([...events, healAll], 10_000).map((b) => b.endUs), [3_000, 6_000, 6_000]);
});

Deno.test("faultBandsFromHistory() refuses a run end before an unhealed fault starts", () => {
  assert.throws(() => faultBandsFromHistory(events, 2_000), /runEndUs 2000 is before fault 2/);
});

Deno.test("latencyTimeline() still renders, shaded with bands from a history", async () => {
  const spec = latencyTimeline(
    [{ timeUs: 500, latencyUs: 300, series: "client 0" }, { timeUs: 2_000, latencyUs: 9_000, series: "client 0" }],
    { bands: faultBandsFromHistory(events, 10_000) },
  );
  const svg = await toSvg(spec);
  for (const text of ["Request latency over time", "latency (ms)", "client 0"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
});
