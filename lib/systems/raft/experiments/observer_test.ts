// Proves the observer reads every server once per period from the start to the end of the run,
// sees what the servers hold (one leader, applied never past commit), and changes nothing the
// servers do: the history is the same with and without it.
import assert from "node:assert/strict";
import { runRaftCluster } from "./cluster.ts";

const options = { servers: 3, clients: 2, durationUs: 500_000, bug: "none", schedule: { faults: [], recoveryUs: 0 } };

Deno.test("the observer reads every server every period and sees applied indexes at or below commit", () => {
  const run = runRaftCluster({ ...options, sampleEveryUs: 10_000 }, 1);
  assert.equal(run.samples.length, 3 * 51, "readings at 0, 10 ms, ..., 500 ms");
  assert.ok(run.samples.every((s) => s.applied <= s.commit && s.commit <= s.lastIndex && s.up));
  const last = run.samples.slice(-3);
  assert.equal(last.filter((s) => s.role === "leader").length, 1);
  assert.ok(last.every((s) => s.timeUs === 500_000 && s.applied > 50));
});

Deno.test("the observer changes nothing the servers do: the same history with and without it", () => {
  const watched = runRaftCluster({ ...options, sampleEveryUs: 1_000 }, 2);
  const unwatched = runRaftCluster(options, 2);
  assert.deepEqual(watched.sim.history.events, unwatched.sim.history.events);
  assert.deepEqual(unwatched.samples, []);
});
