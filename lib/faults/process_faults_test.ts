// Proves each process fault kind, run by the nemesis from a schedule on the probe cluster, takes
// down, restarts or freezes exactly its targets for exactly its window, with the loss of volatile
// state and unsynced writes a real crash has, and brings them back.
import assert from "node:assert/strict";
import { heardBetween, probeCluster, probeRecordBytes, readAt, strike } from "./_probe_cluster.ts";

const settleUs = 1_000;

/** Samples `sim.isUp` of every cluster node every `everyUs` in [fromUs, toUs]. Call before running. */
function sampleUp(probe: ReturnType<typeof probeCluster>, fromUs: number, toUs: number, everyUs = 1_000) {
  const samples: { atUs: number; up: boolean[] }[] = [];
  for (let atUs = fromUs; atUs <= toUs; atUs += everyUs) {
    probe.sim.at(atUs, (sim) => samples.push({ atUs, up: probe.cluster.nodes.map((n) => sim.isUp(n)) }));
  }
  return samples;
}

Deno.test("crash with durationUs: the node is down in the window, restarts after it, and its unsynced writes are lost", () => {
  const probe = probeCluster({ unsyncedOnCrash: "lose" });
  // 300 us after a tick the record is written but its fsync (about 500 us) has not completed.
  const crashUs = 100_300;
  const healUs = crashUs + 200_000;
  const nemesis = strike(probe, [{
    at: crashUs,
    fault: { kind: "crash", targets: { nodes: ["n1"] }, durationUs: 200_000 },
  }]);
  const log = () => ({
    size: probe.sim.files(1).size("log"),
    durable: probe.sim.files(1).durableLength("log"),
    incarnation: probe.sim.nodeStats(1).incarnation,
  });
  const [beforeCrash, afterCrash] = [readAt(probe, crashUs - 1, crashUs, log), readAt(probe, healUs, healUs + 1, log)];
  const samples = sampleUp(probe, crashUs, healUs + 10_000);
  const heardDuring = heardBetween(probe, crashUs + settleUs, healUs);
  const heardAfter = heardBetween(probe, healUs + settleUs, healUs + 100_000);
  probe.sim.run({ untilUs: nemesis.endUs });

  const [before, crashed] = beforeCrash();
  assert.ok(before.size > before.durable, `an unsynced record is pending: ${JSON.stringify(before)}`);
  assert.equal(crashed.size, crashed.durable, "the page cache is gone");
  assert.ok(crashed.durable < before.size, `the durable log (${crashed.durable}) is shorter than what was written`);
  assert.equal(crashed.durable % probeRecordBytes, 0, "with the lose policy no record is torn");
  for (const { atUs, up } of samples) {
    assert.equal(up[1], atUs >= healUs, `n1 up at ${atUs}`);
    assert.ok(up[0] && up[2] && up[3] && up[4], `the others stay up at ${atUs}`);
  }
  const [restarted] = afterCrash();
  assert.equal(restarted.incarnation, 2);
  const during = heardDuring();
  for (const other of [0, 2, 3, 4]) assert.equal(during[other][1], 0, `n${other} heard the crashed n1`);
  for (const other of [0, 2, 3, 4]) assert.ok(heardAfter()[other][1] > 0, `n${other} hears n1 again`);
  const [fault] = nemesis.coverage().faults;
  assert.equal(fault.effects.nodesStruck, 1);
  assert.ok(fault.effects.writesLost > 0, JSON.stringify(fault.effects));
  assert.ok(fault.effects.messagesDroppedWhileDown > 0, "heartbeats to the down node are dropped");
  assert.ok(fault.touched);
  assert.equal(fault.endUs, healUs);
});

