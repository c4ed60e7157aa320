/**
 * Resource faults: a noisy neighbour, a co-located load that takes a share of a host's CPU and
 * disk budget (two extra nodes on the host: one computes, one writes). With quota fields the
 * neighbour is confined (a cgroup's cpu.max, cpu.weight and io limits), so the same run with and
 * without them shows what isolation buys.
 *
 * @module
 */
import type { NodeApi, NodeLogic } from "../sim/mod.ts";
import type { FaultKind } from "./kind.ts";

/** The neighbour's tick: its CPU load comes in slices of this, and its disk load checks its rate this often. */
const tickUs = 1000;

/**
 * The neighbour's CPU load: busy `cpuLoad` of every tick. A tick's handler runs when its CPU
 * service ends, so the next timer covers only the idle rest of the tick: alone on a core it is busy
 * `cpuLoad` of the time (not `cpuLoad / (1 + cpuLoad)`), and under contention it asks for no more.
 */
function cpuLoadLogic(api: NodeApi, cpuLoad: number): NodeLogic {
  const idleUs = tickUs * (1 - cpuLoad);
  const tick = () => void api.setTimer(idleUs, "tick");
  return { onStart: tick, onMessage() {}, onTimer: tick };
}

/**
 * The neighbour's disk load: writes and fsyncs one block of its file whenever the bytes owed at
 * its rate (in its own clock's time) reach a block, one block at a time. It is a node of its own
 * with free events, so the CPU load's busy core does not slow it: a co-located service has I/O
 * threads besides the ones that compute.
 */
function diskLoadLogic(api: NodeApi, diskBytesPerSecond: number, writeSizeBytes: number): NodeLogic {
  const block = new Uint8Array(writeSizeBytes);
  // Bytes owed beyond this are forgotten: a device slower than the rate is not repaid in a burst later.
  const bytesOwedMax = 2 * writeSizeBytes;
  let bytesOwed = 0;
  let owedSinceUs = api.monotonicUs();
  let writing = false;
  const writeIfOwed = () => {
    const nowUs = api.monotonicUs();
    bytesOwed = Math.min(bytesOwedMax, bytesOwed + (diskBytesPerSecond * (nowUs - owedSinceUs)) / 1e6);
    owedSinceUs = nowUs;
    if (writing || bytesOwed < writeSizeBytes) return;
    bytesOwed -= writeSizeBytes;
    writing = true;
    // Rewriting one block keeps the neighbour's file (and the simulator's memory) small while the
    // device still pays for every byte.
    api.disk.write("load", 0, block);
  };
  const tick = () => {
    api.setTimer(tickUs, "tick");
    writeIfOwed();
  };
  return {
    onStart: tick,
    onMessage() {},
    onTimer: tick,
    onDisk(completion) {
      if (completion.op === "write") {
        api.disk.fsync("load");
        return;
      }
      writing = false;
      writeIfOwed();
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
    const neighbours: number[] = [];
    for (const host of hosts) {
      const name = `neighbour-${run.timed.id}-host${host}`;
      if (cpuLoad > 0) {
        neighbours.push(run.sim.addNode({
          name,
          host,
          create: (api) => cpuLoadLogic(api, cpuLoad),
          serviceTimeUs: (kind) => (kind === "timer" ? cpuLoad * tickUs : 0),
          cpuShares: spec.neighbourCpuShares as number | undefined,
          cpuCapCores: spec.neighbourCpuCapCores as number | undefined,
        }));
      }
      if (diskBytesPerSecond > 0) {
        neighbours.push(run.sim.addNode({
          name: `${name}-disk`,
          host,
          create: (api) => diskLoadLogic(api, diskBytesPerSecond, writeSizeBytes),
          diskBytesPerSecondMax: spec.neighbourDiskBytesPerSecondMax as number | undefined,
        }));
      }
    }
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
