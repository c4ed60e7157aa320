// Proves the noisy neighbour, run by the nemesis from a schedule on the probe cluster, takes the
// CPU and disk it is asked to take on its target's host, that the co-located node feels it (against
// the same seed without the fault), and that its quotas confine it.
import assert from "node:assert/strict";
import type { FaultSpec } from "./types.ts";
import { heardBetween, median, probeCluster, type ProbeOptions, readAt, strike } from "./_probe_cluster.ts";

const startUs = 100_000;
const durationUs = 500_000;
const endUs = startUs + durationUs;

/** Runs the probe with a noisy neighbour beside n1 (or none) and measures n1 during the window. */
function runNeighbour(options: ProbeOptions, neighbour: Partial<FaultSpec> | undefined) {
  const probe = probeCluster(options);
  const faults = neighbour === undefined
    ? []
    : [{ at: startUs, fault: { kind: "noisy-neighbour", targets: { nodes: ["n1"] }, durationUs, ...neighbour } }];
  const nemesis = strike(probe, faults, { healAtUs: endUs, recoveryUs: 200_000 });
  const cpu = readAt(probe, startUs, endUs, () => probe.sim.nodeStats(1).cpuUsedUs);
  const heard = heardBetween(probe, startUs, endUs);
  probe.sim.run({ untilUs: nemesis.endUs });
  const [cpuBefore, cpuAfter] = cpu();
  const fsyncs = probe.fsyncTimes[1].filter(([issued]) => issued >= startUs && issued < endUs);
  return {
    probe,
    coverage: nemesis.coverage().faults[0],
    victimCpuUs: cpuAfter - cpuBefore,
    // Heartbeats the others heard from n1: one per tick of n1, so fewer when it gets less CPU.
    heartbeatsSent: [0, 2, 3, 4].reduce((sum, other) => sum + heard()[other][1], 0),
    fsyncMedianUs: median(fsyncs.map(([issued, done]) => done - issued)),
  };
}

Deno.test("noisy-neighbour: alone on a core it takes cpuLoad of it and writes diskBytesPerSecond to the disk", () => {
  // The probe nodes use no CPU, and an unlimited-throughput disk keeps up with the neighbour.
  const { coverage, probe } = runNeighbour({}, { cpuLoad: 0.9, diskBytesPerSecond: 60e6, writeSizeBytes: 65_536 });

  const cpuShare = coverage.effects.neighbourCpuUs / durationUs;
  assert.ok(cpuShare > 0.87 && cpuShare < 0.93, `the neighbour took ${cpuShare} of a core, asked 0.9`);
  // Each block is one write and one fsync.
  const bytesPerSecond = ((coverage.effects.neighbourDiskOperations / 2) * 65_536) / (durationUs / 1e6);
  assert.ok(bytesPerSecond > 57e6 && bytesPerSecond < 61e6, `the neighbour wrote ${bytesPerSecond} B/s, asked 60e6`);
  assert.ok(coverage.touched);
  for (const name of ["neighbour-0-host1", "neighbour-0-host1-disk"]) {
    const neighbour = probe.sim.nodeId(name);
    assert.equal(probe.sim.hostOf(neighbour), probe.sim.hostOf(1), "it sits on the target's host");
    assert.equal(probe.sim.isUp(neighbour), false, "it is gone after the heal");
  }
});

Deno.test("noisy-neighbour: a disk load raises the co-located node's fsync latency and a throughput quota lowers the impact", () => {
  const disk: ProbeOptions = { seed: 7, diskBytesPerSecond: 200e6 };
  const load = { cpuLoad: 0, diskBytesPerSecond: 150e6 };
  const quiet = runNeighbour(disk, undefined);
  const noisy = runNeighbour(disk, load);
  const confined = runNeighbour(disk, { ...load, neighbourDiskBytesPerSecondMax: 10e6 });

  const [q, n, c] = [quiet.fsyncMedianUs, noisy.fsyncMedianUs, confined.fsyncMedianUs];
  assert.ok(n > 1.5 * q, `median fsync ${q} us alone, ${n} us beside the neighbour`);
  assert.ok(c < n && c < 1.3 * q, `median fsync ${q} us alone, ${n} us beside it, ${c} us with its quota`);
  assert.ok(noisy.coverage.effects.neighbourDiskOperations > 5 * confined.coverage.effects.neighbourDiskOperations);
  // Other hosts do not feel it.
  assert.ok(median(noisy.probe.fsyncLatencies[2]) < 1.3 * median(quiet.probe.fsyncLatencies[2]));
});

Deno.test("noisy-neighbour: a CPU load takes CPU from the co-located node and a CPU cap limits that", () => {
  // Seven events per 10 ms tick at 1 ms each: the probe node wants 0.7 of its host's one core.
  const cpu: ProbeOptions = { seed: 7, serviceTimeUs: 1_000 };
  const load = { cpuLoad: 0.9, diskBytesPerSecond: 0 };
  const quiet = runNeighbour(cpu, undefined);
  const noisy = runNeighbour(cpu, load);
  const capped = runNeighbour(cpu, { ...load, neighbourCpuCapCores: 0.2 });

  const share = (run: { victimCpuUs: number }) => run.victimCpuUs / durationUs;
  assert.ok(share(quiet) > 0.6, `alone the probe node used ${share(quiet)} of a core`);
  // A fair scheduler gives each of the two about half of the core.
  assert.ok(share(noisy) < 0.9 * share(quiet), `beside the neighbour: ${share(noisy)}, alone: ${share(quiet)}`);
  assert.ok(share(noisy) > 0.45, `a fair share is about half a core, got ${share(noisy)}`);
  assert.ok(share(capped) > 0.9 * share(quiet), `beside a capped neighbour: ${share(capped)}, alone: ${share(quiet)}`);
  const sent = [quiet, noisy, capped].map((run) => run.heartbeatsSent);
  assert.ok(sent[1] < 0.9 * sent[0], `its ticks slow down: heartbeats sent alone, beside, capped: ${sent}`);
  // The neighbour's 0.9 ms services still delay the node's events now and then: most, not all, of the pace returns.
  assert.ok(sent[2] - sent[1] > 0.5 * (sent[0] - sent[1]), `the cap gives back most of its pace: ${sent}`);
  const neighbourShare = capped.coverage.effects.neighbourCpuUs / durationUs;
  assert.ok(neighbourShare > 0.15 && neighbourShare <= 0.21, `the capped neighbour took ${neighbourShare}`);
});
