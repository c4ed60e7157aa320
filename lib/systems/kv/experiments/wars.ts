/**
 * The WARS model of Probabilistically Bounded Staleness (Bailis et al., VLDB 2012, §4.1 and §5.1)
 * as a Monte Carlo: how soon after a write commits does a partial quorum read see it?
 *
 * A write goes to N replicas, each after a delay drawn from W; each replica acknowledges after a
 * delay drawn from A; the write commits when the W-th acknowledgement arrives (time `w_t`). A read
 * starts `t` ms after commit: it goes to the N replicas (delays from R), each answers (delays from
 * S), and the read returns after the R-th answer. It is consistent when one of those first R
 * replicas had the write when the read request reached it: `W[i] <= w_t + t + R[i]`.
 *
 * The first R answerers are ordered by R[i] + S[i], which does not depend on `t`. So each trial has
 * one threshold, `tau = min over the first R of (W[i] - w_t - R[i])`, and the read is consistent
 * exactly when `t >= tau`: one set of draws gives the whole t-visibility curve, P(tau <= t), and
 * the time to a 99.9% chance of consistency is a quantile of tau. (The paper calls a response stale
 * when `w_t + R[i] + t <= W[i]`; the two differ only on ties, which have probability zero for its
 * continuous distributions, and a tie here means the write and the read arrived at the same instant,
 * which the store orders write first.)
 *
 * Everything runs on typed arrays and allocates nothing per trial.
 *
 * @example
 * ```ts
 * import { drawWarsTrials, pbsProfiles, warsResult } from "./wars.ts";
 * import { Rng } from "../../../sim/mod.ts";
 * const trials = drawWarsTrials({ profile: pbsProfiles["LNKD-SSD"], n: 3, trials: 10_000, rng: Rng.fromSeed(1) });
 * const result = warsResult(trials, { r: 1, w: 1 });
 * result.consistentAt(0); // about 0.97
 * ```
 * @module
 */
import { assert, InputError } from "../../../assert.ts";
import { type Distribution, distribution, type DistributionSpec, type Rng } from "../../../sim/mod.ts";

/** The paper's four production fits (Table 3) and its wide-area scenario (§5.5). */
export const pbsProfileNames = ["LNKD-SSD", "LNKD-DISK", "YMMR", "WAN"] as const;

/** A profile's name. */
export type PbsProfileName = typeof pbsProfileNames[number];

/** The delay distributions of one profile, in milliseconds. */
export interface WarsProfile {
  name: PbsProfileName;
  /** Coordinator to replica, carrying the write. */
  w: DistributionSpec;
  /** Replica to coordinator, acknowledging the write. */
  a: DistributionSpec;
  /** Coordinator to replica, carrying the read request. */
  r: DistributionSpec;
  /** Replica to coordinator, carrying the read response. */
  s: DistributionSpec;
  /**
   * Added to every message between a coordinator and a replica in another datacenter (WAN: 75 ms).
   * With a positive delay, the write and the read each start in the datacenter of one replica
   * chosen at random, independently, as the paper's WAN scenario does.
   */
  remoteDelayMs: number;
}

/** A Pareto body with an exponential tail, as the paper fits every distribution (rate `lambda`, per ms). */
export function paretoExponential(
  fit: { paretoWeight: number; scaleMs: number; alpha: number; lambdaPerMs: number },
): DistributionSpec {
  return {
    kind: "mixture",
    components: [
      { weight: fit.paretoWeight, distribution: { kind: "pareto", scale: fit.scaleMs, alpha: fit.alpha } },
      { weight: 1 - fit.paretoWeight, distribution: { kind: "exponential", mean: 1 / fit.lambdaPerMs } },
    ],
  };
}

const lnkdSsd = paretoExponential({ paretoWeight: 0.9122, scaleMs: 0.235, alpha: 10, lambdaPerMs: 1.66 });
const lnkdDiskWrite = paretoExponential({ paretoWeight: 0.38, scaleMs: 1.05, alpha: 1.51, lambdaPerMs: 0.183 });
const ymmrWrite = paretoExponential({ paretoWeight: 0.939, scaleMs: 3, alpha: 3.35, lambdaPerMs: 0.0028 });
const ymmrOther = paretoExponential({ paretoWeight: 0.982, scaleMs: 1.5, alpha: 3.8, lambdaPerMs: 0.0217 });

