/**
 * `kv-pbs`: Probabilistically Bounded Staleness (Bailis et al., VLDB 2012) for N = 3 and every R
 * and W from 1 to 3, under the paper's four latency profiles: how likely a read is to see a write
 * `t` ms after the write committed, how long until that chance is 99.9%, what the quorums cost in
 * 99.9th percentile latency, and the closed form of k-staleness against sampling.
 *
 * Three measurements, each under its own figure names (`<profile>` is LNKD-SSD, LNKD-DISK, YMMR or
 * WAN; `<config>` is `R<r>W<w>`):
 * - The WARS Monte Carlo as the paper runs it (`wars.ts`): `consistentAt0 <profile> <config>`,
 *   `tVisibility999Ms ...`, `readLatencyP999Ms ...`, `writeLatencyP999Ms ...`.
 * - The same model with the coordinator placed on a replica, as in our store:
 *   `replica consistentAt0 ...` and `replica tVisibility999Ms ...`.
 * - The store itself (`pbs_store.ts`), fewer trials: `store consistentAt0 ...`, `store
 *   readLatencyP999Ms ...`, `store writeLatencyP999Ms ...`.
 * - k-staleness, which depends on the quorums only: `kStaleness closedForm <config> k<k>` and
 *   `kStaleness monteCarlo <config> k<k>`.
 *
 * @example
 * ```ts
 * import { kvPbsExperiment } from "./pbs.ts";
 * const output = kvPbsExperiment.run({ profile: "LNKD-SSD", trials: 10_000, store: false }, 1);
 * output.figures["consistentAt0 LNKD-SSD R2W2"]; // 1
 * ```
 * @module
 */
import {
  boolean,
  choice,
  defineCustomExperiment,
  defineParams,
  integer,
  number,
  TrialHash,
} from "../../../harness/mod.ts";
import type { Figure } from "../../../harness/mod.ts";
import { Rng } from "../../../sim/mod.ts";
import { pbsPaperConsistentAt0, pbsPaperRow } from "./pbs_paper.ts";
import { runPbsStore } from "./pbs_store.ts";
import {
  drawWarsTrials,
  kStalenessClosedForm,
  kStalenessMonteCarlo,
  type PbsProfileName,
  pbsProfileNames,
  pbsProfiles,
  quantile,
  type WarsCoordinator,
  type WarsResult,
  warsResults,
} from "./wars.ts";

/** Replicas: the paper's N. */
export const pbsReplicas = 3;
/** The versions k at which k-staleness is reported (the paper's examples: 1, 2, 3, 5, 10). */
export const pbsStalenessVersions = [1, 2, 3, 5, 10] as const;
/** The probability of consistency the paper's t-visibility is read at. */
export const pbsConsistencyTarget = 0.999;

/** The parameters of `kv-pbs`. */
export const kvPbsParams = defineParams({
  profile: choice(["all", ...pbsProfileNames], {
    default: "all",
    description: "latency profile of the paper (Table 3; WAN: LNKD-DISK plus 75 ms to remote replicas), or all",
  }),
  trials: integer({
    default: 100_000,
    min: 1_000,
    max: 10_000_000,
    description: "Monte Carlo write-read trials per profile (every R, W uses them all), and k-staleness samples",
  }),
  store: boolean({ default: true, description: "also measure the real store (quorum mode, no read repair)" }),
  storeTrials: integer({
    default: 200,
    min: 10,
    max: 100_000,
    description: "writes per profile and R, W on the store, each read at every point of the t grid",
  }),
  tGridPoints: integer({
    default: 13,
    min: 2,
    max: 64,
    description: "points of the t grid: 0, then geometric from 0.1 ms to tGridMsMax",
  }),
  tGridMsMax: number({ default: 2_000, min: 0.2, max: 600_000, description: "the last point of the t grid (ms)" }),
});

/** `R<r>W<w>`. */
export const pbsConfigName = (r: number, w: number): string => `R${r}W${w}`;

/** The t grid: 0, then `points - 1` offsets geometric from 0.1 ms to `maxMs`, rounded to 0.001 ms. */
export function pbsTGridMs(points: number, maxMs: number): number[] {
  const minMs = 0.1;
  const steps = points - 2;
  const grid = [0];
  for (let i = 0; i <= steps; i++) {
    const tMs = steps === 0 ? maxMs : minMs * Math.pow(maxMs / minMs, i / steps);
    grid.push(Math.round(tMs * 1000) / 1000);
  }
  return grid;
}