Deno.test("crash without durationUs: the node stays down until the final heal brings it back", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{ at: 100_000, fault: { kind: "crash", targets: { nodes: ["n2"] } } }], {
    healAtUs: 400_000,
  });
  const samples = sampleUp(probe, 100_000, 410_000, 5_000);
  probe.sim.run({ untilUs: nemesis.endUs });

  for (const { atUs, up } of samples) assert.equal(up[2], atUs >= 400_000, `n2 up at ${atUs}`);
  assert.equal(probe.sim.nodeStats(2).incarnation, 2);
  const [fault] = nemesis.coverage().faults;
  assert.equal(fault.endUs, 400_000);
  assert.deepEqual(
    probe.history.faults().map((op) => [op.time, op.f, (op.value as { phase?: string } | null)?.phase]),
    [[100_000, "crash", "start"], [400_000, "crash", "heal"], [400_000, "heal-all", undefined]],
  );
});

Deno.test("restart: the node is crashed and restarted in the same instant, its incarnation rising by one", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{ at: 100_000, fault: { kind: "restart", targets: { nodes: ["n3"] } } }]);
  const incarnations = readAt(probe, 99_999, 100_000, () => probe.sim.nodeStats(3).incarnation);
  const samples = sampleUp(probe, 95_000, 150_000, 500);
  probe.sim.run({ untilUs: nemesis.endUs });

  assert.deepEqual(incarnations(), [1, 2]);
  assert.ok(samples.every(({ up }) => up.every(Boolean)), "no node is ever seen down");
  assert.equal(probe.sim.nodeStats(3).incarnation, 2, "once, not again at the final heal");
  const [fault] = nemesis.coverage().faults;
  assert.equal(fault.startUs, 100_000);
  assert.equal(fault.endUs, 100_000);
  assert.equal(fault.effects.restartedAtOnce, 1);
  assert.ok(fault.touched);
});

Deno.test("pause: heartbeats to the frozen node pile up and all run when it resumes", () => {
  const probe = probeCluster();
  const [startUs, endUs] = [100_000, 300_000];
  const nemesis = strike(probe, [{
    at: startUs,
    fault: { kind: "pause", targets: { nodes: ["n2"] }, durationUs: 200_000 },
  }]);
  const handledWhilePaused = heardBetween(probe, startUs, endUs - 1);
  const handledByResume = heardBetween(probe, startUs, endUs);
  // Read after the resume at the same instant: everything delivered to n2 so far has been handled.
  const delivered = readAt(
    probe,
    startUs,
    endUs,
    () => [0, 1, 3, 4].map((j) => probe.sim.network.link(j, 2).delivered),
  );
  const sentWhilePaused = heardBetween(probe, startUs + settleUs, endUs - 1);
  probe.sim.run({ untilUs: nemesis.endUs });

  const frozen = handledWhilePaused();
  for (const other of [0, 1, 3, 4]) assert.equal(frozen[2][other], 0, `paused n2 handled a heartbeat from n${other}`);
  for (const other of [0, 1, 3, 4]) assert.equal(sentWhilePaused()[other][2], 0, `paused n2 sent to n${other}`);
  const [deliveredAtStart, deliveredAtResume] = delivered();
  const resumed = handledByResume();
  [0, 1, 3, 4].forEach((other, i) => {
    const arrived = deliveredAtResume[i] - deliveredAtStart[i];
    assert.ok(arrived >= 19, `about 20 heartbeats from n${other} arrived, got ${arrived}`);
    assert.equal(resumed[2][other], arrived, `every heartbeat from n${other} ran at the resume`);
  });
  assert.equal(probe.sim.isUp(2), true);
  const [fault] = nemesis.coverage().faults;
  assert.ok(fault.effects.eventsQueuedWhilePaused >= 4 * 19, JSON.stringify(fault.effects));
  assert.ok(fault.touched);
});

