/**
 * Curves of one figure against time: the probability that a read is fresh against the time since
 * the write (PBS t-visibility), and disk bytes over a run with compaction and retention marked.
 *
 * @example
 * ```ts
 * import { reclaimCurve } from "./curves.ts";
 * const spec = reclaimCurve(
 *   [{ timeUs: 0, bytes: 0 }, { timeUs: 1_000_000, bytes: 8_000_000 }, { timeUs: 2_000_000, bytes: 1_000_000 }],
 *   { marks: [{ timeUs: 1_500_000, label: "compaction" }] },
 * );
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import type { VegaLiteSpec } from "./charts.ts";
import {
  amountIn,
  type ChartOptions,
  hasSeries,
  numberIn,
  rowsOf,
  type RowsOrTable,
  schemaUrl,
  seriesColor,
  seriesOf,
} from "./_spec.ts";

/** One point of a freshness curve, as `freshnessCurve` in lib/metrics returns it. */
export interface StalenessPoint {
  /** Time since the latest acknowledged write of the key (the start of a bin), in microseconds. */
  sinceWriteUs: number;
  /** Fraction of reads that were fresh, in [0, 1]; NaN for a bin with no reads (not drawn). */
  freshProbability: number;
  series?: string;
}

/**
 * The probability that a read is fresh against the time since the latest acknowledged write of
 * its key (PBS t-visibility), one line per series. Each point holds until the next (step-after),
 * as a bin of `freshnessCurve` covers the time from its start to the next bin's. Bins with no
 * reads (NaN) are not drawn.
 *
 * @param rows points from `freshnessCurve` (lib/metrics/staleness.ts), with an optional `series`
 * @param options title and size
 * @returns a Vega-Lite spec with data fields `since_write_ms`, `fresh_probability` and `series`
 *
 * @example
 * ```ts
 * import { stalenessCurve } from "./curves.ts";
 * const spec = stalenessCurve([
 *   { sinceWriteUs: 0, freshProbability: 0.4, series: "R=1" },
 *   { sinceWriteUs: 10_000, freshProbability: 0.9, series: "R=1" },
 *   { sinceWriteUs: 0, freshProbability: 1, series: "R=2" },
 * ]);
 * ```
 */
export function stalenessCurve(input: RowsOrTable<StalenessPoint>, options: ChartOptions = {}): VegaLiteSpec {
  const rows = rowsOf(input);
  const values: { since_write_ms: number; fresh_probability: number; series: string }[] = [];
  rows.forEach((row, i) => {
    const record = row as unknown as Record<string, unknown>;
    const sinceWriteUs = amountIn(record, "sinceWriteUs", "stalenessCurve", i);
    const freshProbability = numberIn(record, "freshProbability", "stalenessCurve", i);
    if (Number.isNaN(freshProbability)) return;
    if (!(freshProbability >= 0 && freshProbability <= 1)) {
      throw new InputError(`stalenessCurve: row ${i} has freshProbability = ${freshProbability}, outside [0, 1]`);
    }
    values.push({ since_write_ms: sinceWriteUs / 1e3, fresh_probability: freshProbability, series: seriesOf(row) });
  });
  return {
    $schema: schemaUrl,
    title: options.title ?? "Probability a read is fresh vs time since the write",
    width: options.width ?? 500,
    height: options.height ?? 300,
    data: { values },
    mark: { type: "line", interpolate: "step-after", point: values.length <= 60 },
    encoding: {
      x: { field: "since_write_ms", type: "quantitative", title: "time since the latest acknowledged write (ms)" },
      y: {
        field: "fresh_probability",
        type: "quantitative",
        title: "P(read is fresh)",
        scale: { domain: [0, 1] },
      },
      ...seriesColor(hasSeries(rows)),
    },
  };
}

/** One sample of disk usage. */
export interface DiskBytesPoint {
  timeUs: number;
  /** Bytes on disk at `timeUs`, held until the next sample. */
  bytes: number;
  series?: string;
}

/** A moment to mark on a timeline, such as a compaction or a retention cut. */
export interface TimeMark {
  timeUs: number;
  label: string;
}

/** Options of {@linkcode reclaimCurve}. */
export interface ReclaimCurveOptions extends ChartOptions {
  /** Events drawn as labelled vertical rules (compactions, retention cuts, snapshots); default none. */
  marks?: readonly TimeMark[];
}

/**
 * Disk bytes over (virtual) time, one line per series (a node, a system), with labelled vertical
 * rules where space is reclaimed: compactions, retention cuts, snapshots. A sample holds until
 * the next one (step-after), as a gauge does.
 *
 * @param rows samples `{timeUs, bytes, series?}` (for instance lib/metrics `gaugeRows` of a bytes
 *   gauge, mapped to `{timeUs, bytes: value, series: \`node ${node}\`}`)
 * @param options the marks, title and size
 * @returns a Vega-Lite spec with data fields `time_s`, `bytes` and `series` (marks: `time_s`, `label`)
 *
 * @example
 * ```ts
 * import { reclaimCurve } from "./curves.ts";
 * const spec = reclaimCurve(
 *   [
 *     { timeUs: 0, bytes: 0, series: "node 0" },
 *     { timeUs: 2_000_000, bytes: 64_000_000, series: "node 0" },
 *     { timeUs: 3_000_000, bytes: 9_000_000, series: "node 0" },
 *   ],
 *   { marks: [{ timeUs: 2_500_000, label: "compaction" }], title: "WAL bytes, node 0" },
 * );
 * ```
 */
export function reclaimCurve(input: RowsOrTable<DiskBytesPoint>, options: ReclaimCurveOptions = {}): VegaLiteSpec {
  const rows = rowsOf(input);
  const values = rows.map((row, i) => {
    const record = row as unknown as Record<string, unknown>;
    const timeUs = numberIn(record, "timeUs", "reclaimCurve", i);
    if (!Number.isFinite(timeUs)) throw new InputError(`reclaimCurve: row ${i} has timeUs = ${timeUs}`);
    return { time_s: timeUs / 1e6, bytes: amountIn(record, "bytes", "reclaimCurve", i), series: seriesOf(row) };
  });
  const marks = (options.marks ?? []).map((mark, i) => {
    if (!Number.isFinite(mark.timeUs)) throw new InputError(`reclaimCurve: mark ${i} has timeUs = ${mark.timeUs}`);
    return { time_s: mark.timeUs / 1e6, label: mark.label };
  });
  const layers: VegaLiteSpec[] = [{
    data: { values },
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: { field: "time_s", type: "quantitative", title: "time (s, virtual)" },
      y: { field: "bytes", type: "quantitative", title: "disk bytes", axis: { format: "~s" } },
      ...seriesColor(hasSeries(rows)),
    },
  }];
  if (marks.length > 0) {
    layers.push({
      data: { values: marks },
      mark: { type: "rule", color: "#555", strokeDash: [4, 3] },
      encoding: { x: { field: "time_s", type: "quantitative" }, tooltip: [{ field: "label" }, { field: "time_s" }] },
    }, {
      data: { values: marks },
      mark: { type: "text", align: "left", baseline: "top", dx: 3, dy: 3, fontSize: 10, color: "#555" },
      encoding: { x: { field: "time_s", type: "quantitative" }, y: { value: 0 }, text: { field: "label" } },
    });
  }
  return {
    $schema: schemaUrl,
    title: options.title ?? "Disk bytes over time",
    width: options.width ?? 600,
    height: options.height ?? 250,
    layer: layers,
  };
}
