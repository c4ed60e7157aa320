/**
 * `kv-swarm`: the leaderless store under a fault mix and a store shape that each seed draws for
 * itself (swarm testing, lib/harness/swarm.ts), with one planted bug switchable; the campaign's
 * experiment for the store (`./faultline campaign kv`). The space holds the harness's standard
 * packages and the settings the store's users choose between: strict or sloppy quorums, how reads
 * repair, how many keys and deletes, how large a memtable is. Judged as `kv-modes` judges a run:
 * linearizability where the settings promise it, acknowledged copies, lost session writes,
 * resurrected deletes, and convergence after the heal.
 *
 * @module
 */
import {
  defineParams,
  defineSwarmExperiment,
  describeDraw,
  outputOf,
  packageSchedule,
  paramGroups,
  runSystem,
  standardFaultPackages,
  standardFigures,
  type SwarmDraw,
  swarmSimulation,
  type SwarmSpace,
  withTrace,
} from "../../../harness/mod.ts";
import { kvBugDocs, kvBugNames } from "../mod.ts";
import { kvModesParams, kvModesWorkload, kvOptions } from "./modes.ts";
import { kvStoreSystem } from "./store.ts";

const standard = standardFaultPackages();

/** What a store swarm draws from. */
export const kvSwarmSpace: SwarmSpace = {
  packages: {
    crashes: standard.crashes,
    partitions: standard.partitions,
    disks: standard.disks,
    pauses: standard.pauses,
    clocks: standard.clocks,
    power: standard.power,
  },
  meanIntervalUs: [50_000, 800_000],
  knobs: {
    /** Strict quorums (R = W = 2 of 3, no stand-ins: linearizable with blocking repair) or sloppy ones. */
    sloppyQuorum: [false, true],
    readRepair: ["blocking", "async"],
    keys: [8, 64, 256],
    deleteFraction: [0.1, 0.3],
    /** Small memtables flush (and compact) often, so collection runs within a short run. */
    memtableBytesMax: [1_024, 65_536],
    clients: [4, 8],
  },
};

/** The parameters of `kv-swarm`. */
export const kvSwarmParams = defineParams({
  ...paramGroups.duration({ defaultUs: 4_000_000, minUs: 2_500_000, maxUs: 60_000_000 }),
  ...paramGroups.bug(kvBugNames),
});

/** `kv-modes`'s parameters for a draw: quorum mode, N = 3, R = W = 2 on five servers. */
export function kvSwarmParamsOf(draw: SwarmDraw, p: { durationUs: number; bug: string }) {
  const k = draw.knobs;
  return kvModesParams.resolve({
    mode: "quorum",
    servers: 5,
    clients: k.clients,
    durationUs: p.durationUs,
    sloppyQuorum: k.sloppyQuorum,
    readRepair: k.readRepair,
    keys: k.keys,
    deleteFraction: k.deleteFraction,
    memtableBytesMax: k.memtableBytesMax,
    bug: p.bug,
  });
}

/** The most trace events a traced swarm run keeps. */
const traceEventsMax = 400_000;

/** The store under a fault mix each seed draws, or under a draw it is given (`swarm.run`). */
export const kvSwarmExperiment = defineSwarmExperiment({
  name: "kv-swarm",
  description: "leaderless key-value store under a fault mix and store settings drawn per seed (swarm testing); " +
    "checks linearizability where promised, acknowledged copies, lost session writes, resurrected deletes and " +
    "convergence",
  params: kvSwarmParams,
  space: kvSwarmSpace,
  bugs: kvBugDocs,
  run(p, seed, draw, runOptions) {
    const params = kvSwarmParamsOf(draw, p);
    const run = runSystem({
      system: kvStoreSystem,
      options: kvOptions(params),
      workload: kvModesWorkload(params),
      schedule: packageSchedule(draw.packages.map((name) => kvSwarmSpace.packages[name]), {
        durationUs: p.durationUs,
        meanIntervalUs: draw.meanIntervalUs,
      }),
      phases: { warmupUs: 300_000, durationUs: p.durationUs, recoveryBoundUs: 3_000_000 },
      seed,
      simulation: swarmSimulation(runOptions, traceEventsMax),
    });
    const output = outputOf(run, standardFigures(run), { figures: { swarm: describeDraw(draw) } });
    return withTrace(output, run.sim, runOptions);
  },
});
