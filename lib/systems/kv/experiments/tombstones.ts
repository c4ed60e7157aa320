/**
 * `kv-tombstones`: deletes, gc_grace and the replica that comes back too late. A delete-heavy
 * workload runs on the leaderless store (strict quorums) while one node is down for `downtimeUs`;
 * compaction collects tombstones `gcGraceUs` after their deletes. Down shorter than gc_grace, the
 * node hears of every delete (anti-entropy, read repair) before the others forget it, and no
 * deleted value comes back: `no-resurrected-deletes` is then a check. Down longer, it rejoins with
 * values whose tombstones are gone and spreads them again, Cassandra's documented hazard (repair
 * within gc_grace): the run measures it instead (`resurrectedKeys`). The planted bug
 * `tombstonesBeforeSeen` collects tombstones at once, and resurrects keys even after a short outage.
 * By default (`deletesDuringOutage`) the clients write only deletes while the node is down and only
 * read once it is back, so no later write hides a resurrected value from the final reads.
 *
 * Figures: `resurrectedKeys` (keys whose final read returned a value an acknowledged delete had
 * replaced), `resurrectedReads` (every such read), and the store's storage figures (write
 * amplification, compactions, bytes reclaimed, tombstones and live keys at the end). Tables and
 * charts: `reclaim`, the tombstones each node holds and the bytes its compactions reclaimed over
 * time, and the reclaim curve.
 *
 * @example
 * ```ts
 * import { kvTombstonesExperiment } from "./tombstones.ts";
 * const output = kvTombstonesExperiment.run({ durationUs: 2_000_000, downtimeUs: 300_000 }, 1);
 * output.checks.every((c) => c.valid === true); // true
 * ```
 * @module
 */
import {
  boolean,
  choice,
  defineExperiment,
  defineParams,
  finalReads,
  type Generator,
  integer,
  keyValueGenerator,
  number,
  paramGroups,
  type ValuesOf,
} from "../../../harness/mod.ts";
import { InputError } from "../../../assert.ts";
import { reclaimCurve } from "../../../viz/mod.ts";
import { kvSettingsDefaults } from "../mod.ts";
import { noResurrectedDeletes, resurrectedDeletes } from "./resurrection.ts";
import { kvSystem } from "./system.ts";

/** The parameters of `kv-tombstones`. */
export const kvTombstonesParams = defineParams({
  ...paramGroups.cluster({ default: 5, min: 3, max: 64 }),
  ...paramGroups.clients({ default: 8, max: 256 }),
  ...paramGroups.duration({ defaultUs: 6_000_000 }),
  keys: integer({ default: 256, min: 1, max: 10_000, description: "keys the clients work on" }),
  readFraction: number({ default: 0.4, min: 0, max: 1, description: "fraction of operations that are gets" }),
  deleteFraction: number({ default: 0.3, min: 0, max: 1, description: "fraction of operations that are deletes" }),
  gcGraceUs: integer({
    default: 1_000_000,
    min: 0,
    max: 3_600_000_000,
    description: "how long a tombstone is kept before compaction may collect it",
  }),
  memtableBytesMax: integer({
    default: 1_024,
    min: 256,
    max: 1 << 30,
    description: "bytes of records a memtable holds before a flush (small: tombstones reach compaction soon)",
  }),
  downAtUs: integer({ default: 1_000_000, min: 0, description: "when node kv1 goes down" }),
  downtimeUs: integer({
    default: 2_000_000,
    min: 0,
    description: "how long kv1 stays down: longer than gcGraceUs resurrects deleted values by design",
  }),
  deletesDuringOutage: boolean({
    default: true,
    description: "while kv1 is down the clients only delete and read, and once it is back only read, so a " +
      "deleted value kv1 still holds is never overwritten and a resurrection shows in the final reads; false: " +
      "the same mix throughout",
  }),
  bug: choice(["none", "tombstonesBeforeSeen"], { default: "none", description: "a planted bug" }),
});

/** Typed values of the parameters. */
export type KvTombstonesParams = ValuesOf<typeof kvTombstonesParams>;

/** Whether the settings promise that no deleted value comes back: every replica back within gc_grace. */
export function promisesNoResurrection(p: Pick<KvTombstonesParams, "downtimeUs" | "gcGraceUs">): boolean {
  return p.downtimeUs < p.gcGraceUs;
}

