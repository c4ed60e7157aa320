// Proves each network fault kind, run by the nemesis from a schedule on the probe cluster, cuts or
// degrades exactly the links its shape describes for exactly its window, and that overlapping cuts
// and degradations compose and heal back to a clean network.
import assert from "node:assert/strict";
import { blockedLinks, heardBetween, type ProbeCluster, probeCluster, strike } from "./_probe_cluster.ts";

const startUs = 100_000;
const durationUs = 200_000;
const endUs = startUs + durationUs;
/** Longer than the probe's largest one-way latency (400 us), so a window starting this late sees no stragglers. */
const settleUs = 1_000;

const pairs = (nodes: number[]) => nodes.flatMap((a) => nodes.filter((b) => b !== a).map((b) => [a, b] as const));

/** Asserts that every directed pair of distinct nodes heard each other in `heard`. */
function assertAllHear(heard: number[][], what: string): void {
  for (const [from, to] of pairs(heard.map((_, i) => i))) {
    assert.ok(heard[to][from] > 0, `${what}: n${to} did not hear n${from}`);
  }
}

/** The nodes of `nodes` that `node` exchanges heartbeats with (both ways) in `heard`. */
function heardBoth(heard: number[][], node: number, nodes: number[]): number[] {
  return nodes.filter((other) => other !== node && heard[node][other] > 0 && heard[other][node] > 0);
}

/** Asserts that no link is cut once every fault has healed. */
function assertNetworkClean(probe: ProbeCluster): void {
  assert.ok(blockedLinks(probe).every((row) => row.every((blocked) => !blocked)), "a link is still cut");
}

Deno.test("partition-halves: messages across the cut are dropped and flow again after the heal", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{ at: startUs, fault: { kind: "partition-halves", durationUs } }]);
  const during = heardBetween(probe, startUs, endUs);
  const after = heardBetween(probe, endUs + settleUs, endUs + durationUs);
  let blocked: boolean[][] = [];
  probe.sim.at(startUs + durationUs / 2, () => blocked = blockedLinks(probe));
  probe.sim.run({ untilUs: nemesis.endUs });

  const sideOf0 = [0, 1, 2, 3, 4].filter((n) => n === 0 || !blocked[0][n]);
  const otherSide = [0, 1, 2, 3, 4].filter((n) => !sideOf0.includes(n));
  assert.deepEqual([sideOf0.length, otherSide.length].sort(), [2, 3], "five nodes split 2-3");
  const heard = during();
  for (const a of sideOf0) {
    for (const b of otherSide) {
      assert.ok(blocked[a][b] && blocked[b][a], `n${a}-n${b} is cut both ways`);
      assert.equal(heard[a][b] + heard[b][a], 0, `no heartbeat crossed n${a}-n${b} during the partition`);
    }
  }
  for (const side of [sideOf0, otherSide]) {
    for (const [from, to] of pairs(side)) assert.ok(heard[to][from] >= 15, `n${to} kept hearing n${from}`);
  }
  assertAllHear(after(), "after the heal");
  assertNetworkClean(probe);
  const [fault] = nemesis.coverage().faults;
  assert.ok(fault.effects.messagesDropped > 0, JSON.stringify(fault.effects));
  assert.equal(fault.effects.sideSize, 2);
  assert.equal(fault.touched, true);
  assert.equal(fault.endUs, endUs);
});

Deno.test("isolate {role: leader}: the leader hears nobody and nobody hears it, and coverage says it was cut from a majority", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [
    { at: startUs, fault: { kind: "isolate", targets: { role: "leader" }, durationUs } },
    { at: endUs + durationUs, fault: { kind: "isolate", targets: { nodes: ["n4"] }, durationUs } },
  ]);
  const during = heardBetween(probe, startUs, endUs);
  const after = heardBetween(probe, endUs + settleUs, endUs + durationUs);
  probe.sim.run({ untilUs: nemesis.endUs });

  const heard = during();
  for (const other of [1, 2, 3, 4]) {
    assert.equal(heard[0][other], 0, `the leader n0 heard n${other}`);
    assert.equal(heard[other][0], 0, `n${other} heard the leader n0`);
  }
  for (const [from, to] of pairs([1, 2, 3, 4])) assert.ok(heard[to][from] > 0, "the rest still talk");
  assertAllHear(after(), "after the heal");
  const [leader, follower] = nemesis.coverage().faults;
  assert.deepEqual(leader.targets, ["n0"]);
  assert.equal(leader.leaderCutFromMajority, true);
  assert.ok(leader.effects.messagesDropped > 0);
  // Isolating a follower leaves the leader with a majority.
  assert.deepEqual(follower.targets, ["n4"]);
  assert.equal(follower.leaderCutFromMajority, false);
});