Deno.test("rolling-restart: every target is restarted once, one at a time, never two down together", () => {
  const probe = probeCluster();
  probe.sim.trace.enabled = true;
  const [downtimeUs, gapUs] = [50_000, 20_000];
  const nemesis = strike(probe, [{ at: 100_000, fault: { kind: "rolling-restart", downtimeUs, gapUs } }]);
  const samples = sampleUp(probe, 100_000, 500_000);
  probe.sim.run({ untilUs: nemesis.endUs });

  for (const { atUs, up } of samples) assert.ok(up.filter((u) => !u).length <= 1, `two down at ${atUs}`);
  for (const node of [0, 1, 2, 3, 4]) {
    // A sample at the instant of a crash or restart may run before or after it.
    const down = samples.filter(({ up }) => !up[node]).map(({ atUs }) => atUs);
    const firstUs = 100_000 + node * (downtimeUs + gapUs);
    assert.ok(down[0] >= firstUs && down[0] <= firstUs + 1_000, `n${node} goes down at its turn, ${down[0]}`);
    assert.ok(down.at(-1)! >= firstUs + downtimeUs - 1_000 && down.at(-1)! <= firstUs + downtimeUs, `n${node} back`);
    assert.equal(down.length, (down.at(-1)! - down[0]) / 1_000 + 1, `n${node} is down once`);
    assert.equal(probe.sim.nodeStats(node).incarnation, 2, `n${node} restarted once`);
  }
  assertNeverTwoDown(probe.sim.trace.events);
  const [fault] = nemesis.coverage().faults;
  assert.equal(fault.effects.nodesStruck, 5);
  assert.equal(fault.endUs, 100_000 + 5 * (downtimeUs + gapUs));
});

/** Replays crashes and restarts in trace order: at no point between two of them are two nodes down. */
function assertNeverTwoDown(events: { timeUs: number; kind: string; node: number }[]): void {
  const down = new Set<number>();
  for (const event of events) {
    if (event.kind === "crash") down.add(event.node);
    if (event.kind === "restart") down.delete(event.node);
    assert.ok(down.size <= 1, `nodes ${[...down]} are down together at ${event.timeUs} us`);
  }
}

Deno.test("rolling-restart with gapUs 0: the next node goes down only after the previous one is back, even in one instant", () => {
  const probe = probeCluster();
  probe.sim.trace.enabled = true;
  const nemesis = strike(probe, [{ at: 100_000, fault: { kind: "rolling-restart", downtimeUs: 30_000, gapUs: 0 } }]);
  probe.sim.run({ untilUs: nemesis.endUs });

  const lifecycle = probe.sim.trace.events.filter((e) => e.kind === "crash" || e.kind === "restart");
  assert.equal(lifecycle.length, 10);
  assertNeverTwoDown(lifecycle);
});

Deno.test("rolling-restart over two of five nodes lasts two turns, not five", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: 100_000,
    fault: { kind: "rolling-restart", targets: { nodes: ["n1", "n3"] }, downtimeUs: 50_000, gapUs: 20_000 },
  }]);
  probe.sim.run({ untilUs: nemesis.endUs });

  const [fault] = nemesis.coverage().faults;
  assert.equal(fault.effects.nodesStruck, 2);
  assert.equal(fault.endUs, 100_000 + 2 * 70_000);
  assert.equal(nemesis.compiled.healAtUs, 240_000);
  for (const node of [1, 3]) assert.equal(probe.sim.nodeStats(node).incarnation, 2);
  for (const node of [0, 2, 4]) assert.equal(probe.sim.nodeStats(node).incarnation, 1);
});

Deno.test("a lasting crash with nothing to end it is refused: without healAtUs the final heal would come at its start", () => {
  const probe = probeCluster();
  assert.throws(
    () => strike(probe, [{ at: 100_000, fault: { kind: "crash", targets: { nodes: ["n1"] } } }]),
    /faults\[0\]: crash starts at 100000 us, not before the final heal at 100000 us, and it lasts until then: set healAtUs later or give it a durationUs/,
  );
  assert.throws(
    () => strike(probe, [{ at: 600_000, fault: { kind: "pause", durationUs: 1_000 } }], { healAtUs: 500_000 }),
    /faults\[0\]: pause starts at 600000 us, not before the final heal at 500000 us: set healAtUs later/,
  );
  // An instantaneous fault at the heal itself still runs, before the heal.
  const nemesis = strike(probe, [{ at: 100_000, fault: { kind: "restart", targets: { nodes: ["n1"] } } }]);
  probe.sim.run({ untilUs: nemesis.endUs });
  assert.equal(probe.sim.nodeStats(1).incarnation, 2);
});
