/**
 * Test fixtures for lib/viz (private): a small traced run with lost and reordered messages.
 *
 * @module
 */
import { Simulation } from "../sim/simulation.ts";

/** Three nodes gossiping over a lossy, reordering network, traced. */
export function gossipRun(seed: number): Simulation {
  const sim = new Simulation({
    seed,
    trace: true,
    network: { latencyUs: { kind: "constant", value: 300 }, lossProbability: 0.15, reorderProbability: 0.3 },
  });
  let nextId = 0;
  for (let node = 0; node < 3; node++) {
    sim.addNode({
      create: (api) => ({
        onStart: () => api.setTimer(200, "gossip"),
        onTimer: () => {
          if (nextId >= 120) return;
          api.send((node + 1 + (nextId % 2)) % 3, { id: nextId++ });
          api.setTimer(200, "gossip");
        },
        onMessage: () => {},
      }),
    });
  }
  sim.run();
  return sim;
}
