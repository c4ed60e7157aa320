// Proves each disk fault kind, run by the nemesis from a schedule on the probe cluster, slows,
// stalls, fills or damages exactly its targets' disks for exactly its window, as the probe's own
// writes and fsyncs see it, and that the disk is as before once it heals.
import assert from "node:assert/strict";
import { median, type ProbeCluster, probeCluster, probeRecordBytes, readAt, strike } from "./_probe_cluster.ts";

/** Latencies of operations issued in [fromUs, toUs). */
function latencies(times: [number, number][], fromUs: number, toUs: number): number[] {
  return times.filter(([issuedUs]) => issuedUs >= fromUs && issuedUs < toUs).map(([issued, done]) => done - issued);
}

/** Asserts that a node's fsyncs and writes issued in [fromUs, toUs) took normal time. */
function assertDiskNormal(probe: ProbeCluster, node: number, fromUs: number, toUs: number): void {
  const fsyncs = latencies(probe.fsyncTimes[node], fromUs, toUs);
  const writes = latencies(probe.writeTimes[node], fromUs, toUs);
  assert.ok(fsyncs.length > 0 && Math.max(...fsyncs) < 3_000, `n${node} fsyncs in [${fromUs}, ${toUs}): ${fsyncs}`);
  assert.ok(writes.length > 0 && Math.max(...writes) <= 60, `n${node} writes in [${fromUs}, ${toUs}): ${writes}`);
}

Deno.test("disk-stall: an fsync in flight and every write issued during the stall complete only after it ends", () => {
  const probe = probeCluster();
  // The tick at 100 ms wrote its record by about 100 040 us; its fsync (about 500 us) is in flight.
  const [startUs, durationUs] = [100_100, 200_000];
  const endUs = startUs + durationUs;
  const nemesis = strike(probe, [{
    at: startUs,
    fault: { kind: "disk-stall", targets: { nodes: ["n1"] }, durationUs },
  }]);
  probe.sim.run({ untilUs: nemesis.endUs });

  const straddling = probe.fsyncTimes[1].filter(([issued, done]) => issued < startUs && done > startUs);
  assert.equal(straddling.length, 1, "one fsync was in flight when the stall began");
  const [[issuedUs, doneUs]] = straddling;
  assert.ok(doneUs >= endUs, `it completed at ${doneUs}, before the stall ended`);
  assert.ok(
    doneUs - issuedUs >= durationUs && doneUs - issuedUs < durationUs + 1_000,
    "its latency is about the stall",
  );
  assert.ok(Math.max(...probe.fsyncLatencies[1]) < durationUs + 1_000);
  const stalledWrites = probe.writeTimes[1].filter(([issued]) => issued >= startUs && issued < endUs);
  assert.ok(stalledWrites.length >= 19, `${stalledWrites.length} writes issued during the stall`);
  for (const [issued, done] of stalledWrites) {
    assert.ok(done >= endUs, `a write issued at ${issued} completed at ${done}`);
  }
  assertDiskNormal(probe, 1, endUs + 50_000, nemesis.endUs);
  assertDiskNormal(probe, 2, startUs, endUs);
  const [fault] = nemesis.coverage().faults;
  assert.ok(fault.effects.diskOperationsHeld >= stalledWrites.length, JSON.stringify(fault.effects));
  assert.ok(fault.touched, "a stall that held operations touched the system");
});

Deno.test("disk-stall ends at the final heal when that comes before the end of its duration", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: 100_000,
    fault: { kind: "disk-stall", targets: { nodes: ["n1"] }, durationUs: 5_000_000 },
  }], {
    healAtUs: 300_000,
  });
  probe.sim.run({ untilUs: nemesis.endUs });

  assert.ok(
    Math.max(...probe.fsyncLatencies[1]) < 210_000,
    `an fsync waited ${Math.max(...probe.fsyncLatencies[1])} us`,
  );
  assertDiskNormal(probe, 1, 350_000, nemesis.endUs);
});