/** Rounds a probability or a time for a figure, keeping what the trial count can tell apart. */
const round = (x: number, digits = 6) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The experiment. */
export const kvPbsExperiment = defineCustomExperiment({
  name: "kv-pbs",
  description: "PBS (Bailis et al., VLDB 2012): t-visibility, 99.9% consistency time, latency and k-staleness " +
    "for N = 3 and every R, W, by the WARS Monte Carlo and on the store",
  params: kvPbsParams,
  run(p, seed) {
    const profiles: PbsProfileName[] = p.profile === "all" ? [...pbsProfileNames] : [p.profile];
    const grid = pbsTGridMs(p.tGridPoints, p.tGridMsMax);
    const figures: Record<string, Figure> = {};
    const curve: Record<string, Figure>[] = [];
    const comparison: Record<string, Figure>[] = [];
    const hash = new TrialHash();
    const root = Rng.fromSeed(seed);
    for (const profile of profiles) {
      const model = modelResults(profile, p.trials, root.fork(`wars/${profile}`), "apart");
      const replica = modelResults(profile, p.trials, root.fork(`wars-replica/${profile}`), "replica");
      for (const result of model) {
        const config = pbsConfigName(result.r, result.w);
        const at = (name: string) => `${name} ${profile} ${config}`;
        figures[at("consistentAt0")] = round(result.consistentAt(0));
        figures[at("tVisibility999Ms")] = round(result.tVisibilityMs(pbsConsistencyTarget), 3);
        figures[at("readLatencyP999Ms")] = round(quantile(result.readLatencyMs, pbsConsistencyTarget), 3);
        figures[at("writeLatencyP999Ms")] = round(quantile(result.writeLatencyMs, pbsConsistencyTarget), 3);
        const local = replica[(result.r - 1) * pbsReplicas + result.w - 1];
        figures[`replica ${at("consistentAt0")}`] = round(local.consistentAt(0));
        figures[`replica ${at("tVisibility999Ms")}`] = round(local.tVisibilityMs(pbsConsistencyTarget), 3);
        for (const tMs of grid) {
          curve.push({ profile, config, source: "WARS", tMs, pConsistent: round(result.consistentAt(tMs)) });
          curve.push({
            profile,
            config,
            source: "WARS, coordinator on a replica",
            tMs,
            pConsistent: round(local.consistentAt(tMs)),
          });
        }
        if (p.store) {
          const store = runPbsStore({
            profile: pbsProfiles[profile],
            r: result.r,
            w: result.w,
            trials: p.storeTrials,
            tGridMs: grid,
            seed,
          });
          hash.add(store);
          figures[`store ${at("consistentAt0")}`] = round(store.consistentAt[0]);
          figures[`store ${at("readLatencyP999Ms")}`] = round(quantile(store.readLatencyMs, pbsConsistencyTarget), 3);
          figures[`store ${at("writeLatencyP999Ms")}`] = round(quantile(store.writeLatencyMs, pbsConsistencyTarget), 3);
          grid.forEach((tMs, j) =>
            curve.push({ profile, config, source: "store", tMs, pConsistent: store.consistentAt[j] })
          );
        }
        comparison.push(compareWithPaper(profile, result, figures, at));
      }
    }
    Object.assign(figures, kStalenessFigures(p.trials, root.fork("k-staleness")));
    return {
      figures,
      tables: { tVisibility: curve, paper: comparison },
      ...(p.store ? { traceHash: hash.hex(), events: hash.events } : {}),
    };
  },
});

/** Every R, W of one profile by the Monte Carlo. */
function modelResults(profile: PbsProfileName, trials: number, rng: Rng, coordinator: WarsCoordinator): WarsResult[] {
  return warsResults(drawWarsTrials({ profile: pbsProfiles[profile], n: pbsReplicas, trials, rng, coordinator }));
}

/** Ours beside the paper's Table 4 (and §5.6 for consistency at t = 0), with ours / theirs. */
function compareWithPaper(
  profile: PbsProfileName,
  result: WarsResult,
  figures: Record<string, Figure>,
  at: (name: string) => string,
): Record<string, Figure> {
  const paper = pbsPaperRow(profile, result.r, result.w);
  const ratio = (ours: Figure, theirs: number | undefined) =>
    typeof ours === "number" && theirs !== undefined && theirs !== 0 ? round(ours / theirs, 3) : null;
  const row: Record<string, Figure> = { profile, config: pbsConfigName(result.r, result.w) };
  const pairs: [string, string, number | undefined][] = [
    ["tVisibility999Ms", "tVisibilityMs", paper?.tVisibilityMs],
    ["readLatencyP999Ms", "readLatencyP999Ms", paper?.readLatencyP999Ms],
    ["writeLatencyP999Ms", "writeLatencyP999Ms", paper?.writeLatencyP999Ms],
  ];
  for (const [ours, theirs, value] of pairs) {
    row[`ours ${ours}`] = figures[at(ours)];
    row[`paper ${theirs}`] = value ?? null;
    row[`ratio ${ours}`] = ratio(figures[at(ours)], value);
  }
  const paperAt0 = result.r === 1 && result.w === 1 ? pbsPaperConsistentAt0[profile] : undefined;
  row["ours consistentAt0"] = figures[at("consistentAt0")];
  row["paper consistentAt0"] = paperAt0 ?? null;
  row["ratio consistentAt0"] = ratio(figures[at("consistentAt0")], paperAt0);
  return row;
}

/** `kStaleness closedForm R<r>W<w> k<k>` and `kStaleness monteCarlo ...` for every R, W and k. */
function kStalenessFigures(trials: number, rng: Rng): Record<string, Figure> {
  const figures: Record<string, Figure> = {};
  for (let r = 1; r <= pbsReplicas; r++) {
    for (let w = 1; w <= pbsReplicas; w++) {
      for (const k of pbsStalenessVersions) {
        const q = { n: pbsReplicas, r, w, k };
        const name = `${pbsConfigName(r, w)} k${k}`;
        figures[`kStaleness closedForm ${name}`] = round(kStalenessClosedForm(q));
        figures[`kStaleness monteCarlo ${name}`] = round(kStalenessMonteCarlo({ ...q, trials, rng }));
      }
    }
  }
  return figures;
}
