// Proves the Raft CPU prices: a message costs its fixed price plus one per entry it carries (an
// append's entries, a client's write; a client's read carries none), timers and disk completions
// cost their own prices, a priced leader handles one event at a time, so a burst of requests
// waits in its inbox, and reads cost entries only where they travel as entries, through the log.
import assert from "node:assert/strict";
import { Rng } from "../../sim/rng.ts";
import { runRaftCluster } from "./experiments/mod.ts";
import { entriesCarried, raftServiceTime } from "./service_time.ts";

Deno.test("raftServiceTime() prices a message plus each entry it carries, and timers and disk completions apart", () => {
  const rng = Rng.fromSeed(1);
  const price = raftServiceTime({ messageUs: 50, entryUs: 10, timerUs: 5, diskUs: 7 });
  assert.equal(price("message", { type: "append", entries: [{}, {}, {}] }, rng), 80);
  assert.equal(price("message", { type: "append", entries: [] }, rng), 50, "a heartbeat carries nothing");
  assert.equal(price("message", { type: "request", f: "put" }, rng), 60, "a client's write carries one command");
  assert.equal(price("message", { type: "request", f: "append" }, rng), 60);
  assert.equal(price("message", { type: "request", f: "get" }, rng), 50, "a client's read is a message only");
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

Deno.test("reads cost entries only where they travel as entries: not at a ReadIndex leader, in the appends through the log", () => {
  /** CPU per completed read, leader and followers, under a read-only load at a price per entry. */
  const perRead = (readMode: "readIndex" | "log", entryUs: number) => {
    const run = runRaftCluster({
      servers: 3,
      clients: 4,
      durationUs: 600_000,
      bug: "none",
      schedule: { faults: [], recoveryUs: 0 },
      readFraction: 1,
      readMode,
      serverServiceTimeUs: raftServiceTime({ messageUs: 100, entryUs }),
    }, 1);
    const leader = run.leaderChanges[0].server;
    const cpu = (servers: number[]) =>
      servers.reduce((sum, s) => sum + run.sim.nodeStats(s).cpuUsedUs, 0) / run.figures.operationsOk;
    return { leader: cpu([leader]), followers: cpu(run.servers.filter((s) => s !== leader)) };
  };
  // By ReadIndex a read is a request, a confirmation round and an answer: no entry anywhere, so
  // what an entry costs changes nothing (only the new leader's first entry is priced).
  const free = perRead("readIndex", 0);
  const dear = perRead("readIndex", 400);
  assert.ok(Math.abs(dear.leader - free.leader) < 0.01 * free.leader, `${free.leader} then ${dear.leader} us per read`);
  // Through the log each read is an entry the followers receive in an append: they pay for it.
  const logFree = perRead("log", 0);
  const logDear = perRead("log", 400);
  assert.ok(logDear.followers - logFree.followers > 2 * 300, `${logFree.followers} then ${logDear.followers} us`);
});
