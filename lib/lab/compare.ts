/**
 * Comparing results: runs or sweeps aligned on their parameters, each numeric figure side by side
 * with the difference of means and a 95% bootstrap confidence interval (drawn from a fixed seed,
 * so the comparison itself is reproducible), flagging significant regressions.
 *
 * @example
 * ```ts
 * import { compareRows } from "./compare.ts";
 * const rows = compareRows(
 *   [{ clients: 2, latencyUsP99: 10 }, { clients: 2, latencyUsP99: 12 }],
 *   [{ clients: 2, latencyUsP99: 30 }, { clients: 2, latencyUsP99: 33 }],
 *   ["clients"],
 * );
 * ```
 * @module
 */
import { Rng } from "../base/mod.ts";

/**
 * A figure as people read it, the same everywhere (reports, comparisons, the terminal): integers
 * in full, other numbers to four significant digits but never in exponent form for ordinary
 * magnitudes, so 41920.3 reads "41920" beside 48286, not "4.192e+4", and a float's noise
 * (35150.74000000002) does not show.
 *
 * @example
 * ```ts
 * import { formatFigure } from "./compare.ts";
 * formatFigure(35150.74000000002); // "35151"
 * formatFigure(0.99707); // "0.9971"
 * ```
 */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return String(Math.round(value));
  if (magnitude >= 1e-4) return String(Number(value.toPrecision(4)));
  return value.toExponential(2);
}

/** Which way is better for a figure, guessed from its name. */
export function betterDirection(metric: string): "lower" | "higher" | undefined {
  const name = metric.toLowerCase();
  if (/latency|lost|failed|retries|error|staleness|downtime|rto|rpo|wallseconds/.test(name)) return "lower";
  if (/availability|acked|throughput|fresh/.test(name)) return "higher";
  return undefined;
}

/** One figure of one aligned group. */
export interface ComparisonRow {
  group: string;
  metric: string;
  meanA: number;
  meanB: number;
  /** meanB - meanA. */
  difference: number;
  ciLow: number;
  ciHigh: number;
  runsA: number;
  runsB: number;
  /** The interval excludes 0 (and each side has at least two runs). */
  significant: boolean;
  /** Significant and in the worse direction for this figure. */
  regression: boolean;
}

const bootstrapResamples = 2000;

/**
 * Compares rows `a` and `b` grouped by `parameters` (runs of one group differ only by seed).
 * Columns named in `exclude` (other parameters) are not compared as figures.
 */
export function compareRows(
  a: Record<string, unknown>[],
  b: Record<string, unknown>[],
  parameters: string[],
  exclude: string[] = [],
): ComparisonRow[] {
  const groupOf = (row: Record<string, unknown>) => parameters.map((p) => `${p}=${row[p]}`).join(" ") || "all";
  const groups = new Map<string, { a: Record<string, unknown>[]; b: Record<string, unknown>[] }>();
  for (const row of a) {
    (groups.get(groupOf(row)) ?? groups.set(groupOf(row), { a: [], b: [] }).get(groupOf(row))!).a.push(row);
  }
  for (const row of b) {
    (groups.get(groupOf(row)) ?? groups.set(groupOf(row), { a: [], b: [] }).get(groupOf(row))!).b.push(row);
  }
  const excluded = new Set([...parameters, ...exclude, "seed", "cell", "events", "key"]);
  const result: ComparisonRow[] = [];
  // Groups sort by their numbers as numbers (clients=2, 8, 32), not as text (2, 32, 8).
  for (const [group, sides] of [...groups].sort(([x], [y]) => x.localeCompare(y, "en", { numeric: true }))) {
    if (sides.a.length === 0 || sides.b.length === 0) continue;
    const metrics = Object.keys(sides.a[0]).filter((m) =>
      !excluded.has(m) && typeof toNumber(sides.a[0][m]) === "number"
    );
    for (const metric of metrics) {
      const xs = sides.a.map((r) => toNumber(r[metric])).filter((v): v is number => v !== undefined);
      const ys = sides.b.map((r) => toNumber(r[metric])).filter((v): v is number => v !== undefined);
      if (xs.length === 0 || ys.length === 0) continue;
      const [ciLow, ciHigh] = bootstrapDifference(xs, ys, Rng.fromSeed(1).fork(`${group}/${metric}`));
      const difference = mean(ys) - mean(xs);
      // With one run on a side there is no spread to judge a difference by.
      const significant = xs.length >= 2 && ys.length >= 2 && (ciLow > 0 || ciHigh < 0);
      const direction = betterDirection(metric);
      const regression = significant &&
        ((direction === "lower" && difference > 0) || (direction === "higher" && difference < 0));
      result.push({
        group,
        metric,
        meanA: mean(xs),
        meanB: mean(ys),
        difference,
        ciLow,
        ciHigh,
        runsA: xs.length,
        runsB: ys.length,
        significant,
        regression,
      });
    }
  }
  return result;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "boolean") return undefined;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** A 95% percentile-bootstrap interval of mean(ys) - mean(xs). With one run each side it is the point. */
function bootstrapDifference(xs: number[], ys: number[], rng: Rng): [number, number] {
  if (xs.length === 1 && ys.length === 1) return [ys[0] - xs[0], ys[0] - xs[0]];
  const differences = new Float64Array(bootstrapResamples);
  for (let i = 0; i < bootstrapResamples; i++) {
    let sx = 0;
    let sy = 0;
    for (let k = 0; k < xs.length; k++) sx += xs[Math.floor(rng.next() * xs.length)];
    for (let k = 0; k < ys.length; k++) sy += ys[Math.floor(rng.next() * ys.length)];
    differences[i] = sy / ys.length - sx / xs.length;
  }
  differences.sort();
  return [differences[Math.floor(0.025 * bootstrapResamples)], differences[Math.ceil(0.975 * bootstrapResamples) - 1]];
}
