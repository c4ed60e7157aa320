/**
 * The numbers Bailis et al. report in "Probabilistically Bounded Staleness for Practical Partial
 * Quorums" (VLDB 2012), for showing beside ours. Transcribed from the authors' LaTeX source of the
 * camera-ready paper (`writeup/ernst.tex`, commit "Final CR?" of 29 March 2012, archived branch of
 * github.com/pbailis/pbs-vldb-historical-paper-material): Table 4 and the text of §5.6. Tests never
 * assert on these: they are the paper's measurements, not properties of our code.
 *
 * @example
 * ```ts
 * import { pbsPaperTable4 } from "./pbs_paper.ts";
 * pbsPaperTable4.find((row) => row.profile === "YMMR" && row.r === 1 && row.w === 1)?.tVisibilityMs; // 1364
 * ```
 * @module
 */
import type { PbsProfileName } from "./wars.ts";

/** Where the numbers come from, for tables and docs. */
export const pbsPaperSource = "Bailis et al., PBS, VLDB 2012, Table 4 and §5.6 (authors' LaTeX source)";

/** One cell group of Table 4: N = 3, 99.9th percentile latencies (1M reads and writes), t for 99.9% consistency. */
export interface PbsPaperRow {
  profile: PbsProfileName;
  r: number;
  w: number;
  /** 99.9th percentile read latency, ms. */
  readLatencyP999Ms: number;
  /** 99.9th percentile write latency, ms. */
  writeLatencyP999Ms: number;
  /** t-visibility for p_st = .001 (99.9% probability of consistency, over 50,000 reads and writes), ms. */
  tVisibilityMs: number;
}

const row = (profile: PbsProfileName, r: number, w: number, lr: number, lw: number, t: number): PbsPaperRow => ({
  profile,
  r,
  w,
  readLatencyP999Ms: lr,
  writeLatencyP999Ms: lw,
  tVisibilityMs: t,
});

/** Table 4 of the paper: six (R, W) rows for each of the four profiles (the paper has no R2W3, R3W2, R3W3). */
export const pbsPaperTable4: readonly PbsPaperRow[] = [
  row("LNKD-SSD", 1, 1, 0.66, 0.66, 1.85),
  row("LNKD-SSD", 1, 2, 0.66, 1.63, 1.79),
  row("LNKD-SSD", 2, 1, 1.63, 0.65, 0),
  row("LNKD-SSD", 2, 2, 1.62, 1.64, 0),
  row("LNKD-SSD", 3, 1, 4.14, 0.65, 0),
  row("LNKD-SSD", 1, 3, 0.65, 4.09, 0),
  row("LNKD-DISK", 1, 1, 0.66, 10.99, 45.5),
  row("LNKD-DISK", 1, 2, 0.65, 20.97, 43.3),
  row("LNKD-DISK", 2, 1, 1.63, 10.9, 13.6),
  row("LNKD-DISK", 2, 2, 1.64, 20.96, 0),
  row("LNKD-DISK", 3, 1, 4.12, 10.89, 0),
  row("LNKD-DISK", 1, 3, 0.65, 112.65, 0),
  row("YMMR", 1, 1, 5.58, 10.83, 1364.0),
  row("YMMR", 1, 2, 5.61, 427.12, 1352.0),
  row("YMMR", 2, 1, 32.6, 10.73, 202.0),
  row("YMMR", 2, 2, 33.18, 428.11, 0),
  row("YMMR", 3, 1, 219.27, 10.79, 0),
  row("YMMR", 1, 3, 5.63, 1870.86, 0),
  row("WAN", 1, 1, 3.4, 55.12, 113.0),
  row("WAN", 1, 2, 3.4, 167.64, 0),
  row("WAN", 2, 1, 151.3, 56.36, 30.2),
  row("WAN", 2, 2, 151.31, 167.72, 0),
  row("WAN", 3, 1, 153.86, 55.19, 0),
  row("WAN", 1, 3, 3.44, 241.55, 0),
];

/**
 * §5.6 ("Observed t-visibility"): the probability of a consistent read immediately after commit.
 * The text names no R and W; its figure and the quorum-sizing curves of §5.7 are for R = W = 1,
 * so we read these as R1W1.
 */
export const pbsPaperConsistentAt0: Readonly<Record<PbsProfileName, number>> = {
  "LNKD-SSD": 0.974,
  "LNKD-DISK": 0.439,
  "YMMR": 0.893,
  "WAN": 0.33,
};

/** The paper's row for a profile and quorums, if Table 4 has one. */
export function pbsPaperRow(profile: PbsProfileName, r: number, w: number): PbsPaperRow | undefined {
  return pbsPaperTable4.find((candidate) => candidate.profile === profile && candidate.r === r && candidate.w === w);
}