Deno.test("disk-slow with fsyncOnly: fsync latency rises by about the factor in the window and falls back after", () => {
  const probe = probeCluster();
  const [startUs, endUs] = [100_000, 600_000];
  const nemesis = strike(probe, [{
    at: startUs,
    fault: { kind: "disk-slow", targets: { nodes: ["n1"] }, factor: 20, fsyncOnly: true, durationUs: endUs - startUs },
  }], { recoveryUs: 500_000 });
  probe.sim.run({ untilUs: nemesis.endUs });

  const before = median(latencies(probe.fsyncTimes[1], 0, startUs));
  const during = median(latencies(probe.fsyncTimes[1], startUs, endUs - 20_000));
  const after = median(latencies(probe.fsyncTimes[1], endUs + 20_000, nemesis.endUs));
  assert.ok(before > 300 && before < 800, `median fsync before: ${before} us`);
  assert.ok(during / before > 12 && during / before < 30, `median fsync ${before} us before, ${during} us during`);
  assert.ok(after / before > 0.6 && after / before < 1.6, `median fsync ${before} us before, ${after} us after`);
  assertDiskNormal(probe, 2, startUs, endUs);
});

Deno.test("disk-slow without fsyncOnly: writes slow by the factor too", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: 100_000,
    fault: { kind: "disk-slow", targets: { nodes: ["n1"] }, factor: 10, durationUs: 200_000 },
  }]);
  probe.sim.run({ untilUs: nemesis.endUs });

  const writes = latencies(probe.writeTimes[1], 100_000, 280_000);
  assert.ok(Math.min(...writes) >= 200 && Math.max(...writes) <= 600, `writes took ${writes}`);
  assertDiskNormal(probe, 1, 320_000, nemesis.endUs);
});

Deno.test("disk-budget with iops: every operation in the window takes at least 1/iops and the budget is restored after", () => {
  const probe = probeCluster();
  const iops = 100;
  const nemesis = strike(probe, [{
    at: 100_000,
    fault: { kind: "disk-budget", targets: { nodes: ["n1"] }, iops, durationUs: 200_000 },
  }], { recoveryUs: 600_000 });
  const budgets = readAt(probe, 100_000, 300_000, () => probe.sim.diskBudget(probe.sim.hostOf(1)));
  probe.sim.run({ untilUs: nemesis.endUs });

  const writes = latencies(probe.writeTimes[1], 100_000, 300_000);
  const fsyncs = latencies(probe.fsyncTimes[1], 100_000, 300_000);
  assert.ok(writes.length >= 19 && fsyncs.length > 0);
  assert.ok(Math.min(...writes, ...fsyncs) >= 1e6 / iops, `writes ${writes}, fsyncs ${fsyncs}`);
  // Up to two operations per 10 ms tick at 10 ms each: the queue grows through the window.
  assert.ok(Math.max(...writes) > 40_000, `the backlog grows: ${writes}`);
  assert.deepEqual(budgets(), [{ bytesPerSecond: 0, iops }, { bytesPerSecond: 0, iops: 0 }]);
  assertDiskNormal(probe, 1, 700_000, nemesis.endUs);
  assertDiskNormal(probe, 2, 100_000, 300_000);
});

Deno.test("disk-budget with bytesPerSecond: each write takes its size at that rate", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: 100_000,
    fault: { kind: "disk-budget", targets: { nodes: ["n1"] }, bytesPerSecond: 20_000, durationUs: 100_000 },
  }]);
  probe.sim.run({ untilUs: nemesis.endUs });

  // 100 bytes at 20 kB/s is 5 ms, below the 10 ms tick: no backlog.
  const writes = latencies(probe.writeTimes[1], 100_000, 200_000);
  assert.ok(writes.length >= 9 && writes.every((w) => w >= 5_000 && w <= 5_060), `writes took ${writes}`);
});

Deno.test("disk-full: writes fail with a disk-full error during the window and succeed after the heal", () => {
  const probe = probeCluster();
  const [startUs, endUs] = [100_000, 300_000];
  const nemesis = strike(probe, [{
    at: startUs,
    fault: { kind: "disk-full", targets: { nodes: ["n3"] }, durationUs: endUs - startUs },
  }]);
  const state = () => ({
    errors: probe.diskErrors[3].length,
    size: probe.sim.files(3).size("log"),
    capacityBytes: probe.sim.diskCapacity(probe.sim.hostOf(3)),
  });
  const during = readAt(probe, startUs, endUs, state);
  const after = readAt(probe, endUs + 1_000, endUs + 200_000, state);
  probe.sim.run({ untilUs: nemesis.endUs });

  const [atStart, atEnd] = during();
  const [afterHeal, later] = after();
  assert.equal(atStart.errors, 0);
  assert.ok(atEnd.errors >= 19, `${atEnd.errors} writes failed`);
  assert.ok(probe.diskErrors[3].every((e) => /disk full/.test(e)), probe.diskErrors[3][0]);
  assert.ok(atEnd.size <= atStart.size + probeRecordBytes, "the log did not grow while full");
  assert.equal(atStart.capacityBytes, atStart.size, "the disk is filled to what it holds");
  assert.equal(later.errors, afterHeal.errors, "no write fails after the heal");
  assert.ok(later.size >= afterHeal.size + 19 * probeRecordBytes, "the log grows again");
  assert.equal(afterHeal.capacityBytes, 2 ** 40, "the capacity is restored");
  for (const other of [0, 1, 2, 4]) assert.deepEqual(probe.diskErrors[other], []);
  const [fault] = nemesis.coverage().faults;
  assert.ok(fault.touched);
});

