/**
 * A small cluster for fault tests: every node heartbeats every other node, appends to a log and
 * fsyncs it, and reads its clock, so each fault kind has something to strike. Test-only.
 *
 * @module
 */
import { History } from "../history/history.ts";
import { Simulation, type SimulationOptions } from "../sim/mod.ts";
import { Nemesis } from "./nemesis.ts";
import type { ClusterView, ScheduleNode } from "./types.ts";

/** Options of the probe cluster. */
export interface ProbeOptions {
  seed?: number;
  nodes?: number;
  /** Placement per node, for region tests. */
  regions?: string[];
  /** Placement per node, for zone tests. */
  zones?: string[];
  /** Host index per node: nodes with the same index share a host (its cores and disk). Default: one each. */
  hosts?: number[];
  tickUs?: number;
  /** CPU service time per event (0: none). */
  serviceTimeUs?: number;
  /** Disk policy for unsynced writes at a crash. */
  unsyncedOnCrash?: "random" | "lose" | "keep" | "torn";
  /** Disk throughput of every host in bytes per second; default 0 (unlimited: sizes cost no time). */
  diskBytesPerSecond?: number;
  network?: SimulationOptions["network"];
}

/** One heartbeat as its receiver saw it, in true microseconds. */
export interface Heartbeat {
  from: number;
  sentUs: number;
  arrivedUs: number;
}

/** The probe cluster, its view for the nemesis, and a history. */
export interface ProbeCluster {
  sim: Simulation;
  cluster: ClusterView;
  history: History;
  /** Heartbeats received: `received[to][from]`, with the true time of the last one. */
  received: number[][];
  lastHeardUs: number[][];
  /** Every heartbeat each node handled, in handling order: `heartbeats[to]`. */
  heartbeats: Heartbeat[][];
  /** Wall-clock readings per node: [true time, reading]. */
  clockReadings: [number, number][][];
  /** fsync latencies per node (true microseconds from issue to completion). */
  fsyncLatencies: number[][];
  /** fsyncs per node as [issued, completed] in true microseconds. */
  fsyncTimes: [number, number][][];
  /** Successful appends per node as [issued, completed] in true microseconds. */
  writeTimes: [number, number][][];
  /** Failed disk operations per node, with their errors. */
  diskErrors: string[][];
}

/** Bytes each node appends per tick. */
export const probeRecordBytes = 100;