/** The paper's fits (Table 3: "Distribution fits for production latency distributions"). */
export const pbsProfiles: Readonly<Record<PbsProfileName, WarsProfile>> = {
  "LNKD-SSD": { name: "LNKD-SSD", w: lnkdSsd, a: lnkdSsd, r: lnkdSsd, s: lnkdSsd, remoteDelayMs: 0 },
  "LNKD-DISK": { name: "LNKD-DISK", w: lnkdDiskWrite, a: lnkdSsd, r: lnkdSsd, s: lnkdSsd, remoteDelayMs: 0 },
  "YMMR": { name: "YMMR", w: ymmrWrite, a: ymmrOther, r: ymmrOther, s: ymmrOther, remoteDelayMs: 0 },
  // §5.5: "We delay remote messages by 75ms and apply LNKD-DISK delays once the command reaches a
  // remote data center"; one replica is local to the coordinator.
  "WAN": { name: "WAN", w: lnkdDiskWrite, a: lnkdSsd, r: lnkdSsd, s: lnkdSsd, remoteDelayMs: 75 },
};

/** Replicas a trial may have, at most. */
export const warsReplicasMax = 16;
/** Trials one draw may hold, at most (each takes 4 N doubles). */
export const warsTrialsMax = 10_000_000;

/**
 * Where the coordinators sit. `apart`: as in the paper, every replica is a message away (WAN: one
 * of them in the coordinator's datacenter). `replica`: as in the store, the coordinator is one of
 * the replicas, chosen at random for the write and for the read, and its own copy is written and
 * read with no delay at all.
 */
export type WarsCoordinator = "apart" | "replica";

/** Options of {@linkcode drawWarsTrials}. */
export interface WarsDrawOptions {
  profile: WarsProfile;
  /** Replicas N. */
  n: number;
  trials: number;
  rng: Rng;
  /** Default `apart`, the paper's model. */
  coordinator?: WarsCoordinator;
}

/** The delays of every trial: trial `k`'s replica `i` at index `k * n + i`, in milliseconds. */
export interface WarsTrials {
  n: number;
  trials: number;
  writeMs: Float64Array;
  ackMs: Float64Array;
  readMs: Float64Array;
  responseMs: Float64Array;
}

/** Draws the W, A, R and S delays of `trials` write-read pairs. */
export function drawWarsTrials(options: WarsDrawOptions): WarsTrials {
  const { profile, n, trials, rng } = options;
  const coordinator = options.coordinator ?? "apart";
  if (!Number.isInteger(n) || n < 1 || n > warsReplicasMax) {
    throw new InputError(`n must be a whole number of replicas from 1 to ${warsReplicasMax}, got ${n}`);
  }
  if (!Number.isInteger(trials) || trials < 1 || trials > warsTrialsMax) {
    throw new InputError(`trials must be a whole number from 1 to ${warsTrialsMax}, got ${trials}`);
  }
  if (coordinator !== "apart" && coordinator !== "replica") {
    throw new InputError(`coordinator must be apart or replica, got ${JSON.stringify(coordinator)}`);
  }
  const sampler = { w: distribution(profile.w), a: distribution(profile.a), r: distribution(profile.r) };
  const s = distribution(profile.s);
  const size = n * trials;
  const drawn: WarsTrials = {
    n,
    trials,
    writeMs: fill(new Float64Array(size), sampler.w, rng),
    ackMs: fill(new Float64Array(size), sampler.a, rng),
    readMs: fill(new Float64Array(size), sampler.r, rng),
    responseMs: fill(new Float64Array(size), s, rng),
  };
  if (coordinator === "replica" || profile.remoteDelayMs > 0) place(drawn, profile.remoteDelayMs, coordinator, rng);
  return drawn;
}

function fill(values: Float64Array, sampler: Distribution, rng: Rng): Float64Array {
  for (let i = 0; i < values.length; i++) {
    const x = sampler.sample(rng);
    if (!(x >= 0)) {
      assert(false, `a delay must be a non-negative number, drew ${x} from ${JSON.stringify(sampler.spec)}`);
    }
    values[i] = x;
  }
  return values;
}

