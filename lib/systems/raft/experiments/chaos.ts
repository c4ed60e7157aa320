/**
 * `raft-chaos`: Raft's replicated key-value store under a fault package, with one planted bug
 * switchable. Checked by Raft's five safety invariants as the run goes, liveness after the heal,
 * linearizability of the history, and the acknowledged appends missing from the final reads.
 *
 * @module
 */
import {
  boolean,
  choice,
  defineExperiment,
  defineParams,
  integer,
  paramGroups,
  type ValuesOf,
} from "../../../harness/mod.ts";
import { raftBugNames } from "../mod.ts";
import { raftSchedule } from "./schedules.ts";
import { skewRunOptions } from "./lease_lab.ts";
import { raftSystem } from "./system.ts";
import { raftWorkload } from "./workload.ts";

/** The parameters of `raft-chaos`. */
export const raftChaosParams = defineParams({
  ...paramGroups.cluster({ default: 5, max: 15 }),
  ...paramGroups.clients({ default: 5, max: 200 }),
  ...paramGroups.duration({ defaultUs: 5_000_000, minUs: 100_000, maxUs: 600_000_000 }),
  ...paramGroups.faults(["combined", "power", "skew", "storage", "none"], {
    default: "combined",
    description:
      "combined: crashes losing unsynced writes, leader isolation, partitions, pauses, clock drift (servers time " +
      "out on their monotonic clocks, which skew in rate, not offset), disk stalls; power: majority power " +
      "failures; skew: the leader's clock slows and the followers' speed up by 8%, then the leader is cut off " +
      "from the other servers while reader clients stay with it; storage: combined plus full disks and lossy links",
  }),
  readMode: choice(["readIndex", "lease", "log"], {
    default: "readIndex",
    description: "how reads are served: ReadIndex, a leader lease, or through the log",
  }),
  snapshotEveryEntries: integer({
    default: 1000,
    min: 0,
    max: 1_000_000,
    description: "snapshot cadence in applied entries (0: never)",
  }),
  membership: boolean({
    default: false,
    description: "an operator reconfigures during the faults: adds a spare server at 0.6 s, removes n0 at 1.2 s " +
      "and n1 at 1.8 s (each asked again every 100 ms until in force)",
  }),
  transfers: boolean({
    default: false,
    description: "an operator hands leadership to another server at 0.9 s and 1.6 s",
  }),
  ...paramGroups.bug(raftBugNames),
});

type Params = ValuesOf<typeof raftChaosParams>;

/** The skew package's cluster: one key, half the clients readers, quick writers, narrow timeouts. */
const skewed = (p: Params) => p.faults === "skew" ? skewRunOptions(p.clients) : undefined;

/** Raft's replicated key-value store under faults, with a switchable planted bug. */
export const raftChaosExperiment = defineExperiment({
  name: "raft-chaos",
  description: "Raft key-value store under a fault schedule; checks Raft's safety invariants, liveness after the " +
    "heal, linearizability and lost committed writes",
  params: raftChaosParams,
  system: raftSystem,
  options: (p) => ({
    servers: p.servers,
    bug: p.bug,
    config: {
      readMode: p.readMode,
      snapshotEveryEntries: p.snapshotEveryEntries,
      ...(skewed(p) === undefined ? {} : { electionTimeoutUsMax: skewed(p)!.electionTimeoutUsMax }),
    },
    clientTimeoutUs: skewed(p)?.clientTimeoutUs,
    spares: p.membership ? 1 : 0,
    membershipChanges: p.membership
      ? [
        { atUs: 600_000, change: "add" as const, server: p.servers },
        { atUs: 1_200_000, change: "remove" as const, server: 0 },
        { atUs: 1_800_000, change: "remove" as const, server: 1 },
      ]
      : undefined,
    transfers: p.transfers ? [{ atUs: 900_000, target: -1 }, { atUs: 1_600_000, target: -1 }] : undefined,
  }),
  workload: (p) =>
    raftWorkload({
      clients: p.clients,
      keys: skewed(p)?.keys ?? 3,
      readOnlyClients: skewed(p)?.readOnlyClients,
      lostWritesFrom: "final",
    }),
  schedule: (p) => raftSchedule(p.faults, p.durationUs),
  // Every package's faults start at 300 ms, after the first election; after the heal a leader must
  // commit in its term within 1.5 s.
  phases: (p) => ({ warmupUs: Math.min(300_000, p.durationUs), durationUs: p.durationUs, recoveryBoundUs: 1_500_000 }),
});
