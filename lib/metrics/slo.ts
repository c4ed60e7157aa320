/**
 * Service-level objectives written the way people say them, and their evaluation over a
 * history's windows.
 *
 * Grammar (case and spacing are free):
 *
 * ```
 * slo     := clause ("and" clause)* "in every" number unit "window"
 * clause  := "p" digits ("<" | "<=") number unit       latency of ok operations, e.g. p99 < 50 ms
 *          | "availability" (">" | ">=") number "%"    e.g. availability > 99.9%
 * unit    := "us" | "µs" | "ms" | "s"
 * ```
 *
 * `p50` is the median, `p99` the 0.99 quantile, `p999` or `p99.9` the 0.999 quantile, `p100` the
 * maximum. An availability may also be written as a fraction (`availability >= 0.999`).
 *
 * Evaluation cuts the history into windows of the SLO's length (as {@linkcode windowedSeries}
 * does: an operation belongs to the window its completion falls in) and checks every clause in
 * every window. A clause whose figure cannot be computed fails: a window in which nothing
 * completed fails an availability clause, and one with no ok operation fails a latency clause,
 * because an objective promises service and such a window served nobody. Latency quantiles come
 * from the log-linear {@linkcode Histogram}, so a figure within 0.4% of its bound may fall on
 * either side.
 *
 * @example
 * ```ts
 * import { evaluateSlo, parseSlo } from "./slo.ts";
 * const slo = parseSlo("p99 < 50 ms and availability > 99.9% in every 10 s window");
 * slo.windowUs; // 10_000_000
 * evaluateSlo([], slo).met; // false: an empty history served nobody
 * ```
 * @module
 */
import { assert, InputError } from "../assert.ts";
import { Histogram } from "../base/mod.ts";
import { type LatencyRow, operationLatencies } from "./latency.ts";
import { type Events, eventsOf } from "./_operations.ts";
import { bucketByWindow, type WindowGrid, windowGrid } from "./_windowing.ts";

/** The grammar, quoted in every parse error. */
export const sloGrammar =
  'clause ("and" clause)* "in every" <number> <unit> "window", where a clause is "p<digits> < <number> <unit>" ' +
  'or "availability > <number>%", "<=" and ">=" are allowed, and units are us, µs, ms, s; ' +
  'e.g. "p99 < 50 ms and availability > 99.9% in every 10 s window"';

/** Microseconds per unit of the grammar. */
export const sloUnitsUs: Readonly<Record<string, number>> = { us: 1, "µs": 1, ms: 1_000, s: 1_000_000 };

/** A latency clause: the quantile of ok latencies in a window stays below a bound. */
export interface LatencyClause {
  kind: "latency";
  /** The clause as written (spacing normalised), e.g. "p99 < 50 ms". */
  text: string;
  /** Canonical name: "p99", "p999". */
  name: string;
  /** The quantile, in (0, 1]. */
  quantile: number;
  boundUs: number;
  /** True for "<=": the bound itself passes. */
  inclusive: boolean;
}

/** An availability clause: ok / completed operations in a window stays above a minimum. */
export interface AvailabilityClause {
  kind: "availability";
  text: string;
  /** The minimum as a fraction, e.g. 0.999. */
  availabilityMin: number;
  /** True for ">=": the minimum itself passes. */
  inclusive: boolean;
}

/** One clause of an SLO. */
export type SloClause = LatencyClause | AvailabilityClause;

/** A parsed service-level objective. */
export interface Slo {
  text: string;
  clauses: SloClause[];
  windowUs: number;
}

const number = String.raw`(\d+(?:\.\d+)?)`;
const latencyPattern = new RegExp(String.raw`^p(\d+(?:\.\d+)?)\s*(<=|<)\s*${number}\s*(\S+)$`);
const availabilityPattern = new RegExp(String.raw`^availability\s*(>=|>)\s*${number}\s*(%?)$`);
const windowPattern = new RegExp(String.raw`^${number}\s*(\S+?)\s+windows?$`);

/**
 * Parses an SLO sentence; an InputError names the part it could not read and quotes the grammar.
 *
 * @param text e.g. "p99 < 50 ms and availability > 99.9% in every 10 s window"
 * @returns the structured SLO
 *
 * @example
 * ```ts
 * import { parseSlo } from "./slo.ts";
 * parseSlo("p99.9 <= 200 ms in every 1 s window").clauses[0]; // { kind: "latency", name: "p999", boundUs: 200_000, ... }
 * ```
 */
