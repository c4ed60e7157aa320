// Proves a run is a function of its seed: the same seed gives the same run hash, another seed a different
// one, and tracing does not perturb it.
import assert from "node:assert/strict";
import { RunHash } from "./run_hash.ts";
import { Simulation } from "./simulation.ts";
import type { NodeApi } from "./types.ts";

/**
 * A busy little cluster that touches every source of randomness in the kernel: random latency,
 * loss, duplication and reordering, CPU service times, disk latencies, a crash with random
 * unsynced-write loss, a pause, and clock drift.
 */
function scenario(seed: number, trace = false): { hash: string; events: number; received: number[] } {
  const sim = new Simulation({
    seed,
    trace,
    network: { lossProbability: 0.05, duplicateProbability: 0.05, reorderProbability: 0.1 },
  });
  const host = sim.addHost({ cores: 2 });
  const received: number[] = [];
  const nodeCount = 4;
  for (let i = 0; i < nodeCount; i++) {
    sim.addNode({
      host: i < 2 ? host : undefined,
      serviceTimeUs: (_kind, _payload, rng) => rng.int(50, 150),
      create: (api: NodeApi<number>) => ({
        onStart: () => api.setTimer(api.rng.int(100, 1000), "tick"),
        onTimer: () => {
          api.send(api.rng.int(0, nodeCount - 1), api.rng.int(0, 1000));
          api.disk.append("log", new Uint8Array(api.rng.int(1, 200)));
          if (api.rng.bernoulli(0.3)) api.disk.fsync("log");
          api.setTimer(api.rng.int(500, 5000), "tick");
        },
        onMessage: (_from, value) => {
          received.push(value);
          api.record("value", value);
        },
      }),
    });
  }
  sim.clock(3).setDriftPpm(200);
  sim.at(50_000, (s) => s.crash(1));
  sim.at(80_000, (s) => s.restart(1));
  sim.at(100_000, (s) => s.pause(2));
  sim.at(130_000, (s) => s.resume(2));
  sim.run({ untilUs: 300_000 });
  return { hash: sim.hash(), events: sim.eventsProcessed, received };
}

Deno.test("the same seed gives the same run hash, event count and observations", () => {
  const first = scenario(42);
  const second = scenario(42);
  assert.ok(first.events > 1000, `only ${first.events} events`);
  assert.match(first.hash, /^[0-9a-f]{16}$/);
  assert.equal(second.hash, first.hash);
  assert.equal(second.events, first.events);
  assert.deepEqual(second.received, first.received);
});

Deno.test("different seeds give different run hashes", () => {
  const hashes = new Set([1, 2, 3, 4, 5].map((seed) => scenario(seed).hash));
  assert.equal(hashes.size, 5);
});

Deno.test("turning tracing on does not change the run", () => {
  const plain = scenario(7);
  const traced = scenario(7, true);
  assert.equal(traced.hash, plain.hash);
  assert.equal(traced.events, plain.events);
});

Deno.test("a fault injected at a different time changes the hash", () => {
  const run = (crashAtUs: number) => {
    const sim = new Simulation({ seed: 1 });
    sim.addNode({ create: (api) => ({ onStart: () => api.send(1, "x"), onMessage: () => {} }) });
    sim.addNode({ create: () => ({ onMessage: () => {} }) });
    sim.at(crashAtUs, (s) => s.crash(1));
    sim.run();
    return sim.hash();
  };
  assert.equal(run(10), run(10));
  assert.notEqual(run(10), run(20));
});

Deno.test("RunHash depends on every integer and on their order", () => {
  const hex = (...events: [number, number, number, number][]) => {
    const hash = new RunHash();
    for (const event of events) hash.add4(...event);
    return hash.hex();
  };
  const base = hex([1, 2, 3, 4], [5, 6, 7, 8]);
  assert.match(base, /^[0-9a-f]{16}$/);
  assert.equal(hex([1, 2, 3, 4], [5, 6, 7, 8]), base);
  assert.notEqual(hex([5, 6, 7, 8], [1, 2, 3, 4]), base);
  assert.notEqual(hex([1, 2, 3, 4], [5, 6, 7, 9]), base);
  // Times above 2^32 us (about 71 minutes) still count in full.
  assert.notEqual(hex([2 ** 32 + 1, 2, 3, 4]), hex([1, 2, 3, 4]));
  assert.notEqual(new RunHash().hex(), hex([0, 0, 0, 0]));
});
