// Proves api.work: CPU work a handler reports beyond its service time holds the node's CPU, so its
// later events wait behind it in arrival order, on its host's cores like any priced event; it is
// counted as CPU used, discarded by a crash, refused outside a handler, and deterministic.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { Simulation } from "./simulation.ts";
import type { NodeApi, NodeLogic } from "./types.ts";

const latencyUs = 100;

function simulation(seed = 1): Simulation {
  return new Simulation({ seed, network: { latencyUs: { kind: "constant", value: latencyUs } } });
}

/** A node that sends `messages` to `to` when it starts, one every `gapUs` (by timers). */
function sender(sim: Simulation, to: () => number, messages: number, gapUs: number): number {
  return sim.addNode({
    create: (api) => {
      let sent = 0;
      const next = () => {
        api.send(to(), sent++);
        if (sent < messages) api.setTimer(gapUs, "next");
      };
      return { onStart: next, onTimer: next, onMessage() {} };
    },
  });
}

/**
 * A node without a service-time model that reports `recoverWorkUs` of work in onRecover and
 * `messageWorkUs` per message, logging what it handles with the true time.
 */
function replayingNode(
  sim: Simulation,
  options: { recoverWorkUs?: number; messageWorkUs?: number; host?: number } = {},
): { id: number; log: string[]; api: () => NodeApi } {
  const log: string[] = [];
  let current: NodeApi | undefined;
  const id = sim.addNode({
    host: options.host,
    create: (api): NodeLogic => {
      current = api;
      return {
        onStart: () => log.push(`start@${sim.nowUs}`),
        onRecover: () => {
          log.push(`recover@${sim.nowUs}`);
          api.work(options.recoverWorkUs ?? 0);
          // A timer of 0 us is the way to act once the work is done: it fires now and waits behind it.
          api.setTimer(0, "replayed");
        },
        onMessage: (_from, message) => {
          log.push(`message ${message}@${sim.nowUs}`);
          if (options.messageWorkUs !== undefined) api.work(options.messageWorkUs);
        },
        onTimer: (tag) => log.push(`${tag}@${sim.nowUs}`),
      };
    },
  });
  return { id, log, api: () => current! };
}

Deno.test("work reported in onRecover holds the node: messages and a 0 us timer wait, then run in arrival order", () => {
  const sim = simulation();
  const node = replayingNode(sim, { recoverWorkUs: 5_000 });
  sim.run();
  sim.crash(node.id);
  sim.restart(node.id); // at 0 us: the replay ends at 5000 us
  sender(sim, () => node.id, 3, 1_000); // arrivals at 100, 1100, 2100 us
  sim.run();
  assert.deepEqual(node.log, [
    "start@0",
    "recover@0",
    // The timer fired at 0 but queued behind the work; the messages arrived during it, in order.
    "replayed@5000",
    "message 0@5000",
    "message 1@5000",
    "message 2@5000",
  ]);
  assert.equal(sim.nodeStats(node.id).cpuUsedUs, 5_000);
  assert.equal(sim.nodeStats(node.id).inboxLengthMax, 4, "the work item and the three events behind it");
});

Deno.test("work without a service-time model holds a core: a co-located priced node waits for it", () => {
  const sim = simulation();
  const host = sim.addHost({ cores: 1 });
  const busy = replayingNode(sim, { messageWorkUs: 3_000, host });
  const pricedAtUs: number[] = [];
  const priced = sim.addNode({
    host,
    serviceTimeUs: () => 1_000,
    create: () => ({ onMessage: () => pricedAtUs.push(sim.nowUs) }),
  });
  // Both receive a message at 100 us; the work starts first (its handler is free), the priced event waits.
  sender(sim, () => busy.id, 1, 1);
  sender(sim, () => priced, 1, 1);
  sim.run();
  assert.deepEqual(busy.log, ["start@0", "message 0@100"]);
  assert.deepEqual(pricedAtUs, [100 + 3_000 + 1_000]);
  assert.equal(sim.hostStats(host).cpuBusyUs, 4_000);
});

Deno.test("work reported by a priced handler follows its service: the next event waits for both", () => {
  const sim = simulation();
  const handledAtUs: number[] = [];
  let api: NodeApi | undefined;
  const node = sim.addNode({
    serviceTimeUs: (kind) => (kind === "message" ? 1_000 : 0),
    create: (a) => {
      api = a;
      return {
        onMessage: () => {
          handledAtUs.push(sim.nowUs);
          api!.work(500.4); // rounded to 500 us
          api!.work(1_500); // calls in one handler add up
        },
      };
    },
  });
  sender(sim, () => node, 2, 10); // arrivals at 100 and 110 us
  sim.run();
  // First: service 100-1100, handled at 1100, work 1100-3100; second: service 3100-4100.
  assert.deepEqual(handledAtUs, [1_100, 4_100]);
  assert.equal(sim.nodeStats(node).cpuUsedUs, 2 * (1_000 + 2_000));
});

Deno.test("a crash during reported work discards the rest: only the new incarnation's work delays its events", () => {
  const sim = simulation();
  const node = replayingNode(sim, { recoverWorkUs: 1_000_000 });
  sim.run();
  sim.crash(node.id);
  sim.restart(node.id);
  sim.run({ untilUs: 10_000 });
  sim.crash(node.id);
  sim.restart(node.id); // a second replay, from 10 ms to 1010 ms
  sender(sim, () => node.id, 1, 1);
  sim.run();
  assert.deepEqual(node.log, ["start@0", "recover@0", "recover@10000", "replayed@1010000", "message 0@1010000"]);
  // The first replay's end at 1000000 us belongs to a dead incarnation and frees nothing early.
  assert.equal(sim.nodeStats(node.id).cpuUsedUs, 2_000_000, "CPU is charged when work starts, as service is");
});

Deno.test("work outside a handler, negative or not finite is refused with a clear error", () => {
  const sim = simulation();
  const node = replayingNode(sim);
  sim.run();
  assert.throws(() => node.api().work(10), /reported work outside its handlers; call api.work from onStart/);
  let thrown: unknown;
  sim.addNode({
    create: (api) => ({
      onStart: () => {
        try {
          api.work(-1);
        } catch (error) {
          thrown = error;
        }
        assert.throws(() => api.work(Number.NaN), InputError);
      },
      onMessage() {},
    }),
  });
  sim.run();
  assert.ok(thrown instanceof InputError && /work cpuUs/.test(thrown.message), String(thrown));
});

Deno.test("runs with reported work are deterministic, and the amount of work is in the run hash", () => {
  const run = (workUs: number) => {
    const sim = simulation(7);
    const node = replayingNode(sim, { messageWorkUs: workUs });
    sender(sim, () => node.id, 20, 300);
    sim.run();
    return { hash: sim.hash(), log: node.log.join(",") };
  };
  assert.deepEqual(run(1_000), run(1_000));
  assert.notEqual(run(1_000).hash, run(1_001).hash);
});
