// Proves the structured trace records message sends, deliveries and drops (and lifecycle and disk events),
// and stays within its size limit.
import assert from "node:assert/strict";
import { Simulation } from "./simulation.ts";
import type { TraceEvent } from "./trace.ts";

function pingPair(options: { trace: boolean; traceEventsMax?: number }): Simulation {
  const sim = new Simulation({ seed: 3, network: { latencyUs: { kind: "constant", value: 100 } }, ...options });
  sim.addNode({
    create: (api) => ({
      onStart: () => {
        api.send(1, "ping");
        api.disk.append("wal", new Uint8Array(4));
        api.disk.fsync("wal");
      },
      onMessage: () => {},
    }),
  });
  sim.addNode({ create: (api) => ({ onMessage: (from, m) => api.send(from, `${m}-reply`) }) });
  return sim;
}

const summary = (events: TraceEvent[]) => events.map((e) => `${e.timeUs} ${e.kind} ${e.node}->${e.peer}`);

Deno.test("a traced run records sends, deliveries and drops with times and both ends", () => {
  const sim = pingPair({ trace: true });
  sim.run();
  sim.network.block(0, 1);
  const crashAtUs = sim.nowUs + 1000;
  sim.at(crashAtUs, () => sim.crash(1));
  sim.run();
  const messages = sim.trace.events.filter((e) => ["send", "deliver", "drop"].includes(e.kind));
  assert.deepEqual(summary(messages), [
    "0 send 0->1",
    "100 deliver 1->0",
    "100 send 1->0",
    "200 deliver 0->1",
  ]);
  assert.equal(messages[0].detail, "ping");
  assert.equal(messages[3].detail, "ping-reply");
  assert.ok(sim.trace.events.some((e) => e.kind === "start" && e.node === 0));
  assert.ok(sim.trace.events.some((e) => e.kind === "disk-fsync" && e.node === 0));
  assert.ok(sim.trace.events.some((e) => e.kind === "disk-done" && e.node === 0));
  assert.ok(sim.trace.events.some((e) => e.kind === "crash" && e.node === 1 && e.timeUs === crashAtUs));
});

Deno.test("a message dropped by a partition is traced as a drop", () => {
  const sim = new Simulation({ seed: 1, trace: true, network: { latencyUs: { kind: "constant", value: 100 } } });
  sim.addNode({ create: (api) => ({ onStart: () => api.send(1, "lost"), onMessage: () => {} }) });
  sim.addNode({ create: () => ({ onMessage: () => {} }) });
  sim.network.block(0, 1);
  sim.run();
  assert.deepEqual(summary(sim.trace.events.filter((e) => e.kind === "drop")), ["0 drop 0->1"]);
  assert.equal(sim.trace.events.filter((e) => e.kind === "send").length, 0);
});

Deno.test("tracing is off by default and records nothing", () => {
  const sim = pingPair({ trace: false });
  sim.run();
  assert.equal(sim.trace.enabled, false);
  assert.equal(sim.trace.events.length, 0);
});

Deno.test("a trace past traceEventsMax keeps the first events and counts the rest", () => {
  const full = pingPair({ trace: true });
  full.run();
  const limited = pingPair({ trace: true, traceEventsMax: 3 });
  limited.run();
  assert.ok(full.trace.events.length > 3);
  assert.deepEqual(limited.trace.events, full.trace.events.slice(0, 3));
  assert.equal(limited.trace.dropped, full.trace.events.length - 3);
  assert.equal(limited.trace.truncated, true);
  assert.equal(full.trace.truncated, false);
  assert.equal(limited.hash(), full.hash());
});