Deno.test("bitflip: the log's bytes in the range differ from what was written, and a target without the file is counted", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [
    {
      at: 200_000,
      fault: { kind: "bitflip", targets: { nodes: ["n1"] }, file: "log", fromByte: 0, toByte: 1000, bitCount: 3 },
    },
    { at: 200_000, fault: { kind: "bitflip", targets: { nodes: ["n2", "n3"] }, file: "wal", fromByte: 0, toByte: 10 } },
  ]);
  probe.sim.run({ untilUs: nemesis.endUs });

  const record = probeRecordBytes;
  const log = probe.sim.files(1).read("log");
  const durable = probe.sim.files(1).readDurable("log");
  const flippedBits = (bytes: Uint8Array, from: number, to: number) => {
    let bits = 0;
    for (let i = from; i < to; i++) for (let x = bytes[i] ^ 2; x > 0; x >>= 1) bits += x & 1;
    return bits;
  };
  // Three flips of random bits: 3 differ, or 1 if two flips hit the same bit.
  assert.ok([1, 3].includes(flippedBits(log, 0, 1000)), `${flippedBits(log, 0, 1000)} bits differ`);
  assert.equal(flippedBits(log, 1000, log.length), 0, "nothing outside the range changed");
  assert.deepEqual(durable.slice(0, 1000), log.slice(0, 1000), "the medium is damaged, not only the cache");
  assert.ok(log.length >= 39 * record, "the node kept appending");
  for (const other of [0, 2, 3, 4]) {
    assert.ok(probe.sim.files(other).read("log").every((b) => b === other + 1), `n${other}'s log is intact`);
  }
  const [flipped, missing] = nemesis.coverage().faults;
  assert.equal(flipped.effects.bitsFlipped, 3);
  assert.equal(flipped.effects.targetsWithoutFile, undefined);
  assert.ok(flipped.touched);
  assert.equal(missing.effects.targetsWithoutFile, 2);
  assert.equal(missing.touched, false);
});

Deno.test("torn-write: after the crash the durable log ends in a torn record, a prefix of what was written", () => {
  let tornSeeds = 0;
  for (const seed of [1, 2, 3, 4, 5]) {
    const probe = probeCluster({ seed });
    // 300 us after a tick the record is written but its fsync has not completed.
    const nemesis = strike(probe, [{ at: 100_300, fault: { kind: "torn-write", targets: { nodes: ["n1"] } } }]);
    const afterCrash = readAt(probe, 100_300, 100_301, () => ({
      durable: probe.sim.files(1).readDurable("log"),
      up: probe.sim.isUp(1),
      incarnation: probe.sim.nodeStats(1).incarnation,
    }));
    probe.sim.run({ untilUs: nemesis.endUs });

    const [{ durable, up, incarnation }] = afterCrash();
    assert.ok(up && incarnation === 2, "without durationUs the node restarts at once");
    assert.ok(durable.every((b) => b === 2), "the torn record holds a prefix of the record's bytes");
    if (durable.length % probeRecordBytes !== 0) tornSeeds++;
    const [fault] = nemesis.coverage().faults;
    assert.ok(fault.effects.writesLost > 0, `seed ${seed}: ${JSON.stringify(fault.effects)}`);
  }
  assert.ok(tornSeeds >= 1, "a torn record on at least one seed");
});

Deno.test("torn-write with durationUs: the node stays down for the duration, then recovers from the torn log", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: 100_300,
    fault: { kind: "torn-write", targets: { nodes: ["n1"] }, durationUs: 50_000 },
  }]);
  const up = readAt(probe, 150_299, 150_300, () => probe.sim.isUp(1));
  probe.sim.run({ untilUs: nemesis.endUs });

  assert.deepEqual(up(), [false, true]);
  assert.equal(probe.sim.nodeStats(1).incarnation, 2);
});