/** Builds the probe cluster; the lowest-numbered running node reports itself as `leader`. */
export function probeCluster(options: ProbeOptions = {}): ProbeCluster {
  const count = options.nodes ?? 5;
  const tickUs = options.tickUs ?? 10_000;
  const sim = new Simulation({ seed: options.seed ?? 1, network: options.network });
  const matrix = (fill: number) => Array.from({ length: count }, () => new Array(count).fill(fill));
  const perNode = <T>(): T[][] => Array.from({ length: count }, () => []);
  const received = matrix(0);
  const lastHeardUs = matrix(-1);
  const heartbeats = perNode<Heartbeat>();
  const clockReadings = perNode<[number, number]>();
  const fsyncLatencies = perNode<number>();
  const fsyncTimes = perNode<[number, number]>();
  const writeTimes = perNode<[number, number]>();
  const diskErrors = perNode<string>();
  const nodes: number[] = [];
  const hostByIndex = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const hostIndex = options.hosts?.[i] ?? i;
    const host = hostByIndex.get(hostIndex) ?? sim.addHost({
      region: options.regions?.[i],
      zone: options.zones?.[i],
      disk: { unsyncedOnCrash: options.unsyncedOnCrash ?? "random", bytesPerSecond: options.diskBytesPerSecond ?? 0 },
    });
    hostByIndex.set(hostIndex, host);
    nodes.push(sim.addNode({
      name: `n${i}`,
      host,
      serviceTimeUs: options.serviceTimeUs ? () => options.serviceTimeUs! : undefined,
      create: (api) => {
        let fsyncIssuedUs = -1;
        const tick = () => {
          api.setTimer(tickUs, "tick");
          // The heartbeat carries its true send time so tests can see delays; only a probe may know it.
          for (const peer of nodes) if (peer !== api.id) api.send(peer, sim.nowUs);
          clockReadings[api.id].push([sim.nowUs, api.now()]);
          api.disk.append("log", new Uint8Array(probeRecordBytes).fill(api.id + 1), sim.nowUs);
        };
        return {
          onStart: tick,
          onMessage(from, sentUs) {
            received[api.id][from]++;
            lastHeardUs[api.id][from] = sim.nowUs;
            heartbeats[api.id].push({ from, sentUs: sentUs as number, arrivedUs: sim.nowUs });
          },
          onTimer: tick,
          onDisk(completion) {
            if (!completion.ok) diskErrors[api.id].push(completion.error!);
            if (completion.op === "write" && completion.ok) {
              writeTimes[api.id].push([completion.tag as number, sim.nowUs]);
            }
            if (completion.op === "write" && completion.ok && fsyncIssuedUs < 0) {
              fsyncIssuedUs = sim.nowUs;
              api.disk.fsync("log");
            } else if (completion.op === "fsync") {
              fsyncLatencies[api.id].push(sim.nowUs - fsyncIssuedUs);
              fsyncTimes[api.id].push([fsyncIssuedUs, sim.nowUs]);
              fsyncIssuedUs = -1;
            }
          },
        };
      },
    }));
  }
  const cluster: ClusterView = {
    nodes,
    roles: { leader: () => nodes.filter((n) => sim.isUp(n)).slice(0, 1) },
    nodesForKey: (key) => [nodes[key.length % count]],
  };
  return {
    sim,
    cluster,
    history: new History(),
    received,
    lastHeardUs,
    heartbeats,
    clockReadings,
    fsyncLatencies,
    fsyncTimes,
    writeTimes,
    diskErrors,
  };
}

/**
 * Reads `read()` at true times `fromUs` and `toUs` (after whatever else is queued for those
 * instants, so after a fault that starts or heals then) and returns the two readings once the run
 * has passed `toUs`. Call before running.
 */
export function readAt<T>(probe: ProbeCluster, fromUs: number, toUs: number, read: () => T): () => [T, T] {
  const readings: T[] = [];
  probe.sim.at(fromUs, () => readings.push(structuredClone(read())));
  probe.sim.at(toUs, () => readings.push(structuredClone(read())));
  return () => {
    if (readings.length !== 2) throw new Error(`readAt(${fromUs}, ${toUs}): the run has not reached both times`);
    return [readings[0], readings[1]];
  };
}

/** Heartbeats handled between `fromUs` and `toUs`: `heard()[to][from]`. Call before running. */
export function heardBetween(probe: ProbeCluster, fromUs: number, toUs: number): () => number[][] {
  const readings = readAt(probe, fromUs, toUs, () => probe.received);
  return () => {
    const [before, after] = readings();
    return after.map((row, to) => row.map((count, from) => count - before[to][from]));
  };
}

/** The median of `values` (the lower middle for an even count); NaN when empty. */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** A nemesis over the probe cluster with these faults; the quiet time after the heal defaults to 200 ms. */
export function strike(
  probe: ProbeCluster,
  faults: ScheduleNode[],
  options: { healAtUs?: number; recoveryUs?: number } = {},
): Nemesis {
  return new Nemesis({ ...probe, schedule: { faults, recoveryUs: 200_000, ...options } });
}

/** `blocked[from][to]`: which directed links the network cuts now. */
export function blockedLinks(probe: ProbeCluster): boolean[][] {
  const nodes = probe.cluster.nodes;
  return nodes.map((from) => nodes.map((to) => probe.sim.network.isBlocked(from, to)));
}
