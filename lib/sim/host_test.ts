// Proves the CPU model: priced events queue, response time grows with load, and co-located nodes share cores
// by weight and cap.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { cpuPeriodUs } from "./host.ts";
import { Simulation } from "./simulation.ts";
import type { NodeApi } from "./types.ts";

const serviceUs = 1000;

function simulation(seed = 1): Simulation {
  return new Simulation({ seed, network: { latencyUs: { kind: "constant", value: 100 } } });
}

/** A node whose every message costs `serviceUs` of CPU; returns its id and the true times it handled messages. */
function worker(
  sim: Simulation,
  options: { host?: number; cpuShares?: number; cpuCapCores?: number } = {},
): { id: number; handledAtUs: number[] } {
  const handledAtUs: number[] = [];
  const id = sim.addNode({
    ...options,
    serviceTimeUs: (kind) => (kind === "message" ? serviceUs : 0),
    create: () => ({ onMessage: () => handledAtUs.push(sim.nowUs) }),
  });
  return { id, handledAtUs };
}

/** A node with no CPU cost that sends `count` messages to each target as soon as it starts. */
function flood(sim: Simulation, targets: number[], count: number): void {
  sim.addNode({
    create: (api) => ({
      onStart: () => {
        for (let i = 0; i < count; i++) for (const target of targets) api.send(target, i);
      },
      onMessage: () => {},
    }),
  });
}

Deno.test("a node with a service time handles one event at a time and queues the rest in its inbox", () => {
  const sim = simulation();
  const server = worker(sim);
  flood(sim, [server.id], 10);
  sim.run({ untilUs: 150 });
  assert.equal(sim.nodeStats(server.id).inboxLength, 9, "one message in service, nine waiting");
  sim.run();
  assert.equal(sim.nodeStats(server.id).inboxLengthMax, 9);
  assert.equal(sim.nodeStats(server.id).inboxLength, 0);
  // All ten arrive at 100 us; each takes 1000 us of CPU, one after the other.
  assert.deepEqual(server.handledAtUs, Array.from({ length: 10 }, (_, i) => 100 + (i + 1) * serviceUs));
  assert.equal(sim.nodeStats(server.id).cpuUsedUs, 10 * serviceUs);
  assert.equal(sim.nodeStats(server.id).eventsHandled, 10);
});

/** Mean response time of an open-loop client sending Poisson arrivals at `ratePerSecond` to a 1 ms server. */
function meanResponseUs(ratePerSecond: number): number {
  const sim = simulation(11);
  const server = sim.addNode({
    serviceTimeUs: (kind) => (kind === "message" ? serviceUs : 0),
    create: (api) => ({ onMessage: (from, sentAtUs) => api.send(from, sentAtUs) }),
  });
  const meanGapUs = 1e6 / ratePerSecond;
  sim.addNode({
    create: (api: NodeApi<number>) => {
      const next = () => api.setTimer(Math.round(-meanGapUs * Math.log(1 - api.rng.next())));
      return {
        onStart: next,
        onTimer: () => {
          api.send(server, api.now());
          next();
        },
        onMessage: (_from, sentAtUs) => api.record("response_us", api.now() - sentAtUs),
      };
    },
  });
  sim.run({ untilUs: 3_000_000 });
  const responses = sim.metrics.series("response_us").value;
  assert.ok(responses.length > ratePerSecond, `only ${responses.length} responses`);
  return responses.reduce((sum, x) => sum + x, 0) / responses.length;
}

Deno.test("response time rises with load: an open-loop client at 90% utilisation waits far longer than at 10%", () => {
  const low = meanResponseUs(100); // utilisation 0.1
  const high = meanResponseUs(900); // utilisation 0.9
  // Two network hops (200 us) plus 1 ms of service is the floor; M/D/1 queueing adds about 4.5 ms at 0.9.
  assert.ok(low >= 1200 && low < 1400, `low load mean ${low}`);
  assert.ok(high > 3000, `high load mean ${high}`);
  assert.ok(high > 2 * low, `high ${high} vs low ${low}`);
});

Deno.test("two saturated nodes on a one-core host share the core about equally", () => {
  const sim = simulation();
  const host = sim.addHost({ cores: 1 });
  const a = worker(sim, { host });
  const b = worker(sim, { host });
  flood(sim, [a.id, b.id], 500);
  sim.run({ untilUs: 200_100 });
  const usedA = sim.nodeStats(a.id).cpuUsedUs;
  const usedB = sim.nodeStats(b.id).cpuUsedUs;
  assert.ok(usedA + usedB >= 199_000, `core busy ${usedA + usedB} us`);
  assert.ok(Math.abs(usedA - usedB) <= 2 * serviceUs, `a ${usedA} us, b ${usedB} us`);
  const stats = sim.hostStats(host);
  assert.ok(stats.cpuUtilisation > 0.99, `utilisation ${stats.cpuUtilisation}`);
  assert.equal(stats.cores, 1);
});