export function parseSlo(text: string): Slo {
  if (typeof text !== "string") throw new InputError(`an SLO must be a string: ${sloGrammar}`);
  const normal = text.trim().replace(/\s+/g, " ");
  const split = normal.toLowerCase().lastIndexOf(" in every ");
  if (split < 0) throw sloError(normal, `the window part "in every <number> <unit> window" is missing`);
  const clauses = normal.slice(0, split).split(/ and /i).map((clause) => parseClause(clause.trim(), normal));
  const windowText = normal.slice(split + " in every ".length);
  const match = windowPattern.exec(windowText.toLowerCase());
  if (match === null) throw sloError(normal, `could not read the window "in every ${windowText}"`);
  const windowUs = inMicroseconds(match[1], unitUs(match[2], `in every ${windowText}`, normal));
  if (!(windowUs >= 1)) throw sloError(normal, `the window "in every ${windowText}" must be at least 1 us`);
  return { text: normal, clauses, windowUs };
}

function parseClause(clause: string, whole: string): SloClause {
  const lower = clause.toLowerCase();
  const latency = latencyPattern.exec(lower);
  if (latency !== null) {
    const [, digits, operator, bound, unit] = latency;
    const quantile = quantileOf(digits, clause, whole);
    const boundUs = inMicroseconds(bound, unitUs(unit, clause, whole));
    const name = `p${digits.replace(".", "")}`;
    return { kind: "latency", text: clause, name, quantile, boundUs, inclusive: operator === "<=" };
  }
  const availability = availabilityPattern.exec(lower);
  if (availability !== null) {
    const [, operator, figure, percent] = availability;
    const availabilityMin = percent === "%" ? hundredths(figure) : Number(figure);
    if (availabilityMin > 1) {
      throw sloError(whole, `availability in "${clause}" must be a percentage up to 100% or a fraction up to 1`);
    }
    return { kind: "availability", text: clause, availabilityMin, inclusive: operator === ">=" };
  }
  throw sloError(whole, `could not read the clause "${clause}"`);
}

/** "50" → 0.5, "99" → 0.99, "999" → 0.999, "99.9" → 0.999, "100" → 1. */
function quantileOf(digits: string, clause: string, whole: string): number {
  let quantile: number;
  if (digits.includes(".") || digits.length <= 2 || digits === "100") quantile = hundredths(digits);
  else if (digits.startsWith("99")) quantile = Number(`0.${digits}`);
  else throw sloError(whole, `could not read the quantile "p${digits}" in "${clause}" (try p50, p99, p999, p99.9)`);
  if (!(quantile > 0 && quantile <= 1)) {
    throw sloError(whole, `the quantile "p${digits}" in "${clause}" must be above p0 and at most p100`);
  }
  return quantile;
}

/**
 * A decimal text divided by 100 by moving its point, so "99.9" is exactly 0.999 (99.9 / 100 in
 * floating point is 0.9990000000000001, which would fail an availability of exactly 0.999).
 */
function hundredths(decimal: string): number {
  const [whole, fraction = ""] = decimal.split(".");
  const padded = whole.padStart(3, "0");
  return Number(`${padded.slice(0, -2)}.${padded.slice(-2)}${fraction}`);
}

/** `figure` units of `unitUs` each, rounded to a thousandth of a microsecond so 0.3 ms is 300 us, not 300.00000000000006. */
function inMicroseconds(figure: string, unitUs: number): number {
  return Math.round(Number(figure) * unitUs * 1000) / 1000;
}

function unitUs(unit: string, part: string, whole: string): number {
  const us = sloUnitsUs[unit];
  if (us === undefined) {
    throw sloError(whole, `unknown unit "${unit}" in "${part}"; units: ${Object.keys(sloUnitsUs).join(", ")}`);
  }
  return us;
}

function sloError(whole: string, problem: string): InputError {
  return new InputError(`SLO "${whole}": ${problem}. Grammar: ${sloGrammar}`);
}

/** One window's verdict. Latency figures appear as `latencyUsP99` and so on, one per latency clause. */
export interface SloWindowRow {
  windowStartUs: number;
  windowEndUs: number;
  operations: number;
  ok: number;
  /** ok / operations; NaN when nothing completed. */
  availability: number;
  /** Latency figures of the clauses, named `latencyUs` + the clause's name: `latencyUsP99`. */
  [latency: `latencyUsP${string}`]: number;
  pass: boolean;
  /** The text of every clause that failed in this window. */
  failedClauses: string[];
  /**
   * How close the window came to its bounds: the largest, over clauses, of latency / bound and of
   * unavailability / allowed unavailability. Above 1 fails; Infinity when a figure is missing.
   */
  severity: number;
}