Deno.test("partition-bridge: the bridge hears both sides while the sides do not hear each other", () => {
  const probe = probeCluster({ seed: 3 });
  const nemesis = strike(probe, [{ at: startUs, fault: { kind: "partition-bridge", durationUs } }]);
  const during = heardBetween(probe, startUs, endUs);
  const after = heardBetween(probe, endUs + settleUs, endUs + durationUs);
  probe.sim.run({ untilUs: nemesis.endUs });

  const [fault] = nemesis.coverage().faults;
  const bridge = fault.effects.bridgeNode;
  assert.ok(Number.isInteger(bridge) && bridge >= 0 && bridge < 5, `bridge node ${bridge}`);
  const heard = during();
  const sides = [0, 1, 2, 3, 4].filter((n) => n !== bridge);
  assert.equal(heardBoth(heard, bridge, [0, 1, 2, 3, 4]).length, 4, "the bridge talks to all four others");
  const sideA = [sides[0], ...heardBoth(heard, sides[0], sides)];
  const sideB = sides.filter((n) => !sideA.includes(n));
  assert.deepEqual([sideA.length, sideB.length], [2, 2], `sides ${sideA} and ${sideB}`);
  for (const a of sideA) for (const b of sideB) assert.equal(heard[a][b] + heard[b][a], 0, `n${a}-n${b} crossed`);
  for (const side of [sideA, sideB]) for (const [from, to] of pairs(side)) assert.ok(heard[to][from] > 0);
  assert.ok(fault.effects.messagesDropped > 0);
  assertAllHear(after(), "after the heal");
  assertNetworkClean(probe);
});

Deno.test("partition-ring: each node hears exactly its two ring neighbours during the window", () => {
  const probe = probeCluster({ seed: 2 });
  const nemesis = strike(probe, [{ at: startUs, fault: { kind: "partition-ring", durationUs } }]);
  const during = heardBetween(probe, startUs, endUs);
  const after = heardBetween(probe, endUs + settleUs, endUs + durationUs);
  probe.sim.run({ untilUs: nemesis.endUs });

  const heard = during();
  const nodes = [0, 1, 2, 3, 4];
  for (const node of nodes) {
    const hears = nodes.filter((other) => heard[node][other] > 0);
    assert.equal(hears.length, 2, `n${node} hears ${hears}`);
    assert.deepEqual(heardBoth(heard, node, nodes), hears, `n${node}'s neighbours hear it back`);
  }
  // Walking neighbour to neighbour visits every node once: one ring, not a triangle and a pair.
  const visited = [0];
  while (visited.length < 5) {
    const next = heardBoth(heard, visited[visited.length - 1], nodes).find((n) => !visited.includes(n));
    assert.ok(next !== undefined, `the ring breaks after ${visited}`);
    visited.push(next);
  }
  assert.ok(heardBoth(heard, visited[4], nodes).includes(0), "the ring closes");
  assertAllHear(after(), "after the heal");
  assertNetworkClean(probe);
});

Deno.test("partition-one-way: messages from the targets to `to` are dropped while the reverse direction is delivered", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: startUs,
    fault: { kind: "partition-one-way", targets: { nodes: ["n1"] }, to: { nodes: ["n2", 3] }, durationUs },
  }]);
  const during = heardBetween(probe, startUs, endUs);
  const after = heardBetween(probe, endUs + settleUs, endUs + durationUs);
  probe.sim.run({ untilUs: nemesis.endUs });

  const heard = during();
  assert.equal(heard[2][1], 0, "n2 heard n1");
  assert.equal(heard[3][1], 0, "n3 heard n1");
  assert.ok(heard[1][2] >= 15 && heard[1][3] >= 15, "n1 still hears n2 and n3");
  assert.ok(heard[4][1] > 0 && heard[0][1] > 0, "the others still hear n1");
  assertAllHear(after(), "after the heal");
  const [fault] = nemesis.coverage().faults;
  // Only the cut links are counted: about 20 ticks times 2 links.
  assert.ok(fault.effects.messagesDropped >= 38 && fault.effects.messagesDropped <= 42, JSON.stringify(fault.effects));
  assert.ok(fault.touched);
});