/** Puts each trial's write and read coordinator beside a random replica: local copies lose the remote delay. */
function place(drawn: WarsTrials, remoteDelayMs: number, coordinator: WarsCoordinator, rng: Rng): void {
  const { n, trials, writeMs, ackMs, readMs, responseMs } = drawn;
  for (let k = 0; k < trials; k++) {
    const writeHome = Math.floor(rng.next() * n);
    const readHome = Math.floor(rng.next() * n);
    const base = k * n;
    for (let i = 0; i < n; i++) {
      if (i !== writeHome) {
        writeMs[base + i] += remoteDelayMs;
        ackMs[base + i] += remoteDelayMs;
      } else if (coordinator === "replica") {
        writeMs[base + i] = 0;
        ackMs[base + i] = 0;
      }
      if (i !== readHome) {
        readMs[base + i] += remoteDelayMs;
        responseMs[base + i] += remoteDelayMs;
      } else if (coordinator === "replica") {
        readMs[base + i] = 0;
        responseMs[base + i] = 0;
      }
    }
  }
}

/** One quorum configuration's outcome over all trials, each array sorted ascending. */
export interface WarsResult {
  r: number;
  w: number;
  trials: number;
  /** Per trial, the least `t` at which the read is consistent (negative: consistent at once). */
  thresholdMs: Float64Array;
  /** Read latency: the R-th smallest R[i] + S[i]. */
  readLatencyMs: Float64Array;
  /** Write latency (commit time `w_t`): the W-th smallest W[i] + A[i]. */
  writeLatencyMs: Float64Array;
  /** P(consistent | read starts `tMs` after commit). */
  consistentAt(tMs: number): number;
  /** The least `t` (>= 0) at which P(consistent | t) reaches `probability`. */
  tVisibilityMs(probability: number): number;
}

/**
 * Evaluates every read quorum R and write quorum W from 1 to N on the drawn trials in one pass:
 * per trial, the commit time for each W is the W-th smallest W[i] + A[i], and the threshold for
 * each R is the least W[i] - R[i] among the first R answerers (a running minimum in answer order),
 * less the commit time. Read latencies depend on R only and write latencies on W only, so the
 * configurations share them.
 *
 * @returns the results indexed `(r - 1) * n + (w - 1)`
 */
export function warsResults(drawn: WarsTrials): WarsResult[] {
  const { n, trials } = drawn;
  const thresholds = Array.from({ length: n * n }, () => new Float64Array(trials));
  const reads = Array.from({ length: n }, () => new Float64Array(trials));
  const writes = Array.from({ length: n }, () => new Float64Array(trials));
  const commit = new Float64Array(n);
  const answer = new Float64Array(n);
  const order = new Int32Array(n);
  const gapMin = new Float64Array(n);
  for (let k = 0; k < trials; k++) {
    const base = k * n;
    for (let i = 0; i < n; i++) {
      commit[i] = drawn.writeMs[base + i] + drawn.ackMs[base + i];
      answer[i] = drawn.readMs[base + i] + drawn.responseMs[base + i];
      order[i] = i;
    }
    sortIndexes(order, answer);
    sortValues(commit);
    let running = Infinity;
    for (let j = 0; j < n; j++) {
      const i = base + order[j];
      const gap = drawn.writeMs[i] - drawn.readMs[i];
      if (gap < running) running = gap;
      gapMin[j] = running;
      reads[j][k] = answer[order[j]];
      writes[j][k] = commit[j];
    }
    for (let r = 0; r < n; r++) {
      for (let w = 0; w < n; w++) thresholds[r * n + w][k] = gapMin[r] - commit[w];
    }
  }
  for (const values of [...thresholds, ...reads, ...writes]) values.sort();
  return thresholds.map((thresholdMs, index) => {
    const r = Math.floor(index / n) + 1;
    const w = (index % n) + 1;
    return {
      r,
      w,
      trials,
      thresholdMs,
      readLatencyMs: reads[r - 1],
      writeLatencyMs: writes[w - 1],
      consistentAt: (tMs: number) => countAtMost(thresholdMs, tMs) / trials,
      tVisibilityMs: (probability: number) => Math.max(0, quantile(thresholdMs, probability)),
    };
  });
}

