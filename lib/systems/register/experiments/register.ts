/**
 * The `register` experiment: the primary-backup register under a random mix of crashes and
 * partitions aimed at its roles, with closed-loop clients doing get, put and cas of unique values
 * on a few keys, a read of every key at the end, and linearizability judged per key (with and
 * without the final reads). Switch a planted bug on with `bug` and the checks catch it.
 *
 * @example
 * ```ts
 * import { registerExperiment } from "./register.ts";
 * const output = registerExperiment.run({ durationUs: 3_000_000, faults: "none" }, 1);
 * output.checks.every((c) => c.valid === true); // true
 * ```
 * @module
 */
import { kvCas } from "../../../check/mod.ts";
import { InputError } from "../../../assert.ts";
import type { Schedule } from "../../../faults/mod.ts";
import {
  defineExperiment,
  defineParams,
  type FaultPackage,
  finalReads,
  type Generator,
  integer,
  linearizable,
  number,
  packageSchedule,
  paramGroups,
  type ValuesOf,
  type Workload,
} from "../../../harness/mod.ts";
import { keysMax, registerBugNames } from "../mod.ts";
import { type RegisterOptions, registerSystem } from "./system.ts";

/** The fault packages `faults` chooses from. */
export const registerFaultPackages = ["mixed", "crashes", "partitions", "disks", "none"] as const;

/** The experiment's parameters. */
export const registerParams = defineParams({
  ...paramGroups.cluster({ default: 3, min: 2, max: 9 }),
  ...paramGroups.clients({ default: 8, max: 64 }),
  ...paramGroups.duration({ defaultUs: 6_000_000 }),
  keys: integer({ default: 8, min: 1, max: keysMax, description: "keys the clients work on" }),
  readFraction: number({ default: 0.4, min: 0, max: 1, description: "fraction of operations that are gets" }),
  casFraction: number({ default: 0.2, min: 0, max: 1, description: "fraction of operations that are cas" }),
  thinkTimeUsMean: number({ default: 2_000, min: 0, description: "mean client think time" }),
  timeoutUs: integer({ default: 20_000, min: 1_000, description: "client timeout per attempt" }),
  attemptsMax: integer({ default: 25, min: 1, max: 1000, description: "attempts before an outcome is unknown" }),
  serviceTimeUsMean: number({ default: 20, min: 0, description: "mean server CPU time per message" }),
  ...paramGroups.faults(registerFaultPackages, {
    default: "mixed",
    description: "fault package: crashes, partitions or slow disks aimed at the primary, the backup and the " +
      "view service; mixed: all of them",
  }),
  faultIntervalUsMean: integer({
    default: 700_000,
    min: 50_000,
    description: "mean time between faults of one package",
  }),
  ...paramGroups.bug(registerBugNames),
});

/** Typed values of the experiment's parameters. */
export type RegisterParams = ValuesOf<typeof registerParams>;

/** Warm-up before the first fault, and the quiet stretch before the end in which no fault starts. */
const warmupUs = 300_000;
const quietEndUs = 1_500_000;

/**
 * Gets, puts and cas over keys `k0`, `k1`...: put values are unique in the run
 * (`process:sequence`); a cas expects the value this process last wrote to the key, so some
 * succeed and some find another writer's value.
 */
export function getPutCasGenerator(options: { keys: number; readFraction: number; casFraction: number }): Generator {
  if (options.readFraction + options.casFraction > 1) {
    throw new InputError(
      `readFraction ${options.readFraction} plus casFraction ${options.casFraction} is above 1: no room for puts`,
    );
  }
  const lastWritten = new Map<string, string>();
  return {
    next(rng, { process, sequence }) {
      const key = `k${Math.floor(rng.next() * options.keys)}`;
      const draw = rng.next();
      if (draw < options.readFraction) return { f: "get", key, value: null };
      const value = `${process}:${sequence}`;
      const expected = lastWritten.get(`${process}/${key}`) ?? "";
      lastWritten.set(`${process}/${key}`, value);
      if (draw < options.readFraction + options.casFraction) return { f: "cas", key, value: [expected, value] };
      return { f: "put", key, value };
    },
  };
}

const crash = (role: string, durationUs: number) => ({ kind: "crash", targets: { role }, durationUs });
const isolate = (role: string, durationUs: number) => ({ kind: "isolate", targets: { role }, durationUs });
const slowDisk = (role: string, durationUs: number) => ({
  kind: "disk-slow",
  targets: { role },
  factor: 20,
  fsyncOnly: true,
  durationUs,
});

