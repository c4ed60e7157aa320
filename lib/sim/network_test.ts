// Proves the simulated network delivers with the configured latency, loss, duplication, bandwidth and
// partitions, and counts what it did.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { Simulation, type SimulationOptions } from "./simulation.ts";
import type { NodeApi } from "./types.ts";

interface Arrival {
  from: number;
  message: unknown;
  atUs: number;
}

/** Adds `count` nodes that remember what they receive, starts them, and hands back their APIs. */
function recorders(
  sim: Simulation,
  count: number,
  placement: (index: number) => { region?: string; zone?: string } = () => ({}),
): { apis: NodeApi[]; inboxes: Arrival[][] } {
  const apis: NodeApi[] = [];
  const inboxes: Arrival[][] = [];
  for (let i = 0; i < count; i++) {
    const inbox: Arrival[] = [];
    inboxes.push(inbox);
    sim.addNode({
      ...placement(i),
      create: (api) => {
        apis[api.id] = api;
        return { onMessage: (from, message) => inbox.push({ from, message, atUs: sim.nowUs }) };
      },
    });
  }
  sim.run();
  return { apis, inboxes };
}

function simulation(network: SimulationOptions["network"] = {}, seed = 1): Simulation {
  return new Simulation({ seed, network: { latencyUs: { kind: "constant", value: 1000 }, ...network } });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

Deno.test("message latency stays within the configured range and spreads across it", () => {
  const sim = simulation({ latencyUs: { kind: "uniform", min: 1000, max: 2000 } });
  const { apis, inboxes } = recorders(sim, 2);
  for (let i = 0; i < 500; i++) apis[0].send(1, i);
  sim.run();
  const latencies = inboxes[1].map((arrival) => arrival.atUs);
  assert.equal(latencies.length, 500);
  assert.ok(
    latencies.every((us) => us >= 1000 && us <= 2000),
    `latencies ${Math.min(...latencies)}..${Math.max(...latencies)}`,
  );
  assert.ok(Math.min(...latencies) < 1100 && Math.max(...latencies) > 1900);
});

Deno.test("a message's own latency replaces the link's draw; undefined falls back to the link's latency", () => {
  const sim = simulation({
    extraLatencyUs: 5,
    latencyUsOfMessage: (message, rng) => message === "write" ? 20_000 + Math.floor(rng.next()) : undefined,
  });
  const { apis, inboxes } = recorders(sim, 2);
  apis[0].send(1, "write");
  apis[0].send(1, "read");
  sim.run();
  assert.deepEqual(inboxes[1].map((arrival) => [arrival.message, arrival.atUs]), [["read", 1005], ["write", 20_005]]);
});

Deno.test("a message latency that is negative or not a function is refused by name", () => {
  const sim = simulation({ latencyUsOfMessage: () => -1 });
  const { apis } = recorders(sim, 2);
  assert.throws(
    () => apis[0].send(1, "x"),
    (e: Error) => e instanceof InputError && /latencyUsOfMessage gave -1/.test(e.message),
  );
  assert.throws(
    () => simulation({ latencyUsOfMessage: 3 as never }),
    (e: Error) => e instanceof InputError && /latencyUsOfMessage must be a function/.test(e.message),
  );
});

Deno.test("a partition drops messages sent across it, and messages sent after heal are delivered", () => {
  const sim = simulation();
  const { apis, inboxes } = recorders(sim, 3);
  sim.network.partition([[0], [1, 2]]);
  apis[0].send(1, "lost");
  apis[1].send(0, "lost too");
  apis[1].send(2, "same side");
  sim.run();
  assert.equal(inboxes[0].length, 0);
  assert.equal(inboxes[1].length, 0);
  assert.deepEqual(inboxes[2].map((a) => a.message), ["same side"]);

  sim.network.healAll();
  apis[0].send(1, "after heal");
  apis[1].send(0, "after heal too");
  sim.run();
  assert.deepEqual(inboxes[1].map((a) => a.message), ["after heal"]);
  assert.deepEqual(inboxes[0].map((a) => a.message), ["after heal too"]);
  assert.equal(sim.network.link(0, 1).dropped, 1);
  assert.equal(sim.network.link(0, 1).delivered, 1);
});

Deno.test("a one-way block drops messages in one direction only, until it is unblocked", () => {
  const sim = simulation();
  const { apis, inboxes } = recorders(sim, 2);
  sim.network.block(0, 1);
  assert.equal(sim.network.isBlocked(0, 1), true);
  assert.equal(sim.network.isBlocked(1, 0), false);
  apis[0].send(1, "blocked");
  apis[1].send(0, "open");
  sim.run();
  assert.equal(inboxes[1].length, 0);
  assert.deepEqual(inboxes[0].map((a) => a.message), ["open"]);
  sim.network.unblock(0, 1);
  apis[0].send(1, "unblocked");
  sim.run();
  assert.deepEqual(inboxes[1].map((a) => a.message), ["unblocked"]);
});

Deno.test("a message in flight when its link is cut is dropped on arrival", () => {
  const sim = simulation({ latencyUs: { kind: "constant", value: 10_000 } });
  const { apis, inboxes } = recorders(sim, 2);
  apis[0].send(1, "in flight");
  sim.at(5_000, (s) => s.network.block(0, 1));
  sim.at(20_000, (s) => s.network.unblock(0, 1));
  sim.run();
  assert.equal(inboxes[1].length, 0);
  const link = sim.network.link(0, 1);
  assert.equal(link.sent, 1);
  assert.equal(link.dropped, 1);
  assert.equal(link.delivered, 0);
});

Deno.test("loss probability drops about that fraction of messages", () => {
  const sim = simulation({ lossProbability: 0.2 });
  const { apis, inboxes } = recorders(sim, 2);
  const count = 5000;
  for (let i = 0; i < count; i++) apis[0].send(1, i);
  sim.run();
  const delivered = inboxes[1].length;
  assert.ok(Math.abs(delivered / count - 0.8) < 0.03, `delivered ${delivered} of ${count}`);
  const link = sim.network.link(0, 1);
  assert.equal(link.dropped + link.delivered, count);
});

Deno.test("a duplicated message is delivered twice", () => {
  const sim = simulation();
  const { apis, inboxes } = recorders(sim, 2);
  sim.network.configureLink(0, 1, { duplicateProbability: 1 });
  apis[0].send(1, "once");
  apis[0].send(1, "twice");
  sim.run();
  assert.deepEqual(inboxes[1].map((a) => a.message), ["once", "once", "twice", "twice"]);
  const link = sim.network.link(0, 1);
  assert.equal(link.sent, 2);
  assert.equal(link.duplicated, 2);
  assert.equal(link.delivered, 4);
});

Deno.test("reordering lets later messages overtake earlier ones, and without it a constant-latency link is FIFO", () => {
  const fifo = simulation();
  const fifoNodes = recorders(fifo, 2);
  for (let i = 0; i < 100; i++) fifoNodes.apis[0].send(1, i);
  fifo.run();
  assert.deepEqual(fifoNodes.inboxes[1].map((a) => a.message), [...Array(100).keys()]);

  const shuffled = simulation({ reorderProbability: 0.5, reorderDelayUsMax: 50_000 });
  const shuffledNodes = recorders(shuffled, 2);
  for (let i = 0; i < 100; i++) shuffledNodes.apis[0].send(1, i);
  shuffled.run();
  const order = shuffledNodes.inboxes[1].map((a) => a.message as number);
  assert.equal(order.length, 100);
  assert.notDeepEqual(order, [...Array(100).keys()]);
  assert.deepEqual([...order].sort((a, b) => a - b), [...Array(100).keys()]);
});

Deno.test("limited bandwidth adds a size-dependent delay and queues messages behind each other", () => {
  // 1 byte per microsecond: a 1000-byte message takes 1000 us to put on the wire.
  const sim = simulation({ latencyUs: { kind: "constant", value: 100 }, bandwidthBytesPerSecond: 1_000_000 });
  const { apis, inboxes } = recorders(sim, 3);
  apis[0].send(1, "small", 10);
  sim.run();
  assert.equal(inboxes[1][0].atUs, 10 + 100);

  const startUs = sim.nowUs;
  apis[0].send(2, "big-1", 1000);
  apis[0].send(2, "big-2", 1000);
  apis[0].send(2, "big-3", 1000);
  apis[1].send(2, "other link", 1000); // links are independent: no queueing behind 0 -> 2
  sim.run();
  const at = Object.fromEntries(inboxes[2].map((a) => [a.message, a.atUs - startUs]));
  assert.deepEqual(at, { "big-1": 1100, "big-2": 2100, "big-3": 3100, "other link": 1100 });
});

Deno.test("default latencies follow placement: same zone is fastest, then cross zone, then cross region", () => {
  const sim = new Simulation({ seed: 3 });
  const places = [
    { region: "eu", zone: "eu-a" },
    { region: "eu", zone: "eu-a" },
    { region: "eu", zone: "eu-b" },
    { region: "us", zone: "us-a" },
  ];
  const { apis, inboxes } = recorders(sim, 4, (i) => places[i]);
  for (let i = 0; i < 200; i++) {
    apis[0].send(1, "same zone");
    apis[0].send(2, "cross zone");
    apis[0].send(3, "cross region");
  }
  sim.run();
  const sameZone = median(inboxes[1].map((a) => a.atUs));
  const crossZone = median(inboxes[2].map((a) => a.atUs));
  const crossRegion = median(inboxes[3].map((a) => a.atUs));
  assert.ok(sameZone >= 200 && sameZone <= 400, `same zone ${sameZone}`);
  assert.ok(crossZone > 800 && crossZone < 1200, `cross zone ${crossZone}`);
  assert.ok(crossRegion > 35_000 && crossRegion < 45_000, `cross region ${crossRegion}`);
});

Deno.test("a named region pair overrides the cross-region latency in both directions", () => {
  const sim = new Simulation({
    seed: 1,
    network: { latencyUsByRegionPair: { "eu|us": { kind: "constant", value: 70_000 } } },
  });
  const places = [{ region: "eu" }, { region: "us" }, { region: "ap" }];
  const { apis, inboxes } = recorders(sim, 3, (i) => places[i]);
  apis[0].send(1, "eu to us");
  apis[1].send(0, "us to eu");
  apis[0].send(2, "eu to ap");
  sim.run();
  assert.equal(inboxes[1][0].atUs, 70_000);
  assert.equal(inboxes[0][0].atUs, 70_000);
  assert.ok(inboxes[2][0].atUs > 30_000 && inboxes[2][0].atUs < 55_000);
});

Deno.test("link stats count messages sent, delivered and dropped, and the bytes of each", () => {
  const sim = simulation();
  const { apis } = recorders(sim, 3);
  apis[0].send(1, "a", 100);
  apis[0].send(1, "b", 200);
  apis[1].send(0, "c"); // default size 64
  sim.run();
  sim.network.block(0, 1);
  apis[0].send(1, "dropped", 300);
  sim.run();
  assert.deepEqual(sim.network.linkStats(), [
    { from: 0, to: 1, sent: 3, delivered: 2, dropped: 1, duplicated: 0, bytesSent: 600, bytesDelivered: 300 },
    { from: 1, to: 0, sent: 1, delivered: 1, dropped: 0, duplicated: 0, bytesSent: 64, bytesDelivered: 64 },
  ]);
});

Deno.test("configureLink changes one direction only and resetLink restores the placement defaults", () => {
  const sim = simulation();
  const { apis, inboxes } = recorders(sim, 2);
  sim.network.configureLink(0, 1, { extraLatencyUs: 5000 });
  apis[0].send(1, "slow");
  apis[1].send(0, "normal");
  sim.run();
  assert.equal(inboxes[1][0].atUs, 6000);
  assert.equal(inboxes[0][0].atUs, 1000);
  sim.network.resetLink(0, 1);
  const startUs = sim.nowUs;
  apis[0].send(1, "fast again");
  sim.run();
  assert.equal(inboxes[1][1].atUs - startUs, 1000);
});

Deno.test("an unknown network option is rejected with a message listing the allowed ones", () => {
  assert.throws(
    () => new Simulation({ seed: 1, network: { latency: { kind: "constant", value: 1 } } as never }),
    (e: Error) =>
      e instanceof InputError && e.message.includes('unknown network option "latency"') &&
      e.message.includes("latencyUs, latencyUsCrossZone, latencyUsCrossRegion, latencyUsByRegionPair") &&
      e.message.includes("lossProbability") && e.message.includes("bandwidthBytesPerSecond"),
  );
});

Deno.test("out-of-range link settings are rejected naming the setting", () => {
  assert.throws(
    () => new Simulation({ seed: 1, network: { lossProbability: 1.5 } }),
    (e: Error) => e instanceof InputError && e.message.includes("network.lossProbability"),
  );
  const sim = simulation();
  recorders(sim, 2);
  assert.throws(
    () => sim.network.configureLink(0, 1, { duplicateProbability: -0.1 }),
    (e: Error) => e instanceof InputError && e.message.includes("link.duplicateProbability"),
  );
  assert.throws(() => sim.network.block(0, 7), (e: Error) => e instanceof InputError && /no node 7/.test(e.message));
  assert.throws(() => sim.network.partition([[0, 1], [1]]), /node 1 is in two partition groups/);
});

Deno.test("sending to a node that does not exist, or with a bad size, fails loudly", () => {
  const sim = simulation();
  const { apis } = recorders(sim, 2);
  assert.throws(() => apis[0].send(5, "nowhere"), (e: Error) => e instanceof InputError && /node 5/.test(e.message));
  assert.throws(() => apis[0].send(1, "bad size", NaN), InputError);
  assert.throws(() => apis[0].send(1, "bad size", -1), InputError);
});

Deno.test("a link cut and healed while a message is in flight still drops it, and a message sent after the heal arrives", () => {
  const sim = simulation({ latencyUs: { kind: "constant", value: 10_000 } });
  const { apis, inboxes } = recorders(sim, 2);
  apis[0].send(1, "in flight across the cut");
  apis[1].send(0, "other direction");
  sim.at(3_000, (s) => s.network.block(0, 1));
  sim.at(4_000, (s) => s.network.unblock(0, 1));
  sim.at(5_000, () => apis[0].send(1, "sent after the heal"));
  sim.run();
  assert.deepEqual(inboxes[1].map((a) => [a.message, a.atUs]), [["sent after the heal", 15_000]]);
  assert.deepEqual(
    inboxes[0].map((a) => a.message),
    ["other direction"],
    "a one-way cut leaves the reverse link alone",
  );
  const link = sim.network.link(0, 1);
  assert.equal(link.cuts, 1);
  assert.deepEqual([link.sent, link.dropped, link.delivered], [2, 1, 1]);
  assert.equal(sim.network.isBlocked(0, 1), false);

  // Blocking a link that is already cut is not a new cut; a partition and healAll count like block and unblock.
  sim.network.block(0, 1);
  sim.network.block(0, 1);
  assert.equal(link.cuts, 2);
  sim.network.healAll();
  apis[0].send(1, "before a partition");
  sim.after(1_000, (s) => s.network.partition([[0], [1]]));
  sim.after(2_000, (s) => s.network.healAll());
  sim.run();
  assert.equal(inboxes[1].length, 1, "the partition dropped the message in flight though it healed first");
  assert.equal(link.cuts, 3);
});
