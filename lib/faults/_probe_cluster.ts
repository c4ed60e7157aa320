/**
 * A small cluster for fault tests: every node heartbeats every other node, appends to a log and
 * fsyncs it, and reads its clock, so each fault kind has something to strike. Test-only.
 *
 * @module
 */
import { History } from "../history/history.ts";
import { Simulation, type SimulationOptions } from "../sim/mod.ts";
import type { ClusterView } from "./types.ts";

/** Options of the probe cluster. */
export interface ProbeOptions {
  seed?: number;
  nodes?: number;
  /** Placement per node, for region tests. */
  regions?: string[];
  tickUs?: number;
  /** CPU service time per event (0: none). */
  serviceTimeUs?: number;
  /** Disk policy for unsynced writes at a crash. */
  unsyncedOnCrash?: "random" | "lose" | "keep" | "torn";
  network?: SimulationOptions["network"];
}

/** The probe cluster, its view for the nemesis, and a history. */
export interface ProbeCluster {
  sim: Simulation;
  cluster: ClusterView;
  history: History;
  /** Heartbeats received: `received[to][from]`, with the true time of the last one. */
  received: number[][];
  lastHeardUs: number[][];
  /** Wall-clock readings per node: [true time, reading]. */
  clockReadings: [number, number][][];
  /** fsync latencies per node (true microseconds from issue to completion). */
  fsyncLatencies: number[][];
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
  const received = Array.from({ length: count }, () => new Array(count).fill(0));
  const lastHeardUs = Array.from({ length: count }, () => new Array(count).fill(-1));
  const clockReadings: [number, number][][] = Array.from({ length: count }, () => []);
  const fsyncLatencies: number[][] = Array.from({ length: count }, () => []);
  const diskErrors: string[][] = Array.from({ length: count }, () => []);
  const nodes: number[] = [];
  for (let i = 0; i < count; i++) {
    const host = sim.addHost({
      region: options.regions?.[i],
      disk: { unsyncedOnCrash: options.unsyncedOnCrash ?? "random", bytesPerSecond: 0 },
    });
    nodes.push(sim.addNode({
      name: `n${i}`,
      host,
      serviceTimeUs: options.serviceTimeUs ? () => options.serviceTimeUs! : undefined,
      create: (api) => {
        let fsyncIssuedUs = -1;
        const tick = () => {
          api.setTimer(tickUs, "tick");
          for (const peer of nodes) if (peer !== api.id) api.send(peer, "hb");
          clockReadings[api.id].push([sim.nowUs, api.now()]);
          api.disk.append("log", new Uint8Array(probeRecordBytes).fill(api.id + 1));
        };
        return {
          onStart: tick,
          onMessage(from) {
            received[api.id][from]++;
            lastHeardUs[api.id][from] = sim.nowUs;
          },
          onTimer: tick,
          onDisk(completion) {
            if (!completion.ok) diskErrors[api.id].push(completion.error!);
            if (completion.op === "write" && completion.ok && fsyncIssuedUs < 0) {
              fsyncIssuedUs = sim.nowUs;
              api.disk.fsync("log");
            } else if (completion.op === "fsync") {
              fsyncLatencies[api.id].push(sim.nowUs - fsyncIssuedUs);
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
  return { sim, cluster, history: new History(), received, lastHeardUs, clockReadings, fsyncLatencies, diskErrors };
}
