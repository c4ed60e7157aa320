// Proves the kernel's node lifecycle (start, crash, restart, pause, resume), its run modes and limits, and
// its kernel-side callbacks.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { Simulation, SimulationLimitError } from "./simulation.ts";
import type { NodeApi, NodeLogic } from "./types.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function simulation(options: { seed?: number; eventsMax?: number } = {}): Simulation {
  return new Simulation({
    seed: options.seed ?? 1,
    eventsMax: options.eventsMax,
    network: { latencyUs: { kind: "constant", value: 1000 } },
    host: { disk: { unsyncedOnCrash: "lose", bytesPerSecond: 0, writeLatencyUs: { kind: "constant", value: 10 } } },
  });
}

/** A node that keeps a volatile counter, logs every callback, and exposes its current API. */
function loggingNode(sim: Simulation) {
  const log: string[] = [];
  let current: NodeApi | undefined;
  let builds = 0;
  const id = sim.addNode({
    create: (api): NodeLogic => {
      current = api;
      builds++;
      let messagesSeen = 0; // volatile: lost at a crash
      return {
        onStart: () => log.push(`start#${api.incarnation}`),
        onRecover: () => log.push(`recover#${api.incarnation}:${decoder.decode(api.disk.read("state"))}`),
        onMessage: (from, message) => log.push(`message#${api.incarnation}:${from}:${message}:${++messagesSeen}`),
        onTimer: (tag) => log.push(`timer#${api.incarnation}:${tag}`),
      };
    },
  });
  sim.run();
  return { id, log, api: () => current!, builds: () => builds };
}

function sender(sim: Simulation): NodeApi {
  let captured: NodeApi | undefined;
  sim.addNode({
    create: (api) => {
      captured = api;
      return { onMessage: () => {} };
    },
  });
  sim.run();
  return captured!;
}

Deno.test("added nodes start at the current instant, in the order they were added", () => {
  const sim = simulation();
  const order: number[] = [];
  for (let i = 0; i < 3; i++) {
    sim.addNode({ create: (api) => ({ onStart: () => order.push(api.id), onMessage: () => {} }) });
  }
  assert.deepEqual(order, []);
  sim.run();
  assert.deepEqual(order, [0, 1, 2]);
  assert.equal(sim.nodeCount, 3);
  assert.equal(sim.nowUs, 0);
  assert.deepEqual([sim.nodeName(0), sim.isUp(0), sim.nodeStats(0).incarnation], ["n0", true, 1]);
});

Deno.test("a crash drops pending timers and volatile state, and the restarted node starts from scratch", () => {
  const sim = simulation();
  const node = loggingNode(sim);
  const peer = sender(sim);
  node.api().setTimer(10_000, "before crash");
  peer.send(node.id, "a");
  peer.send(node.id, "b");
  sim.at(5_000, (s) => s.crash(node.id));
  sim.at(6_000, (s) => s.restart(node.id));
  sim.at(7_000, () => peer.send(node.id, "c"));
  sim.run();
  assert.deepEqual(node.log, ["start#1", "message#1:1:a:1", "message#1:1:b:2", "recover#2:", "message#2:1:c:1"]);
  assert.equal(node.builds(), 2, "the factory builds a fresh logic object for the new incarnation");
  assert.equal(sim.nodeStats(node.id).incarnation, 2);
});

Deno.test("messages to a down node are dropped and counted", () => {
  const sim = simulation();
  const node = loggingNode(sim);
  const peer = sender(sim);
  sim.crash(node.id);
  assert.equal(sim.isUp(node.id), false);
  peer.send(node.id, "x");
  peer.send(node.id, "y");
  sim.run();
  assert.deepEqual(node.log, ["start#1"]);
  assert.equal(sim.nodeStats(node.id).messagesDroppedWhileDown, 2);
  const link = sim.network.link(peer.id, node.id);
  assert.equal(link.dropped, 2);
  assert.equal(link.delivered, 0);
});

