// Proves the kernel benchmark measures what it says: both loops process the requested number of
// events and the figures come out in the {name, unit, value} form. It asserts nothing about speed.
import assert from "node:assert/strict";
import { benchKernel, runBarePingPong, runKernelPingPong } from "./kernel.ts";

Deno.test("kernel and bare ping-pong each process the requested number of events", () => {
  assert.equal(runKernelPingPong({ nodes: 10, events: 5000, seed: 1 }).events, 5000);
  assert.equal(runBarePingPong({ nodes: 10, events: 5000, seed: 1 }).events, 5000);
});

Deno.test("benchKernel reports named figures with units, including the ratio to the bare loop", () => {
  const figures = benchKernel({ nodes: 10, events: 20_000, seed: 1, repeats: 1 });
  for (const figure of figures) {
    assert.equal(typeof figure.name, "string");
    assert.equal(typeof figure.unit, "string");
    assert.ok(Number.isFinite(figure.value), figure.name);
  }
  const names = figures.map((f) => f.name);
  assert.ok(names.some((n) => n.startsWith("kernel / bare loop ratio")));
  assert.ok(names.some((n) => n.startsWith("peak heap ratio")));
});