Deno.test("two saturated nodes on a two-core host each get a whole core", () => {
  const sim = simulation();
  const host = sim.addHost({ cores: 2 });
  const a = worker(sim, { host });
  const b = worker(sim, { host });
  flood(sim, [a.id, b.id], 500);
  sim.run({ untilUs: 100_100 });
  assert.equal(sim.nodeStats(a.id).cpuUsedUs, 101_000); // the one in service at the cut-off is charged up front
  assert.equal(sim.nodeStats(b.id).cpuUsedUs, 101_000);
  assert.ok(sim.hostStats(host).cpuUtilisation > 0.99);
});

Deno.test("cpuShares 2:1 gives about 2:1 CPU when both nodes are saturated", () => {
  const sim = simulation();
  const host = sim.addHost({ cores: 1 });
  const heavy = worker(sim, { host, cpuShares: 2 });
  const light = worker(sim, { host, cpuShares: 1 });
  flood(sim, [heavy.id, light.id], 1000);
  sim.run({ untilUs: 600_000 });
  const ratio = sim.nodeStats(heavy.id).cpuUsedUs / sim.nodeStats(light.id).cpuUsedUs;
  assert.ok(Math.abs(ratio - 2) < 0.1, `ratio ${ratio}`);
});

Deno.test("cpuCapCores 0.5 limits a saturated node to about half a core, even on an idle host", () => {
  const sim = simulation();
  const host = sim.addHost({ cores: 1 });
  const capped = worker(sim, { host, cpuCapCores: 0.5 });
  flood(sim, [capped.id], 2000);
  sim.run({ untilUs: 10 * cpuPeriodUs });
  const utilisation = sim.hostStats(host).cpuUtilisation;
  assert.ok(utilisation > 0.45 && utilisation < 0.55, `utilisation ${utilisation}`);
  // No period gets more than its quota (plus one event of overrun).
  const perPeriod = new Map<number, number>();
  for (const t of capped.handledAtUs) {
    const period = Math.floor((t - serviceUs) / cpuPeriodUs);
    perPeriod.set(period, (perPeriod.get(period) ?? 0) + serviceUs);
  }
  for (const [period, usedUs] of perPeriod) {
    assert.ok(usedUs <= 0.5 * cpuPeriodUs + serviceUs, `period ${period}: ${usedUs}`);
  }

  const free = simulation();
  const freeHost = free.addHost({ cores: 1 });
  const uncapped = worker(free, { host: freeHost });
  flood(free, [uncapped.id], 2000);
  free.run({ untilUs: 10 * cpuPeriodUs });
  assert.ok(free.hostStats(freeHost).cpuUtilisation > 0.99);
});

Deno.test("a capped node leaves the rest of the core to an uncapped neighbour", () => {
  const sim = simulation();
  const host = sim.addHost({ cores: 1 });
  const capped = worker(sim, { host, cpuCapCores: 0.25 });
  const other = worker(sim, { host });
  flood(sim, [capped.id, other.id], 2000);
  sim.run({ untilUs: 10 * cpuPeriodUs });
  const cappedShare = sim.nodeStats(capped.id).cpuUsedUs / sim.nowUs;
  const otherShare = sim.nodeStats(other.id).cpuUsedUs / sim.nowUs;
  assert.ok(cappedShare > 0.2 && cappedShare < 0.3, `capped share ${cappedShare}`);
  assert.ok(otherShare > 0.7, `other share ${otherShare}`);
});

Deno.test("hostStats reports utilisation as CPU served over cores times elapsed time", () => {
  const sim = simulation();
  const host = sim.addHost({ cores: 2, name: "app-1" });
  const a = worker(sim, { host });
  flood(sim, [a.id], 100); // 100 ms of work for one single-threaded node
  sim.run({ untilUs: 1_000_000 });
  const stats = sim.hostStats(host);
  assert.equal(stats.name, "app-1");
  assert.equal(stats.cpuBusyUs, 100_000);
  assert.equal(stats.cpuUtilisation, 100_000 / (2 * 1_000_000));
});

Deno.test("a crash in the middle of service frees the core for a co-located node", () => {
  const sim = simulation();
  const host = sim.addHost({ cores: 1 });
  const a = worker(sim, { host });
  const b = worker(sim, { host });
  flood(sim, [a.id, b.id], 5);
  sim.at(600, (s) => s.crash(a.id));
  sim.run();
  assert.equal(a.handledAtUs.length, 0);
  // b waited behind a's first event (100-1100), got the core at the crash, and ran its five events back to back.
  assert.deepEqual(b.handledAtUs, [1600, 2600, 3600, 4600, 5600]);
});