Deno.test("a restart calls onRecover with a new incarnation and only the disk's durable contents", () => {
  const sim = simulation();
  const node = loggingNode(sim);
  node.api().disk.append("state", encoder.encode("synced;"));
  node.api().disk.fsync("state");
  sim.run();
  node.api().disk.append("state", encoder.encode("unsynced;"));
  sim.run();
  assert.equal(decoder.decode(node.api().disk.read("state")), "synced;unsynced;");
  sim.crash(node.id);
  sim.restart(node.id);
  assert.equal(node.api().incarnation, 2);
  assert.deepEqual(node.log, ["start#1", "recover#2:synced;"]);
  sim.crash(node.id);
  sim.restart(node.id);
  assert.equal(node.api().incarnation, 3, "incarnation counts starts");
});

Deno.test("a node without onRecover runs onStart again after a restart", () => {
  const sim = simulation();
  const starts: number[] = [];
  const id = sim.addNode({ create: (api) => ({ onStart: () => starts.push(api.incarnation), onMessage: () => {} }) });
  sim.run();
  sim.crash(id);
  sim.restart(id);
  assert.deepEqual(starts, [1, 2]);
  assert.throws(
    () => sim.restart(id),
    (e: Error) => e instanceof InputError && /is running; crash it first/.test(e.message),
  );
  assert.equal(sim.crash(id), 0);
  assert.equal(sim.crash(id), 0, "crashing a down node does nothing");
});

Deno.test("a paused node queues its events and handles them in arrival order when resumed", () => {
  const sim = simulation();
  const node = loggingNode(sim);
  const peer = sender(sim);
  sim.pause(node.id);
  node.api().setTimer(2_500, "while paused");
  peer.send(node.id, "first");
  sim.at(2_000, () => peer.send(node.id, "second"));
  sim.at(3_000, () => peer.send(node.id, "third"));
  sim.run({ untilUs: 10_000 });
  assert.deepEqual(node.log, ["start#1"]);
  assert.equal(sim.nodeStats(node.id).inboxLength, 4);
  assert.equal(sim.nodeStats(node.id).paused, true);
  sim.resume(node.id);
  assert.deepEqual(node.log, [
    "start#1",
    "message#1:1:first:1",
    "timer#1:while paused",
    "message#1:1:second:2",
    "message#1:1:third:3",
  ]);
  peer.send(node.id, "after resume");
  sim.run();
  assert.equal(node.log.at(-1), "message#1:1:after resume:4");
});

Deno.test("a node paused during CPU service finishes that event only when resumed", () => {
  const sim = simulation();
  const handledAtUs: number[] = [];
  const server = sim.addNode({
    serviceTimeUs: () => 1000,
    create: () => ({ onMessage: () => handledAtUs.push(sim.nowUs) }),
  });
  const peer = sender(sim);
  peer.send(server, "a");
  peer.send(server, "b");
  sim.at(1500, (s) => s.pause(server)); // "a" is in service from 1000 to 2000
  sim.at(5000, (s) => s.resume(server));
  sim.run();
  assert.deepEqual(handledAtUs, [5000, 6000]);
});

Deno.test("an API reference used after its incarnation crashed throws", () => {
  const sim = simulation();
  const node = loggingNode(sim);
  const stale = node.api();
  stale.disk.append("f", new Uint8Array([7]));
  stale.disk.fsync("f");
  sim.run();
  sim.crash(node.id);
  const acts: [string, () => unknown][] = [
    ["send", () => stale.send(0, "late")],
    ["setTimer", () => stale.setTimer(10)],
    ["cancelTimer", () => stale.cancelTimer(1)],
    ["disk.append", () => stale.disk.append("f", new Uint8Array(1))],
    ["disk.fsync", () => stale.disk.fsync("f")],
    ["disk.truncate", () => stale.disk.truncate("f", 0)],
    ["disk.rename", () => stale.disk.rename("f", "g")],
    ["disk.delete", () => stale.disk.delete("f")],
    ["record", () => stale.record("metric", 1)],
  ];
  sim.restart(node.id);
  for (const [name, act] of acts) {
    assert.throws(act, (e: Error) => e instanceof InputError && /acted after it crashed/.test(e.message), name);
  }
  assert.deepEqual(sim.files(node.id).list(), ["f"], "nothing the stale reference tried happened");
  assert.deepEqual(sim.files(node.id).read("f"), new Uint8Array([7]));
  assert.equal(sim.metrics.names().length, 0);
  node.api().send(0, "the new incarnation may act");
});

