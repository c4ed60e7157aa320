/**
 * The kernel's metric sink: named series of (true time, node, value) observations, stored in
 * columns so millions of samples cost little.
 *
 * Nodes record through `api.record(name, value)`; the kernel stamps the true time, which nodes
 * never see. Later layers (histograms, windows, SLOs) read these columns.
 *
 * @example
 * ```ts
 * import { Recorder } from "./recorder.ts";
 * const recorder = new Recorder();
 * recorder.record("latency_us", 1000, 0, 420);
 * recorder.series("latency_us").value[0]; // 420
 * ```
 * @module
 */
import { InputError } from "../assert.ts";

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

/** Holds every series of a run; `samplesMax` bounds the total so a runaway system fails loudly. */
export class Recorder {
  #columns = new Map<string, Column>();
  #samples = 0;
  readonly samplesMax: number;

  constructor(samplesMax = 50_000_000) {
    this.samplesMax = samplesMax;
  }

  /** Adds one observation. */
  record(name: string, timeUs: number, node: number, value: number): void {
    if (++this.#samples > this.samplesMax) {
      throw new InputError(`metric samples exceed samplesMax ${this.samplesMax}; record less or raise the limit`);
    }
    let column = this.#columns.get(name);
    if (column === undefined) {
      column = new Column();
      this.#columns.set(name, column);
    }
    column.push(timeUs, node, value);
  }

  /** Names of recorded metrics, sorted. */
  names(): string[] {
    return [...this.#columns.keys()].sort();
  }

  /** The observations of `name` (empty when nothing was recorded). */
  series(name: string): Series {
    const column = this.#columns.get(name);
    if (column === undefined) {
      return { timeUs: new Float64Array(0), node: new Int32Array(0), value: new Float64Array(0) };
    }
    return {
      timeUs: column.timeUs.subarray(0, column.length),
      node: column.node.subarray(0, column.length),
      value: column.value.subarray(0, column.length),
    };
  }

  /** Rows `{timeUs, node, value}` of `name`, for tables. */
  rows(name: string): { timeUs: number; node: number; value: number }[] {
    const { timeUs, node, value } = this.series(name);
    return Array.from(timeUs, (t, i) => ({ timeUs: t, node: node[i], value: value[i] }));
  }
}