Deno.test("partition-groups: explicit groups cannot reach each other and a node in no group reaches both", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: startUs,
    fault: { kind: "partition-groups", groups: [{ nodes: ["n0", "n1"] }, { nodes: ["n2", "n3"] }], durationUs },
  }]);
  const during = heardBetween(probe, startUs, endUs);
  const after = heardBetween(probe, endUs + settleUs, endUs + durationUs);
  probe.sim.run({ untilUs: nemesis.endUs });

  const heard = during();
  for (const a of [0, 1]) for (const b of [2, 3]) assert.equal(heard[a][b] + heard[b][a], 0, `n${a}-n${b} crossed`);
  for (const [from, to] of [...pairs([0, 1]), ...pairs([2, 3])]) assert.ok(heard[to][from] > 0);
  for (const other of [0, 1, 2, 3]) assert.ok(heard[4][other] > 0 && heard[other][4] > 0, `n4 and n${other}`);
  assertAllHear(after(), "after the heal");
  const [fault] = nemesis.coverage().faults;
  assert.ok(fault.effects.messagesDropped >= 8 * 19, JSON.stringify(fault.effects));
});

Deno.test("link-degrade with extraLatencyUs: heartbeats on the target's links arrive that much later, and on time after the heal", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: startUs,
    fault: { kind: "link-degrade", targets: { nodes: ["n1"] }, extraLatencyUs: 50_000, durationUs },
  }]);
  probe.sim.run({ untilUs: nemesis.endUs });

  const delays = (filter: (from: number, to: number, sentUs: number) => boolean) =>
    probe.heartbeats.flatMap((beats, to) =>
      beats.filter((b) => filter(b.from, to, b.sentUs)).map((b) => b.arrivedUs - b.sentUs)
    );
  const inWindow = (sentUs: number) => sentUs >= startUs && sentUs < endUs;
  const degraded = delays((from, to, sentUs) => inWindow(sentUs) && (from === 1 || to === 1));
  const untouched = delays((from, to, sentUs) => inWindow(sentUs) && from !== 1 && to !== 1);
  const later = delays((_from, _to, sentUs) => sentUs >= endUs);
  assert.ok(degraded.length >= 8 * 15, `${degraded.length} degraded heartbeats`);
  assert.ok(Math.min(...degraded) >= 50_000, `fastest degraded heartbeat took ${Math.min(...degraded)} us`);
  assert.ok(Math.max(...degraded) <= 50_400);
  assert.ok(Math.max(...untouched) <= 400, `links between other nodes are untouched`);
  assert.ok(later.length > 0 && Math.max(...later) <= 400, "the links are restored after the heal");
  const [fault] = nemesis.coverage().faults;
  assert.ok(fault.effects.messagesSent > 0 && fault.touched);
  assert.equal(fault.effects.messagesDropped, 0);
});

Deno.test("link-degrade with lossProbability 1: every message on the target's links is lost, and the links work after the heal", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: startUs,
    fault: { kind: "link-degrade", targets: { nodes: ["n1"] }, lossProbability: 1, durationUs },
  }]);
  const during = heardBetween(probe, startUs + settleUs, endUs);
  const after = heardBetween(probe, endUs + settleUs, endUs + durationUs);
  probe.sim.run({ untilUs: nemesis.endUs });

  const heard = during();
  for (const other of [0, 2, 3, 4]) assert.equal(heard[1][other] + heard[other][1], 0, `n1-n${other} delivered`);
  for (const [from, to] of pairs([0, 2, 3, 4])) assert.ok(heard[to][from] > 0);
  assertAllHear(after(), "after the heal");
  for (const other of [0, 2, 3, 4]) {
    assert.equal(probe.sim.network.link(1, other).lossProbability, 0);
    assert.equal(probe.sim.network.link(other, 1).lossProbability, 0);
  }
  const [fault] = nemesis.coverage().faults;
  assert.ok(fault.effects.messagesDropped >= 8 * 19, JSON.stringify(fault.effects));
  assert.equal(fault.effects.messagesDropped, fault.effects.messagesSent, "every message sent on the links was lost");
});