Deno.test("cancelTimer stops a pending timer and reports whether it was pending", () => {
  const sim = simulation();
  const node = loggingNode(sim);
  const keep = node.api().setTimer(100, "kept");
  const cancel = node.api().setTimer(200, "cancelled");
  assert.equal(node.api().cancelTimer(cancel), true);
  assert.equal(node.api().cancelTimer(cancel), false);
  sim.run();
  assert.equal(node.api().cancelTimer(keep), false, "a fired timer is no longer pending");
  assert.deepEqual(node.log, ["start#1", "timer#1:kept"]);
});

Deno.test("a timer cancelled after it fired but before the node handled it is never delivered", () => {
  // The node is busy (CPU-priced) or paused when the timer fires; the message ahead of it in the
  // inbox cancels it, as a heartbeat cancels an election timeout.
  for (const hold of ["cpu", "pause"] as const) {
    const sim = simulation();
    const log: string[] = [];
    let timerId = 0;
    const id = sim.addNode({
      serviceTimeUs: hold === "cpu" ? () => 1000 : undefined,
      create: (api) => ({
        onStart: () => {
          timerId = api.setTimer(1500, "election");
        },
        onMessage: (_from, message) => log.push(`${message}: cancelled=${api.cancelTimer(timerId)}`),
        onTimer: (tag) => log.push(`timer ${tag}`),
      }),
    });
    // The heartbeat arrives at 1000, before the timer fires at 1500.
    sim.addNode({ create: (api) => ({ onStart: () => api.send(id, "heartbeat"), onMessage: () => {} }) });
    if (hold === "pause") {
      sim.at(1, (s) => s.pause(id));
      sim.at(2000, (s) => s.resume(id));
    }
    sim.run();
    assert.deepEqual(log, ["heartbeat: cancelled=true"], hold);
  }
});

Deno.test("passing eventsMax throws a SimulationLimitError that says what happened and how to proceed", () => {
  const sim = simulation({ eventsMax: 100, seed: 77 });
  // Two nodes that ping-pong forever: a livelock the limit must catch.
  sim.addNode({
    create: (api) => ({ onStart: () => api.send(1, 0), onMessage: (from, n: number) => api.send(from, n + 1) }),
  });
  sim.addNode({ create: (api) => ({ onMessage: (from, n: number) => api.send(from, n + 1) }) });
  assert.throws(
    () => sim.run(),
    (e: Error) =>
      e instanceof SimulationLimitError && e.message.includes("eventsMax (100)") && e.message.includes("seed 77") &&
      e.message.includes("raise eventsMax"),
  );
  assert.equal(sim.eventsProcessed, 101);
});

