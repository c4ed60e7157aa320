// Proves the store's benchmark runs both modes at its stated load and reports their throughput. It
// asserts nothing about speed.
import assert from "node:assert/strict";
import { benchKv } from "./kv.ts";

Deno.test("benchKv reports committed operations per wall second, per million bare-loop events and per virtual second for the quorum and Raft modes", () => {
  const figures = benchKv({ runs: 1, clients: 3, durationUs: 300_000 });
  for (const mode of ["quorum mode", "linearizable mode"]) {
    const wall = figures.find((f) => f.name.startsWith(mode) && f.name.includes("per wall second"))!;
    assert.match(wall.name, /3 closed-loop clients/);
    assert.ok(wall.value > 0);
    const normalised = figures.find((f) => f.name.startsWith(mode) && f.name.includes("machine-normalised"))!;
    assert.equal(normalised.unit, "operations/M events");
    assert.ok(normalised.value > 0);
    const simulated = figures.find((f) => f.name.startsWith(mode) && f.name.includes("per virtual second"))!;
    assert.ok(simulated.value > 100, `${mode}: ${simulated.value} operations per virtual second`);
    const events = figures.find((f) => f.name.startsWith(mode) && f.name.includes("events per committed operation"))!;
    assert.ok(events.value > 1, `${mode}: ${events.value} events per operation`);
  }
});