Deno.test("bad CPU settings are rejected naming the setting", () => {
  const sim = simulation();
  assert.throws(() => sim.addHost({ cores: 0 }), (e: Error) => e instanceof InputError && /cores/.test(e.message));
  assert.throws(
    () => worker(sim, { cpuCapCores: 2 }),
    (e: Error) => e instanceof InputError && /cpuCapCores/.test(e.message),
  );
  assert.throws(
    () => worker(sim, { cpuShares: 0 }),
    (e: Error) => e instanceof InputError && /cpuShares/.test(e.message),
  );
});

/** A node with no CPU cost whose API is kept, so a test can send from it at any time. */
function sender(sim: Simulation): () => NodeApi {
  let captured: NodeApi | undefined;
  sim.addNode({
    create: (api) => {
      captured = api;
      return { onMessage: () => {} };
    },
  });
  return () => captured!;
}

/** CPU time each node uses between true times `fromUs` and `toUs`. */
function cpuUsedBetween(sim: Simulation, nodes: number[], fromUs: number, toUs: number): number[] {
  sim.run({ untilUs: fromUs });
  const before = nodes.map((n) => sim.nodeStats(n).cpuUsedUs);
  sim.run({ untilUs: toUs });
  return nodes.map((n, i) => sim.nodeStats(n).cpuUsedUs - before[i]);
}

Deno.test("a node saturated after a long idle spell shares the core with one saturated all along, rather than starving it", () => {
  const sim = simulation();
  const host = sim.addHost({ cores: 1 });
  const busy = worker(sim, { host });
  const sleeper = worker(sim, { host });
  flood(sim, [busy.id], 3000); // 3 s of work from the start
  const wake = sender(sim);
  sim.at(1_000_000, () => {
    for (let i = 0; i < 1000; i++) wake().send(sleeper.id, i); // 1 s of work, arriving at 1.0001 s
  });
  const [usedBusy, usedSleeper] = cpuUsedBetween(sim, [busy.id, sleeper.id], 1_000_100, 1_200_100);
  // Without a wake-up floor the sleeper's idle second counts as credit and it would run alone for a second.
  assert.ok(usedBusy >= 0.3 * 200_000, `busy node used ${usedBusy} us of 200 ms`);
  assert.ok(usedSleeper >= 0.3 * 200_000, `woken node used ${usedSleeper} us of 200 ms`);
  assert.ok(usedBusy + usedSleeper >= 199_000, `core busy ${usedBusy + usedSleeper} us`);
});

Deno.test("setCpuQuota with cpuCapCores at run time limits a saturated node to that share from then on", () => {
  const sim = simulation();
  const host = sim.addHost({ cores: 1 });
  const node = worker(sim, { host });
  flood(sim, [node.id], 3000);
  const [uncapped] = cpuUsedBetween(sim, [node.id], 0, 5 * cpuPeriodUs);
  assert.ok(uncapped >= 0.95 * 5 * cpuPeriodUs, `uncapped: ${uncapped} us`);
  sim.setCpuQuota(node.id, { cpuCapCores: 0.25 });
  const [capped] = cpuUsedBetween(sim, [node.id], 5 * cpuPeriodUs, 15 * cpuPeriodUs);
  const share = capped / (10 * cpuPeriodUs);
  assert.ok(share > 0.2 && share < 0.3, `capped share ${share}`);
  sim.setCpuQuota(node.id, { cpuCapCores: 0 });
  const [freed] = cpuUsedBetween(sim, [node.id], 15 * cpuPeriodUs, 20 * cpuPeriodUs);
  assert.ok(freed >= 0.95 * 5 * cpuPeriodUs, `cap removed: ${freed} us`);
  assert.throws(() => sim.setCpuQuota(node.id, { cpuCapCores: 1.5 }), InputError);
});

Deno.test("setCpuQuota with cpuShares at run time changes the split between two saturated nodes", () => {
  const sim = simulation();
  const host = sim.addHost({ cores: 1 });
  const a = worker(sim, { host });
  const b = worker(sim, { host });
  flood(sim, [a.id, b.id], 2000);
  const [evenA, evenB] = cpuUsedBetween(sim, [a.id, b.id], 0, 300_000);
  assert.ok(Math.abs(evenA / evenB - 1) < 0.05, `before: ${evenA} vs ${evenB}`);
  sim.setCpuQuota(a.id, { cpuShares: 3 });
  const [heavyA, lightB] = cpuUsedBetween(sim, [a.id, b.id], 300_000, 700_000);
  assert.ok(Math.abs(heavyA / lightB - 3) < 0.2, `after: ratio ${heavyA / lightB}`);
  assert.throws(() => sim.setCpuQuota(a.id, { cpuShares: 0 }), InputError);
});