Deno.test("run stops at a time, after a predicate holds, at quiescence, or after an event count", () => {
  const sim = simulation();
  const ticks: number[] = [];
  sim.addNode({
    create: (api) => ({
      onStart: () => api.setTimer(100, 1),
      onTimer: (n) => {
        ticks.push(sim.nowUs);
        if ((n as number) < 10) api.setTimer(100, (n as number) + 1);
      },
      onMessage: () => {},
    }),
  });
  assert.equal(sim.run({ untilUs: 300 }), "time");
  assert.deepEqual(ticks, [100, 200, 300], "events at exactly untilUs run");
  assert.equal(sim.nowUs, 300);

  assert.equal(sim.run({ until: () => ticks.length === 5 }), "predicate");
  assert.equal(sim.nowUs, 500);

  const processed = sim.eventsProcessed;
  assert.equal(sim.run({ untilEvents: processed + 2 }), "events");
  assert.equal(sim.eventsProcessed, processed + 2);
  assert.equal(sim.run({ untilEvents: processed + 2 }), "events", "a reached event count stops at once");
  assert.equal(sim.eventsProcessed, processed + 2);

  assert.equal(sim.run(), "quiescent");
  assert.equal(ticks.length, 10);
  assert.equal(sim.nowUs, 1000);

  assert.equal(sim.runFor(5000), "time", "time advances to untilUs even with nothing to do");
  assert.equal(sim.nowUs, 6000);
  assert.throws(() => sim.run({ untilUs: 10 }), InputError);
});

Deno.test("at() and after() call back at the given true times, ties in the order they were scheduled", () => {
  const sim = simulation();
  const calls: string[] = [];
  sim.at(500, (s) => {
    calls.push(`at500@${s.nowUs}`);
    s.after(250, (t) => calls.push(`after250@${t.nowUs}`));
  });
  sim.at(100, (s) => calls.push(`at100@${s.nowUs}`));
  sim.at(500, (s) => calls.push(`at500-second@${s.nowUs}`));
  sim.after(0, (s) => calls.push(`after0@${s.nowUs}`));
  sim.run();
  assert.deepEqual(calls, ["after0@0", "at100@100", "at500@500", "at500-second@500", "after250@750"]);
  assert.throws(() => sim.at(10, () => {}), InputError, "the past cannot be scheduled");
  assert.throws(() => sim.after(-1, () => {}), InputError);
});

Deno.test("records from nodes are stamped with true time and the node id", () => {
  const sim = simulation();
  const id = sim.addNode({
    create: (api) => ({ onStart: () => api.setTimer(250), onTimer: () => api.record("ticks", 7), onMessage: () => {} }),
  });
  sim.clock(id).setOffset(1_000_000); // the node's skewed clock does not matter
  sim.run();
  assert.deepEqual(sim.metrics.rows("ticks"), [{ timeUs: 250, node: id, value: 7 }]);
  assert.deepEqual(sim.metrics.names(), ["ticks"]);
});

Deno.test("unknown simulation and node options are rejected with the allowed names", () => {
  assert.throws(
    () => new Simulation({ seed: 1, seeed: 2 } as never),
    (e: Error) =>
      e instanceof InputError && e.message.includes('unknown simulation option "seeed"') &&
      e.message.includes("eventsMax"),
  );
  const sim = simulation();
  assert.throws(
    () => sim.addNode({ create: () => ({ onMessage: () => {} }), cpushares: 2 } as never),
    (e: Error) =>
      e instanceof InputError && e.message.includes('unknown node option "cpushares"') &&
      e.message.includes("cpuShares"),
  );
  assert.throws(() => sim.addNode({} as never), /create\(api\)/);
  assert.throws(() => sim.crash(9), (e: Error) => e instanceof InputError && /no node 9/.test(e.message));
});

Deno.test("nodeId finds a node by name, and an unknown name throws listing the names there are", () => {
  const sim = simulation();
  sim.addNode({ name: "leader", create: () => ({ onMessage: () => {} }) });
  const follower = sim.addNode({ name: "follower", create: () => ({ onMessage: () => {} }) });
  const unnamed = sim.addNode({ create: () => ({ onMessage: () => {} }) });
  assert.equal(sim.nodeId("leader"), 0);
  assert.equal(sim.nodeId("follower"), follower);
  assert.equal(sim.nodeId(`n${unnamed}`), unnamed, "a node without a name is called n<id>");
  assert.throws(
    () => sim.nodeId("leeder"),
    (e: Error) =>
      e instanceof InputError && e.message.includes('no node named "leeder"') &&
      e.message.includes("leader, follower, n2"),
  );
});