/** The delete-heavy store with one node down for a while. */
export const kvTombstonesExperiment = defineExperiment({
  name: "kv-tombstones",
  description: "delete-heavy leaderless store with one node down shorter or longer than gc_grace: resurrected " +
    "keys, tombstones and bytes reclaimed over time",
  params: kvTombstonesParams,
  system: kvSystem,
  options: (p) => {
    if (p.readFraction + p.deleteFraction > 1) {
      throw new InputError(`readFraction ${p.readFraction} plus deleteFraction ${p.deleteFraction} is above 1`);
    }
    return {
      servers: p.servers,
      mode: "quorum" as const,
      settings: {
        ...kvSettingsDefaults,
        sloppyQuorum: false,
        gcGraceUs: p.gcGraceUs,
        memtableBytesMax: p.memtableBytesMax,
      },
      virtualNodes: 16,
      serviceTimeUsMean: 20,
      clientTimeoutUs: kvSettingsDefaults.requestTimeoutUs + 50_000,
      attemptsMax: 10,
      bug: p.bug,
    };
  },
  workload: (p) => ({
    processes: p.clients,
    thinkTimeUsMean: 2_000,
    generator: p.deletesDuringOutage ? outageGenerator(p) : mixGenerator(p),
    final: finalReads(p.keys),
    checkers: promisesNoResurrection(p) ? [noResurrectedDeletes({ reads: "final" })] : [],
  }),
  schedule: (p) => ({
    faults: [{ at: p.downAtUs, fault: { kind: "crash", targets: { nodes: ["kv1"] }, durationUs: p.downtimeUs } }],
    recoveryUs: 0,
  }),
  phases: (p) => ({ warmupUs: 100_000, durationUs: p.durationUs, recoveryBoundUs: 3_000_000 }),
  extras: (run) => {
    const events = run.sim.history.events;
    const resurrected = resurrectedDeletes(events, { reads: "final" });
    const reclaim = reclaimRows(run.sim.metrics);
    return {
      figures: {
        resurrectedKeys: new Set(resurrected.map((r) => r.key)).size,
        resurrectedReads: resurrectedDeletes(events, { reads: "all" }).length,
      },
      tables: { reclaim },
      charts: {
        reclaim: reclaimCurve(
          reclaim.map((row) => ({ timeUs: row.timeUs, bytes: row.bytesReclaimed, series: `node ${row.node}` })),
          { title: "bytes reclaimed by compaction, per node (cumulative)" },
        ),
      },
    };
  },
});

function mixGenerator(p: KvTombstonesParams): Generator {
  return keyValueGenerator({
    keys: p.keys,
    readFraction: p.readFraction,
    deleteFraction: p.deleteFraction,
    writeF: "put",
  });
}

/**
 * The mix until kv1 goes down; while it is down, reads and deletes only (every write a delete);
 * once it is back, reads only. Cassandra's hazard in its plainest form: the deletes kv1 missed are
 * the last word on their keys, so once the others have collected the tombstones, nothing but
 * kv1's stale copy is left to answer.
 */
function outageGenerator(p: KvTombstonesParams): Generator {
  const mix = mixGenerator(p);
  const outage = keyValueGenerator({
    keys: p.keys,
    readFraction: p.readFraction,
    deleteFraction: 1 - p.readFraction,
    writeF: "put",
  });
  const reads = keyValueGenerator({ keys: p.keys, readFraction: 1, writeF: "put" });
  return {
    next(rng, context) {
      const nowUs = context.nowUs ?? 0;
      if (nowUs < p.downAtUs) return mix.next(rng, context);
      return (nowUs < p.downAtUs + p.downtimeUs ? outage : reads).next(rng, context);
    },
  };
}

/** Per node over time: the tombstones it holds and the bytes its compactions reclaimed so far. */
function reclaimRows(
  metrics: { series(name: string): { timeUs: ArrayLike<number>; node: ArrayLike<number>; value: ArrayLike<number> } },
): { timeUs: number; node: number; tombstones: number; bytesReclaimed: number }[] {
  const tombstones = metrics.series("tombstones");
  const reclaimed = metrics.series("kv_bytes_reclaimed");
  const rows: { timeUs: number; node: number; tombstones: number; bytesReclaimed: number }[] = [];
  const last = new Map<number, { tombstones: number; bytesReclaimed: number }>();
  const at = (node: number) => last.get(node) ?? { tombstones: 0, bytesReclaimed: 0 };
  let i = 0;
  let j = 0;
  while (i < tombstones.timeUs.length || j < reclaimed.timeUs.length) {
    const takeTombstones = j >= reclaimed.timeUs.length ||
      (i < tombstones.timeUs.length && tombstones.timeUs[i] <= reclaimed.timeUs[j]);
    const node = takeTombstones ? tombstones.node[i] : reclaimed.node[j];
    const state = { ...at(node) };
    if (takeTombstones) state.tombstones = tombstones.value[i++];
    else state.bytesReclaimed += reclaimed.value[j++];
    last.set(node, state);
    rows.push({ timeUs: takeTombstones ? tombstones.timeUs[i - 1] : reclaimed.timeUs[j - 1], node, ...state });
  }
  return rows;
}
