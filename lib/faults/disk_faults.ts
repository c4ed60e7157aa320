/**
 * Disk faults: stalls, slow fsyncs, throughput and IOPS caps, a full disk, bit flips, torn
 * writes at a crash, and a disk lost for good. Disks belong to hosts, so a disk fault on a node strikes its host's device,
 * and co-located nodes feel it too.
 *
 * @module
 */
import type { FaultKind, FaultRun } from "./kind.ts";
import { crashForDuration, crashTargets, crashTouched, restartAtEnd } from "./process_faults.ts";

function hostsOf(run: FaultRun): number[] {
  return [...new Set(run.targets.map((n) => run.sim.hostOf(n)))].sort((a, b) => a - b);
}

const diskBusy = (effects: Record<string, number>) => effects.diskOperations > 0;

export const diskStall: FaultKind = {
  kind: "disk-stall",
  area: "disk",
  summary: "no disk operation completes on the targets' hosts for durationUs",
  example: { kind: "disk-stall", targets: { nodes: ["n1"] }, durationUs: 500_000 },
  durationRequired: true,
  fields: {},
  start(run) {
    // The kernel cannot lift a stall early, so a stall ends at the final heal if that comes first.
    const untilUs = Math.min(run.timed.endUs!, run.healAtUs);
    const hosts = hostsOf(run);
    const acceptedBefore = hosts.map((host) => run.sim.hostStats(host).diskOperations);
    for (const host of hosts) run.sim.stallDisk(host, untilUs);
    return () => {
      // No operation completes during a stall, so completions in the window cannot show it touched
      // anything; operations the devices accepted during it are held until it ends.
      run.effects.diskOperationsHeld = hosts.reduce(
        (sum, host, i) => sum + run.sim.hostStats(host).diskOperations - acceptedBefore[i],
        0,
      );
    };
  },
  touched: (effects) => effects.diskOperationsHeld > 0 || effects.diskOperations > 0,
};

export const diskSlow: FaultKind = {
  kind: "disk-slow",
  area: "disk",
  summary: "multiply disk service times (or only fsync latency) by `factor`",
  example: { kind: "disk-slow", targets: { nodes: ["n1"] }, factor: 20, fsyncOnly: true, durationUs: 2_000_000 },
  conflictClass: "disk-slow",
  conflictsByHost: true,
  fields: {
    factor: { type: "number", min: 1, required: true, description: "slowdown factor" },
    fsyncOnly: { type: "boolean", description: "slow only fsync (default: every operation)" },
  },
  start(run) {
    const fsyncOnly = run.spec.fsyncOnly === true;
    const hosts = hostsOf(run);
    for (const host of hosts) run.sim.slowDisk(host, run.spec.factor as number, { fsyncOnly });
    return () => {
      for (const host of hosts) run.sim.slowDisk(host, 1, { fsyncOnly });
    };
  },
  touched: diskBusy,
};

export const diskBudget: FaultKind = {
  kind: "disk-budget",
  area: "disk",
  summary: "cap the targets' disks at bytesPerSecond and/or iops",
  example: { kind: "disk-budget", targets: "all", iops: 200, durationUs: 5_000_000 },
  conflictClass: "disk-budget",
  conflictsByHost: true,
  fields: {
    bytesPerSecond: { type: "number", min: 1, description: "throughput cap" },
    iops: { type: "number", min: 1, description: "operations per second cap" },
  },
  start(run) {
    const saved = hostsOf(run).map((host) => ({ host, budget: run.sim.diskBudget(host) }));
    for (const { host } of saved) {
      run.sim.setDiskBudget(host, {
        bytesPerSecond: run.spec.bytesPerSecond as number | undefined,
        iops: run.spec.iops as number | undefined,
      });
    }
    return () => {
      for (const { host, budget } of saved) run.sim.setDiskBudget(host, budget);
    };
  },
  touched: diskBusy,
};

export const diskFull: FaultKind = {
  kind: "disk-full",
  area: "disk",
  summary: "fill the targets' disks: writes that grow a file fail with a disk-full error",
  example: { kind: "disk-full", targets: { nodes: ["n3"] }, durationUs: 3_000_000 },
  conflictClass: "disk-full",
  conflictsByHost: true,
  fields: {},
  start(run) {
    const saved = hostsOf(run).map((host) => ({ host, capacityBytes: run.sim.diskCapacity(host) }));
    for (const { host } of saved) run.sim.fillDisk(host);
    return () => {
      for (const { host, capacityBytes } of saved) run.sim.setDiskCapacity(host, capacityBytes);
    };
  },
  touched: diskBusy,
};

export const bitflip: FaultKind = {
  kind: "bitflip",
  area: "disk",
  summary: "flip random bits in a byte range of one file on each target",
  example: { kind: "bitflip", targets: { random: "one" }, file: "wal", fromByte: 0, toByte: 4096, bitCount: 3 },
  instantaneous: true,
  fields: {
    file: { type: "string", required: true, description: "the file to damage" },
    fromByte: { type: "integer", min: 0, required: true, description: "start of the range" },
    toByte: { type: "integer", min: 1, required: true, description: "end of the range (exclusive)" },
    bitCount: { type: "integer", min: 1, description: "bits to flip per target (default 1)" },
  },
  start(run) {
    const file = run.spec.file as string;
    for (const node of run.targets) {
      const files = run.sim.files(node);
      if (!files.exists(file) || files.size(file) <= (run.spec.fromByte as number)) {
        run.effects.targetsWithoutFile = (run.effects.targetsWithoutFile ?? 0) + 1;
        continue;
      }
      const offsets = run.sim.corruptFile(node, file, {
        fromByte: run.spec.fromByte as number,
        toByte: run.spec.toByte as number,
        bitCount: (run.spec.bitCount as number | undefined) ?? 1,
      });
      run.effects.bitsFlipped = (run.effects.bitsFlipped ?? 0) + offsets.length;
    }
  },
  touched: (effects) => effects.bitsFlipped > 0,
};

export const tornWrite: FaultKind = {
  kind: "torn-write",
  area: "disk",
  summary: "crash the targets so that the first unsynced write of each file lands torn; restart after durationUs",
  example: { kind: "torn-write", targets: { role: "leader" } },
  conflictClass: "process",
  fields: {
    durationUs: { type: "integer", min: 0, description: "downtime before the restart (default 0: at once)" },
  },
  impliedDurationUs: (spec) => (spec.durationUs as number | undefined) ?? 0,
  start: (run) => crashForDuration(run, "torn"),
  touched: crashTouched,
};

export const diskLoss: FaultKind = {
  kind: "disk-loss",
  area: "disk",
  summary: "crash the targets and replace their disks with empty ones; each restarts empty after durationUs",
  example: { kind: "disk-loss", targets: { random: "one" }, durationUs: 500_000 },
  // It crashes its targets, so it contradicts a crash active on them, as a torn write does.
  conflictClass: "process",
  fields: {},
  start(run) {
    // Unsynced writes go with the disk; only the node's identity survives, as a drive swapped
    // after it died or a cloud instance whose local disk stayed with its old host.
    const struck = crashTargets(run, "lose");
    for (const node of struck) {
      run.effects.bytesLost = (run.effects.bytesLost ?? 0) + run.sim.replaceDisk(node);
    }
    run.effects.disksReplaced = struck.length;
    return restartAtEnd(run, struck);
  },
  touched: (effects) => effects.disksReplaced > 0,
};

/** Every disk kind. */
export const diskFaults: FaultKind[] = [diskStall, diskSlow, diskBudget, diskFull, bitflip, tornWrite, diskLoss];