/** Evaluates one read quorum `r` and write quorum `w` on the drawn trials. */
export function warsResult(drawn: WarsTrials, quorums: { r: number; w: number }): WarsResult {
  const { n } = drawn;
  for (const [name, q] of [["r", quorums.r], ["w", quorums.w]] as const) {
    if (!Number.isInteger(q) || q < 1 || q > n) {
      throw new InputError(`${name} must be a whole number from 1 to n (${n}), got ${q}`);
    }
  }
  return warsResults(drawn)[(quorums.r - 1) * n + quorums.w - 1];
}

/** The value below or at which a `probability` share of the sorted `values` lie (the nearest-rank quantile). */
export function quantile(sorted: Float64Array, probability: number): number {
  if (!(probability > 0 && probability <= 1)) {
    throw new InputError(`a quantile's probability must be in (0, 1], got ${probability}`);
  }
  assert(sorted.length > 0, "a quantile of no values");
  return sorted[Math.max(0, Math.ceil(probability * sorted.length) - 1)];
}

/** How many of the sorted `values` are at most `x`. */
export function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Insertion sort of `order` by `key` (N is small), ties by replica index so the order is stable. */
function sortIndexes(order: Int32Array, key: Float64Array): void {
  for (let i = 1; i < order.length; i++) {
    const moving = order[i];
    let j = i - 1;
    while (j >= 0 && key[order[j]] > key[moving]) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = moving;
  }
}

/** Insertion sort of `values` in place (N is small). */
function sortValues(values: Float64Array): void {
  for (let i = 1; i < values.length; i++) {
    const moving = values[i];
    let j = i - 1;
    while (j >= 0 && values[j] > moving) {
      values[j + 1] = values[j];
      j--;
    }
    values[j + 1] = moving;
  }
}

// ---------------------------------------------------------------------------------- k-staleness

/** C(n, k), exactly for the small N of a replica set. */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return Math.round(result);
}

/**
 * PBS k-staleness (§3.1, Equation 2): the probability that a read quorum misses every one of the
 * last `k` independent write quorums, `p_sk = (C(N-W, R) / C(N, R))^k`, for quorums that do not
 * grow after the write (no anti-entropy).
 */
export function kStalenessClosedForm(q: { n: number; r: number; w: number; k: number }): number {
  return Math.pow(binomial(q.n - q.w, q.r) / binomial(q.n, q.r), q.k);
}

/**
 * The same probability by sampling: a read quorum of R replicas and `k` write quorums of W, each
 * chosen uniformly at random; stale when the read quorum meets none of them.
 */
export function kStalenessMonteCarlo(
  q: { n: number; r: number; w: number; k: number; trials: number; rng: Rng },
): number {
  const { n, r, w, k, trials, rng } = q;
  if (!(Number.isInteger(n) && n >= 1 && n <= warsReplicasMax && r >= 1 && r <= n && w >= 1 && w <= n)) {
    throw new InputError(`k-staleness needs 1 <= r, w <= n <= ${warsReplicasMax}, got n ${n}, r ${r}, w ${w}`);
  }
  if (!(Number.isInteger(k) && k >= 1 && Number.isInteger(trials) && trials >= 1 && trials <= warsTrialsMax)) {
    throw new InputError(`k-staleness needs k >= 1 and 1 to ${warsTrialsMax} trials, got k ${k}, trials ${trials}`);
  }
  const replicas = new Int32Array(n);
  let stale = 0;
  for (let trial = 0; trial < trials; trial++) {
    const readMask = randomSubset(replicas, r, rng);
    let writtenMask = 0;
    for (let version = 0; version < k; version++) writtenMask |= randomSubset(replicas, w, rng);
    if ((readMask & writtenMask) === 0) stale++;
  }
  return stale / trials;
}

/** A uniformly random `size`-subset of 0..n-1 as a bit mask (a partial Fisher-Yates shuffle). */
function randomSubset(scratch: Int32Array, size: number, rng: Rng): number {
  for (let i = 0; i < scratch.length; i++) scratch[i] = i;
  let mask = 0;
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rng.next() * (scratch.length - i));
    const chosen = scratch[j];
    scratch[j] = scratch[i];
    scratch[i] = chosen;
    mask |= 1 << chosen;
  }
  return mask;
}