Deno.test("link-degrade degrades both directions between every target and every peer, including targets that are peers", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: startUs,
    fault: {
      kind: "link-degrade",
      targets: { nodes: ["n1", "n2"] },
      peers: { nodes: ["n2", "n3"] },
      lossProbability: 1,
      durationUs,
    },
  }]);
  const during = heardBetween(probe, startUs + settleUs, endUs);
  probe.sim.run({ untilUs: nemesis.endUs });

  const heard = during();
  for (const [a, b] of [[1, 2], [1, 3], [2, 3]]) {
    assert.equal(heard[a][b], 0, `n${a} heard n${b}`);
    assert.equal(heard[b][a], 0, `n${b} heard n${a}`);
  }
  assert.ok(heard[1][0] > 0 && heard[0][1] > 0 && heard[4][3] > 0, "links outside targets x peers are untouched");
});

Deno.test("overlapping partitions compose: a link cut by two faults stays cut until both heal, in either heal order", () => {
  const isolateN1 = (at: number, duration: number) => ({
    at,
    fault: { kind: "isolate", targets: { nodes: ["n1"] }, durationUs: duration },
  });
  const cutN1N2 = (at: number, duration: number) => ({
    at,
    fault: { kind: "partition-groups", groups: [{ nodes: ["n1"] }, { nodes: ["n2"] }], durationUs: duration },
  });
  // The isolation heals first at 300 ms in both orders of start; the n1-n2 cut lasts until 400 ms.
  for (
    const faults of [[isolateN1(100_000, 200_000), cutN1N2(200_000, 200_000)], [
      cutN1N2(100_000, 300_000),
      isolateN1(200_000, 100_000),
    ]]
  ) {
    const probe = probeCluster();
    const nemesis = strike(probe, faults);
    const both = heardBetween(probe, 200_000 + settleUs, 300_000);
    const oneLeft = heardBetween(probe, 300_000 + settleUs, 400_000);
    const none = heardBetween(probe, 400_000 + settleUs, 600_000);
    probe.sim.run({ untilUs: nemesis.endUs });

    for (const other of [0, 2, 3, 4]) assert.equal(both()[1][other] + both()[other][1], 0, `n1-n${other} at 200 ms`);
    assert.equal(oneLeft()[1][2] + oneLeft()[2][1], 0, "n1-n2 stays cut while the second fault holds it");
    for (const other of [0, 3, 4]) assert.ok(oneLeft()[1][other] > 0 && oneLeft()[other][1] > 0, `n1-n${other}`);
    assertAllHear(none(), "after both heal");
    assertNetworkClean(probe);
  }
});

Deno.test("overlapping link-degrades on a shared link compose: the later one holds while it lasts and the link is clean after both", () => {
  const probe = probeCluster();
  // n1's degradation and n2's share the links n1-n2; n1's heals first.
  const nemesis = strike(probe, [
    { at: 100_000, fault: { kind: "link-degrade", targets: { nodes: ["n1"] }, extraLatencyUs: 50_000, durationUs } },
    { at: 200_000, fault: { kind: "link-degrade", targets: { nodes: ["n2"] }, extraLatencyUs: 20_000, durationUs } },
  ]);
  probe.sim.run({ untilUs: nemesis.endUs });

  const delay = (from: number, to: number, fromUs: number, toUs: number) => {
    const beats = probe.heartbeats[to].filter((b) => b.from === from && b.sentUs >= fromUs && b.sentUs < toUs);
    assert.ok(beats.length > 0, `no heartbeat n${from}->n${to} sent in [${fromUs}, ${toUs})`);
    return Math.min(...beats.map((b) => b.arrivedUs - b.sentUs));
  };
  assert.ok(delay(1, 3, 100_000, 300_000) >= 50_000, "n1's links are degraded by the first fault");
  assert.ok(delay(2, 3, 200_000, 400_000) >= 20_000, "n2's links are degraded by the second fault");
  assert.ok(delay(1, 3, 300_000, 500_000) < 1_000, "n1-n3 is restored when the first fault heals");
  assert.ok(delay(1, 2, 300_000, 400_000) >= 20_000, "n1-n2 is still degraded by the second fault");
  assert.ok(delay(2, 1, 300_000, 400_000) >= 20_000, "n2-n1 is still degraded by the second fault");
  for (const [from, to] of pairs([0, 1, 2, 3, 4])) {
    assert.ok(delay(from, to, 400_000, 600_000) < 1_000, `n${from}->n${to} is restored after both heal`);
    assert.equal(probe.sim.network.link(from, to).extraLatencyUs, 0, `n${from}->n${to} extra latency`);
  }
});
