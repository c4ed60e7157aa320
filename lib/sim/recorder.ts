/**
 * The kernel's metric sink: named series of (true time, node, value) observations, stored in
 * columns so millions of samples cost little.
 *
 * Nodes record through `api.record(name, value)`; the kernel stamps the true time, which nodes
 * never see. Later layers (histograms, windows, SLOs) read these columns.
 *
 * A series grows with the run. A run that only needs a metric's distribution (a benchmark's
 * latency) can have it aggregated instead: its observations go into a fixed-size
 * {@linkcode Histogram} and are not kept, so memory stays flat however long the run.
 *
 * @example
 * ```ts
 * import { Recorder } from "./recorder.ts";
 * const recorder = new Recorder();
 * recorder.record("latency_us", 1000, 0, 420);
 * recorder.series("latency_us").value[0]; // 420
 *
 * const aggregated = new Recorder({ histograms: ["latency_us"] });
 * aggregated.record("latency_us", 1000, 0, 420);
 * aggregated.histogram("latency_us").quantile(0.5); // 420
 * ```
 * @module
 */
import { checkNumber, InputError } from "../assert.ts";
import { Histogram } from "../base/mod.ts";

/** One metric's observations, in columns of equal length. */
export interface Series {
  readonly timeUs: Float64Array;
  readonly node: Int32Array;
  readonly value: Float64Array;
}

class Column {
  timeUs = new Float64Array(64);
  node = new Int32Array(64);
  value = new Float64Array(64);
  length = 0;

  push(timeUs: number, node: number, value: number): void {
    if (this.length === this.timeUs.length) this.#grow();
    this.timeUs[this.length] = timeUs;
    this.node[this.length] = node;
    this.value[this.length] = value;
    this.length++;
  }

  #grow(): void {
    const capacity = this.timeUs.length * 2;
    const timeUs = new Float64Array(capacity);
    const node = new Int32Array(capacity);
    const value = new Float64Array(capacity);
    timeUs.set(this.timeUs);
    node.set(this.node);
    value.set(this.value);
    this.timeUs = timeUs;
    this.node = node;
    this.value = value;
  }
}

/** Options of a {@linkcode Recorder}. */
export interface RecorderOptions {
  /** The most observations kept in series, over all metrics. Default 50 million. */
  samplesMax?: number;
  /**
   * Metrics recorded into a histogram instead of a series: a list of names, or `"all"`. Their
   * observations are not kept (no times, no nodes), only their distribution; values must be
   * non-negative, and fractions are rounded down, as {@linkcode Histogram} does. Default: none.
   */
  histograms?: readonly string[] | "all";
}

/** A metric recorded into a histogram. */
class Aggregate {
  readonly histogram = new Histogram();

  constructor(readonly name: string) {}

  record(value: number): void {
    if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER)) {
      throw new InputError(
        `metric ${this.name} is recorded into a histogram, which holds values from 0 to 2^53; got ${value}: ` +
          "keep it as a series instead",
      );
    }
    this.histogram.record(value);
  }
}

/** Holds every series of a run; `samplesMax` bounds the total kept so a runaway system fails loudly. */
export class Recorder {
  #columns = new Map<string, Column | Aggregate>();
  #samples = 0;
  readonly samplesMax: number;
  readonly #histograms: ReadonlySet<string> | "all";

  constructor(options: RecorderOptions = {}) {
    this.samplesMax = checkNumber("recorder samplesMax", options.samplesMax ?? 50_000_000, { min: 0, integer: true });
    const histograms = options.histograms ?? [];
    if (histograms !== "all" && !(Array.isArray(histograms) && histograms.every((h) => typeof h === "string"))) {
      throw new InputError(`recorder histograms must be "all" or a list of metric names; got ${String(histograms)}`);
    }
    this.#histograms = histograms === "all" ? "all" : new Set(histograms);
  }

  /** Adds one observation. */
  record(name: string, timeUs: number, node: number, value: number): void {
    let column = this.#columns.get(name);
    if (column === undefined) {
      column = this.#aggregated(name) ? new Aggregate(name) : new Column();
      this.#columns.set(name, column);
    }
    if (column instanceof Aggregate) return column.record(value);
    if (++this.#samples > this.samplesMax) {
      throw new InputError(`metric samples exceed samplesMax ${this.samplesMax}; record less or raise the limit`);
    }
    column.push(timeUs, node, value);
  }

  /** Names of recorded metrics (series and histograms), sorted. */
  names(): string[] {
    return [...this.#columns.keys()].sort();
  }

  /** Whether `name` is recorded into a histogram rather than a series. */
  isAggregated(name: string): boolean {
    const column = this.#columns.get(name);
    return column === undefined ? this.#aggregated(name) : column instanceof Aggregate;
  }

  /** How many observations of `name` were recorded (0 when none were). */
  count(name: string): number {
    const column = this.#columns.get(name);
    if (column === undefined) return 0;
    return column instanceof Aggregate ? column.histogram.count : column.length;
  }

  /**
   * The distribution of `name` as a new histogram: built from its series, or a copy of the
   * histogram it is recorded into (empty when nothing was recorded). Values must be non-negative.
   */
  histogram(name: string): Histogram {
    const histogram = new Histogram();
    const column = this.#columns.get(name);
    if (column instanceof Aggregate) histogram.merge(column.histogram);
    else if (column !== undefined) {
      for (let i = 0; i < column.length; i++) histogram.record(column.value[i]);
    }
    return histogram;
  }

  /**
   * The observations of `name` (empty when nothing was recorded).
   *
   * @throws InputError when `name` is recorded into a histogram: its observations were not kept
   */
  series(name: string): Series {
    const column = this.#columns.get(name);
    if (column instanceof Aggregate || (column === undefined && this.#aggregated(name))) {
      throw new InputError(
        `metric ${name} is recorded into a histogram (recorder option histograms), so its observations ` +
          "were not kept: read recorder.histogram(name), or keep it as a series",
      );
    }
    if (column === undefined) {
      return { timeUs: new Float64Array(0), node: new Int32Array(0), value: new Float64Array(0) };
    }
    return {
      timeUs: column.timeUs.subarray(0, column.length),
      node: column.node.subarray(0, column.length),
      value: column.value.subarray(0, column.length),
    };
  }

  #aggregated(name: string): boolean {
    return this.#histograms === "all" || this.#histograms.has(name);
  }

  /** Rows `{timeUs, node, value}` of `name`, for tables. */
  rows(name: string): { timeUs: number; node: number; value: number }[] {
    const { timeUs, node, value } = this.series(name);
    return Array.from(timeUs, (t, i) => ({ timeUs: t, node: node[i], value: value[i] }));
  }
}