/** The verdict of an SLO over a history. */
export interface SloResult {
  slo: Slo;
  /** Every window passed. */
  met: boolean;
  windowsFailed: number;
  windows: SloWindowRow[];
  /** The window of greatest severity (the first among equals): the worst failure, or the closest call. */
  worstWindow: SloWindowRow | undefined;
}

/** Options of {@linkcode evaluateSlo}: the span to judge (default: the history's first to last event). */
export interface SloEvaluationOptions {
  startUs?: number;
  endUs?: number;
}

/**
 * Evaluates `slo` (parsed, or a sentence to parse) in every window of the history.
 *
 * @param events the history's events, or the `History` itself
 * @param slo the objective
 * @param options the span judged
 * @returns whether the SLO was met, per-window rows and the worst window
 *
 * @example
 * ```ts
 * import { evaluateSlo } from "./slo.ts";
 * const result = evaluateSlo([
 *   { process: 0, type: "invoke", f: "read", value: null, time: 0 },
 *   { process: 0, type: "ok", f: "read", value: 1, time: 80_000 },
 * ], "p99 < 50 ms in every 1 s window", { startUs: 0, endUs: 1_000_000 });
 * result.windows[0].failedClauses; // ["p99 < 50 ms"]
 * ```
 */
export function evaluateSlo(events: Events, slo: Slo | string, options: SloEvaluationOptions = {}): SloResult {
  const parsed = typeof slo === "string" ? parseSlo(slo) : slo;
  assert(parsed.clauses.length > 0, "a parsed SLO has at least one clause");
  const ops = eventsOf(events);
  const grid = windowGrid(ops, { windowUs: parsed.windowUs, startUs: options.startUs, endUs: options.endUs });
  const buckets = bucketByWindow(grid, operationLatencies(ops), (row) => row.completeUs);
  const histogram = new Histogram();
  const windows = buckets.map((bucket, index) => judgeWindow(grid, index, bucket, parsed.clauses, histogram));
  let worstWindow: SloWindowRow | undefined;
  for (const row of windows) if (worstWindow === undefined || row.severity > worstWindow.severity) worstWindow = row;
  const windowsFailed = windows.filter((row) => !row.pass).length;
  return { slo: parsed, met: windowsFailed === 0, windowsFailed, windows, worstWindow };
}

function judgeWindow(
  grid: WindowGrid,
  index: number,
  bucket: LatencyRow[],
  clauses: SloClause[],
  histogram: Histogram,
): SloWindowRow {
  histogram.clear();
  for (const row of bucket) if (row.type === "ok") histogram.record(row.latencyUs);
  const availability = bucket.length === 0 ? NaN : histogram.count / bucket.length;
  const windowStartUs = grid.startUs + index * grid.windowUs;
  const row: SloWindowRow = {
    windowStartUs,
    windowEndUs: windowStartUs + grid.windowUs,
    operations: bucket.length,
    ok: histogram.count,
    availability,
    pass: true,
    failedClauses: [],
    severity: 0,
  };
  for (const clause of clauses) {
    const figure = clause.kind === "latency" ? histogram.quantile(clause.quantile) : availability;
    if (clause.kind === "latency") row[`latencyUsP${clause.name.slice(1)}`] = figure;
    row.severity = Math.max(row.severity, severityOf(clause, figure));
    if (!passes(clause, figure)) row.failedClauses.push(clause.text);
  }
  row.pass = row.failedClauses.length === 0;
  return row;
}

function passes(clause: SloClause, figure: number): boolean {
  if (Number.isNaN(figure)) return false;
  if (clause.kind === "latency") return clause.inclusive ? figure <= clause.boundUs : figure < clause.boundUs;
  return clause.inclusive ? figure >= clause.availabilityMin : figure > clause.availabilityMin;
}

function severityOf(clause: SloClause, figure: number): number {
  if (Number.isNaN(figure)) return Infinity;
  if (clause.kind === "latency") return clause.boundUs === 0 ? (figure > 0 ? Infinity : 0) : figure / clause.boundUs;
  const allowed = 1 - clause.availabilityMin;
  const unavailability = 1 - figure;
  if (allowed === 0) return unavailability > 0 ? Infinity : 0;
  return unavailability / allowed;
}
