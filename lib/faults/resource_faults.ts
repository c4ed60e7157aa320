/**
 * Resource faults: a noisy neighbour, a co-located load that takes a share of a host's CPU and
 * disk budget. With quota fields the neighbour is confined (a cgroup's cpu.max, cpu.weight and io
 * limits), so the same run with and without them shows what isolation buys.
 *
 * @module
 */
import type { NodeApi, NodeLogic } from "../sim/types.ts";
import type { FaultKind } from "./kind.ts";

const tickUs = 1000;

/** The neighbour's logic: burns CPU on every tick and rewrites one block of its file at a set rate. */
function neighbour(api: NodeApi, diskBytesPerSecond: number, writeSizeBytes: number): NodeLogic {
  const block = new Uint8Array(writeSizeBytes);
  let bytesOwed = 0;
  let writing = false;
  const tick = () => {
    api.setTimer(tickUs, "tick");
    bytesOwed += (diskBytesPerSecond * tickUs) / 1e6;
    if (writing || bytesOwed < writeSizeBytes) return;
    bytesOwed -= writeSizeBytes;
    writing = true;
    // Rewriting one block keeps the neighbour's file (and the simulator's memory) small while the
    // device still pays for every byte.
    api.disk.write("load", 0, block);
  };
  return {
    onStart: tick,
    onMessage() {},
    onTimer: tick,
    onDisk(completion) {
      if (completion.op === "write") api.disk.fsync("load");
      else writing = false;
    },
  };
}

export const noisyNeighbour: FaultKind = {
  kind: "noisy-neighbour",
  area: "resource",
  summary: "a co-located load on each target's host taking cpuLoad of a core and diskBytesPerSecond of its disk",
  example: {
    kind: "noisy-neighbour",
    targets: { nodes: ["n1"] },
    cpuLoad: 0.9,
    diskBytesPerSecond: 200e6,
    neighbourCpuCapCores: 0.2,
    durationUs: 5_000_000,
  },
  fields: {
    cpuLoad: { type: "number", min: 0, max: 1, description: "CPU the neighbour asks for, in cores (default 0.9)" },
    diskBytesPerSecond: {
      type: "number",
      min: 0,
      description: "bytes per second it writes and fsyncs (default 100 MB/s)",
    },
    writeSizeBytes: { type: "integer", min: 1, max: 16 << 20, description: "size of each write (default 64 KiB)" },
    neighbourCpuShares: { type: "number", min: 0.001, description: "quota: its CPU weight (default 1)" },
    neighbourCpuCapCores: { type: "number", min: 0.001, max: 1, description: "quota: its hard CPU cap" },
    neighbourDiskBytesPerSecondMax: { type: "number", min: 1, description: "quota: its disk throughput cap" },
  },
  start(run) {
    const spec = run.spec;
    const cpuLoad = (spec.cpuLoad as number | undefined) ?? 0.9;
    const diskBytesPerSecond = (spec.diskBytesPerSecond as number | undefined) ?? 100e6;
    const writeSizeBytes = (spec.writeSizeBytes as number | undefined) ?? 65536;
    const hosts = [...new Set(run.targets.map((n) => run.sim.hostOf(n)))].sort((a, b) => a - b);
    const neighbours = hosts.map((host) =>
      run.sim.addNode({
        name: `neighbour-${run.timed.id}-host${host}`,
        host,
        create: (api) => neighbour(api, diskBytesPerSecond, writeSizeBytes),
        serviceTimeUs: (kind) => (kind === "timer" ? cpuLoad * tickUs : 0),
        cpuShares: spec.neighbourCpuShares as number | undefined,
        cpuCapCores: spec.neighbourCpuCapCores as number | undefined,
        diskBytesPerSecondMax: spec.neighbourDiskBytesPerSecondMax as number | undefined,
      })
    );
    return () => {
      for (const node of neighbours) {
        const stats = run.sim.nodeStats(node);
        run.effects.neighbourCpuUs = (run.effects.neighbourCpuUs ?? 0) + stats.cpuUsedUs;
        run.effects.neighbourDiskOperations = (run.effects.neighbourDiskOperations ?? 0) + stats.diskOperations;
        run.sim.crash(node);
      }
    };
  },
  touched: (effects) =>
    (effects.neighbourCpuUs > 0 || effects.neighbourDiskOperations > 0) &&
    (effects.eventsHandled > 0 || effects.diskOperations > 0),
};

/** Every resource kind. */
export const resourceFaults: FaultKind[] = [noisyNeighbour];
