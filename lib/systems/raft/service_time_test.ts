// Proves the Raft CPU prices: a message costs its fixed price plus one per entry it carries (an
// append's entries, a client's command), timers and disk completions cost their own prices, and
// a priced leader handles one event at a time, so a burst of requests waits in its inbox.
import assert from "node:assert/strict";
import { Rng } from "../../sim/rng.ts";
import { runRaftCluster } from "./cluster.ts";
import { entriesCarried, raftServiceTime } from "./service_time.ts";

Deno.test("raftServiceTime() prices a message plus each entry it carries, and timers and disk completions apart", () => {
  const rng = Rng.fromSeed(1);
  const price = raftServiceTime({ messageUs: 50, entryUs: 10, timerUs: 5, diskUs: 7 });
  assert.equal(price("message", { type: "append", entries: [{}, {}, {}] }, rng), 80);
  assert.equal(price("message", { type: "append", entries: [] }, rng), 50, "a heartbeat carries nothing");
  assert.equal(price("message", { type: "request" }, rng), 60, "a client request carries one command");
  assert.equal(price("message", { type: "voteResponse" }, rng), 50);
  assert.equal(price("timer", "heartbeat", rng), 5);
  assert.equal(price("disk", { op: "fsync" }, rng), 7);
  assert.equal(entriesCarried(null), 0);
  assert.throws(() => raftServiceTime({ messageUs: -1, entryUs: 0 }), /messageUs/);
});

Deno.test("a cluster whose servers' work is priced is slower per operation than one whose work is free", () => {
  const options = { servers: 3, clients: 4, durationUs: 600_000, bug: "none", schedule: { faults: [], recoveryUs: 0 } };
  const free = runRaftCluster(options, 1);
  const priced = runRaftCluster(
    { ...options, serverServiceTimeUs: raftServiceTime({ messageUs: 300, entryUs: 50 }) },
    1,
  );
  assert.ok(priced.figures.latencyUsP50 > free.figures.latencyUsP50 + 600, `${priced.figures.latencyUsP50} us`);
  const leader = priced.leaderChanges[0].server;
  assert.ok(priced.sim.hostStats(priced.sim.hostOf(leader)).cpuBusyUs > 0);
  assert.equal(free.sim.hostStats(free.sim.hostOf(leader)).cpuBusyUs, 0);
  for (const check of priced.checks) assert.equal(check.valid, true, check.message);
});
