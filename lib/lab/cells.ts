/**
 * The cells of a sweep: grids (cartesian products), zipped lists and random samples of
 * parameters, times a range of seeds. Cells come out in a fixed order, and each has a key (a
 * hash of experiment, parameters, seed and code version) that names its cached result.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import { type ParamSchema, type ParamValues, resolveParams } from "../params.ts";
import { Rng } from "../base/mod.ts";
import { digestText, suggest } from "../base/mod.ts";

/** What to sweep. Values are given as strings or JSON values, as from a command line. */
export interface SweepSpec {
  experiment: string;
  /** Parameters held fixed. */
  fixed?: Record<string, unknown>;
  /** Cartesian product: every combination of these values. */
  grid?: Record<string, unknown[]>;
  /** Zipped lists: the i-th value of each list together; all lists have one length. */
  zip?: Record<string, unknown[]>;
  /** Random samples: `count` points with each parameter uniform in its range, drawn from `seed`. */
  sample?: { count: number; seed: number; ranges: Record<string, [number, number]> };
  /** Seeds each parameter point runs with. */
  seeds: number[];
}

/** One run of a sweep. */
export interface Cell {
  index: number;
  params: ParamValues;
  seed: number;
  /** Names the cell's cached result: experiment, parameters, seed and code version. */
  key: string;
}

/** The cells of `spec`, in order: parameter points (grid, then zip, then samples) times seeds. */
export function sweepCells(spec: SweepSpec, schema: ParamSchema, codeVersion: string): Cell[] {
  const setBy = new Map<string, string>();
  const parts = { "--param": spec.fixed, "--grid": spec.grid, "--zip": spec.zip, "--range": spec.sample?.ranges };
  for (const [option, part] of Object.entries(parts)) {
    for (const name of Object.keys(part ?? {})) {
      checkName(name, schema);
      // One value would silently win over the other: refuse rather than guess which was meant.
      const earlier = setBy.get(name);
      if (earlier !== undefined) throw new InputError(`parameter ${name} is given by both ${earlier} and ${option}`);
      setBy.set(name, option);
    }
  }
  if (spec.seeds.length === 0) throw new InputError("a sweep needs at least one seed");
  if (new Set(spec.seeds).size !== spec.seeds.length) {
    throw new InputError(`seeds ${spec.seeds.join(",")}: a seed is listed twice (it would run identical cells)`);
  }
  let points: Record<string, unknown>[] = [{ ...spec.fixed }];
  for (const [name, values] of Object.entries(spec.grid ?? {})) {
    if (values.length === 0) throw new InputError(`grid ${name} has no values`);
    points = points.flatMap((point) => values.map((value) => ({ ...point, [name]: value })));
  }
  const zipped = Object.entries(spec.zip ?? {});
  if (zipped.length > 0) {
    const length = zipped[0][1].length;
    const uneven = zipped.find(([, values]) => values.length !== length);
    if (uneven) {
      throw new InputError(
        `zipped lists must have one length: ${zipped[0][0]} has ${length}, ${uneven[0]} has ${uneven[1].length}`,
      );
    }
    points = points.flatMap((point) =>
      Array.from({ length }, (_, i) => ({ ...point, ...Object.fromEntries(zipped.map(([n, v]) => [n, v[i]])) }))
    );
  }
  if (spec.sample !== undefined) points = samplePoints(points, spec.sample, schema);
  const cells: Cell[] = [];
  for (const point of points) {
    const params = resolveParams(schema, point);
    for (const seed of spec.seeds) {
      cells.push({ index: cells.length, params, seed, key: cellKey(spec.experiment, params, seed, codeVersion) });
    }
  }
  return cells;
}

function samplePoints(
  points: Record<string, unknown>[],
  sample: { count: number; seed: number; ranges: Record<string, [number, number]> },
  schema: ParamSchema,
): Record<string, unknown>[] {
  const rng = Rng.fromSeed(sample.seed).fork("sweep-sample");
  return points.flatMap((point) =>
    Array.from({ length: sample.count }, () => {
      const drawn: Record<string, unknown> = { ...point };
      for (const [name, [min, max]] of Object.entries(sample.ranges)) {
        const value = rng.uniform(min, max);
        drawn[name] = schema[name].type === "integer" ? Math.round(value) : value;
      }
      return drawn;
    })
  );
}

function checkName(name: string, schema: ParamSchema): void {
  if (!(name in schema)) {
    throw new InputError(
      `unknown parameter ${JSON.stringify(name)}${suggest(name, Object.keys(schema))}; allowed: ${
        Object.keys(schema).join(", ")
      }`,
    );
  }
}

/** The cache key of one cell. */
export function cellKey(experiment: string, params: ParamValues, seed: number, codeVersion: string): string {
  const sorted = Object.fromEntries(Object.entries(params).sort(([a], [b]) => a.localeCompare(b)));
  return digestText(JSON.stringify({ experiment, params: sorted, seed, codeVersion }));
}

/**
 * Parses `A..B` (inclusive) or a comma list into seeds.
 *
 * @example `parseSeeds("1..3")` gives [1, 2, 3]
 */
export function parseSeeds(text: string): number[] {
  const range = text.match(/^(\d+)\.\.(\d+)$/);
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    if (to < from || to - from > 100_000) {
      throw new InputError(`--seeds ${text}: A..B needs A <= B and at most 100000 seeds`);
    }
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }
  // Digits only: Number("") is 0, so an empty list would otherwise run seed 0.
  const parts = text.split(",").map((s) => s.trim());
  if (parts.some((s) => !/^\d+$/.test(s) || !Number.isSafeInteger(Number(s)))) {
    throw new InputError(`--seeds takes A..B or a comma list of non-negative integers, got ${JSON.stringify(text)}`);
  }
  const seeds = parts.map(Number);
  const repeated = seeds.find((seed, i) => seeds.indexOf(seed) !== i);
  if (repeated !== undefined) {
    throw new InputError(`--seeds ${text}: seed ${repeated} is listed twice (it would run identical cells)`);
  }
  return seeds;
}

/** Parses `NAME=MIN..MAX` into a name and a numeric range. */
export function parseRange(text: string): [string, [number, number]] {
  const match = text.match(/^([A-Za-z]\w*)=(-?[\d.e+]+)\.\.(-?[\d.e+]+)$/);
  const [min, max] = match ? [Number(match[2]), Number(match[3])] : [NaN, NaN];
  if (!match || !Number.isFinite(min) || !Number.isFinite(max) || max < min) {
    throw new InputError(`--range takes NAME=MIN..MAX with MIN <= MAX, got ${JSON.stringify(text)}`);
  }
  return [match[1], [min, max]];
}

/** Parses `NAME=V1,V2,...` into a name and values (numbers and booleans as such, else strings). */
export function parseList(text: string, option: string): [string, unknown[]] {
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1) {
    throw new InputError(`${option} takes NAME=V1,V2,..., got ${JSON.stringify(text)}`);
  }
  const values = text.slice(eq + 1).split(",").map((v) => v.trim());
  if (values.some((v) => v === "")) throw new InputError(`${option} ${text}: an empty value in the list`);
  return [text.slice(0, eq), values];
}