/** The faults of each package, aimed at the register's roles. */
const packages: Record<Exclude<RegisterParams["faults"], "none" | "mixed">, FaultPackage> = {
  // Single crashes test promotion and state transfer; a view service crash tests that views
  // survive on its disk. Every other period the backup's disk degrades and 400 ms later both
  // replicas lose power: the moment a durability bug needs, since the backup's disk then lags far
  // behind what the primary has answered.
  crashes: {
    choices: [
      { weight: 2, fault: crash("primary", 300_000) },
      { weight: 1, fault: crash("backup", 300_000) },
      { weight: 1, fault: crash("viewService", 200_000) },
    ],
  },
  // An isolated primary still hears its clients: the case where a stale primary must not answer.
  partitions: {
    choices: [
      { weight: 3, fault: isolate("primary", 600_000) },
      { weight: 1, fault: isolate("backup", 400_000) },
      { weight: 1, fault: isolate("viewService", 300_000) },
      { weight: 1, fault: { kind: "partition-halves", durationUs: 400_000 } },
    ],
  },
  // A degraded disk (fsync 20 times slower) on one replica: the other's acknowledgements run ahead
  // of it, which is harmless only if nobody answers before both are durable.
  disks: {
    choices: [
      { weight: 2, fault: slowDisk("backup", 1_000_000) },
      { weight: 1, fault: slowDisk("primary", 1_000_000) },
    ],
  },
};

/** Power losses of both replicas while the backup's disk lags, every `everyUs`. */
const powerLosses = (everyUs: number): FaultPackage => ({
  periodic: {
    everyUs,
    node: {
      parallel: [{ at: 0, fault: slowDisk("backup", 600_000) }, { at: 400_000, fault: crash("replicas", 300_000) }],
    },
  },
});

/**
 * The fault schedule of a package: a random mix of its faults from the warm-up to `quietEndUs`
 * before the end. `mixed` runs the three packages side by side, each its own random mix, so a
 * crash may strike during a partition or while a replica's disk is slow.
 */
export function registerSchedule(
  params: Pick<RegisterParams, "faults" | "durationUs" | "faultIntervalUsMean">,
): Schedule {
  if (params.faults === "none") return { faults: [], recoveryUs: 0 };
  const names = params.faults === "mixed" ? (["crashes", "partitions", "disks"] as const) : [params.faults];
  const chosen = names.map((name) => packages[name]);
  if (names.includes("crashes")) chosen.push(powerLosses(params.faultIntervalUsMean * 2));
  return packageSchedule(chosen, {
    durationUs: params.durationUs,
    warmupUs,
    quietEndUs,
    meanIntervalUs: params.faultIntervalUsMean,
  });
}

/** Gets, puts and cas by closed-loop clients, a read of every key at the end, judged by linearizability. */
export function registerWorkload(
  p: Pick<RegisterParams, "clients" | "thinkTimeUsMean" | "keys" | "readFraction" | "casFraction">,
): Workload {
  return {
    processes: p.clients,
    thinkTimeUsMean: p.thinkTimeUsMean,
    generator: getPutCasGenerator(p),
    final: finalReads(p.keys),
    checkers: [
      linearizable("linearizability", kvCas, { initial: "" }),
      linearizable("linearizability (with final reads)", kvCas, { initial: "", includeFinal: true }),
    ],
  };
}

/** The build options a parameter set gives. */
export function registerOptions(p: RegisterParams): RegisterOptions {
  return {
    servers: p.servers,
    serviceTimeUsMean: p.serviceTimeUsMean,
    timeoutUs: p.timeoutUs,
    attemptsMax: p.attemptsMax,
    bug: p.bug,
  };
}

/** The register under crashes and partitions, judged by linearizability. */
export const registerExperiment = defineExperiment({
  name: "register",
  description: "primary-backup register (view service, state transfer) under crashes and partitions; " +
    "checks linearizability of get/put/cas",
  params: registerParams,
  system: registerSystem,
  options: registerOptions,
  workload: registerWorkload,
  schedule: registerSchedule,
  phases: (p) => ({ warmupUs, durationUs: p.durationUs, recoveryBoundUs: 2_000_000 }),
  figures: () => ({ staleness: true }),
});