Deno.test("disk-loss: the node goes down with every file gone, durable or not, and restarts on an empty disk after durationUs", () => {
  const probe = probeCluster();
  const nemesis = strike(probe, [{
    at: 100_300,
    fault: { kind: "disk-loss", targets: { nodes: ["n1"] }, durationUs: 50_000 },
  }]);
  const before = readAt(probe, 100_299, 100_301, () => probe.sim.files(1).durableLength("log"));
  const up = readAt(probe, 150_299, 150_300, () => probe.sim.isUp(1));
  const bystander = readAt(probe, 100_299, 100_301, () => probe.sim.files(2).durableLength("log"));
  probe.sim.run({ untilUs: nemesis.endUs });

  const [durableBefore, durableAfter] = before();
  assert.ok(durableBefore > 0, "the log held durable records before the loss");
  assert.equal(durableAfter, 0, "the replacement disk holds nothing");
  assert.deepEqual(up(), [false, true], "down for the duration, then up");
  assert.equal(probe.sim.nodeStats(1).incarnation, 2);
  assert.equal(probe.sim.nodeStats(1).diskReplacedUs, 100_300);
  assert.equal(probe.sim.nodeStats(2).diskReplacedUs, undefined);
  const [bystanderBefore, bystanderAfter] = bystander();
  assert.ok(bystanderAfter >= bystanderBefore && bystanderBefore > 0, "another node's disk is untouched");
  const [fault] = nemesis.coverage().faults;
  assert.equal(fault.effects.disksReplaced, 1);
  assert.ok(fault.effects.bytesLost >= durableBefore, JSON.stringify(fault.effects));
  assert.ok(fault.touched);
});

Deno.test("replaceDisk refuses a running node: a disk is swapped only once its node is down", () => {
  const probe = probeCluster();
  probe.sim.run({ untilUs: 10_000 });
  assert.throws(() => probe.sim.replaceDisk(1), /replaceDisk: node n1 is running; crash it first/);
});

Deno.test("a disk fault on one node strikes its host's device, so a co-located node feels it too", () => {
  const probe = probeCluster({ hosts: [0, 0, 1, 2, 3] });
  const nemesis = strike(probe, [{
    at: 100_000,
    fault: { kind: "disk-full", targets: { nodes: ["n0"] }, durationUs: 100_000 },
  }]);
  probe.sim.run({ untilUs: nemesis.endUs });

  assert.ok(probe.diskErrors[0].length >= 9 && probe.diskErrors[1].length >= 9, "both nodes on host 0 fail");
  assert.deepEqual(probe.diskErrors[2], []);
});

Deno.test("overlapping disk faults of one kind on co-located nodes are contradictory: refused when fixed, skipped at run time", () => {
  const probe = probeCluster({ hosts: [0, 0, 1, 2, 3] });
  for (const kind of [{ kind: "disk-full" }, { kind: "disk-slow", factor: 5 }, { kind: "disk-budget", iops: 50 }]) {
    assert.throws(
      () =>
        strike(probe, [
          { at: 100_000, fault: { ...kind, targets: { nodes: ["n0"] }, durationUs: 200_000 } },
          { at: 200_000, fault: { ...kind, targets: { nodes: ["n1"] }, durationUs: 200_000 } },
        ]),
      new RegExp(`faults\\[1\\]: ${kind.kind} at 200000 us overlaps faults\\[0\\] .* on host0 \\(n0, n1\\)`),
    );
  }
  // The leader is n0 at 100 ms; at 200 ms n0 is down, so the leader is n1, on n0's host.
  const nemesis = strike(probe, [
    { at: 100_000, fault: { kind: "disk-full", targets: { nodes: ["n0"] }, durationUs: 200_000 } },
    { at: 150_000, fault: { kind: "crash", targets: { nodes: ["n0"] }, durationUs: 100_000 } },
    { at: 200_000, fault: { kind: "disk-full", targets: { role: "leader" }, durationUs: 200_000 } },
  ]);
  probe.sim.run({ untilUs: nemesis.endUs });
  const [, , second] = nemesis.coverage().faults;
  assert.deepEqual(second.targets, ["n1"]);
  assert.match(second.skipped ?? "", /fault 0 \(disk-full\) is already active on host0 \(n0, n1\)/);
  // Once both windows are over the disk is not left full.
  assert.equal(probe.sim.diskCapacity(0), 2 ** 40);
});
