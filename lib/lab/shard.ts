/**
 * Shards: a sweep's cells split into N deterministic slices that separate machines run, and
 * merged back into the table one machine would have written.
 *
 * Slices are balanced by expected cost, not by count: a cell's cost is estimated from its
 * parameters (the product of `durationUs`, `clients`, `servers` and `nodes`, those it has; a cell
 * with none of them weighs 1, so a sweep without them splits evenly by count), and cells are
 * assigned greedily, longest first, each to the least-loaded shard (longest-processing-time
 * scheduling, within 4/3 of the best split). Ties break on the cell's index, then on the shard's,
 * so every machine computes the same assignment from the spec alone.
 *
 * @example
 * ```ts
 * import { assignShards, parseShard } from "./shard.ts";
 * const shard = parseShard("2/3"); // { index: 2, count: 3 }
 * const slices = assignShards([{ index: 0, params: { durationUs: 5 } }, { index: 1, params: {} }], 2);
 * // slices[0] holds cell 0 (the costlier one), slices[1] cell 1
 * ```
 * @module
 */
import { assert, InputError } from "../assert.ts";

/** One shard of a sweep: the `index`-th (from 1) of `count`. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** The most shards a sweep is split into: more would be one pod per cell of a huge sweep. */
export const shardCountMax = 10_000;

/**
 * Parses `I/N` (1 <= I <= N <= {@linkcode shardCountMax}).
 *
 * @example `parseShard("1/4")` gives { index: 1, count: 4 }
 */
export function parseShard(text: string): ShardSpec {
  const match = text.trim().match(/^(\d+)\/(\d+)$/);
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!match || index < 1 || count < 1 || index > count || count > shardCountMax) {
    throw new InputError(
      `--shard takes I/N with 1 <= I <= N <= ${shardCountMax} (the I-th of N slices of the sweep), got ${
        JSON.stringify(text)
      }`,
    );
  }
  return { index, count };
}

/** The parameters whose product estimates a cell's cost: simulated time times the work in it. */
const costParams = ["durationUs", "clients", "servers", "nodes"] as const;

/** A cell's estimated cost, from its parameters; 1 when it has none of the cost parameters. */
export function cellCostEstimate(params: Record<string, unknown>): number {
  let cost = 1;
  for (const name of costParams) {
    const value = params[name];
    if (typeof value === "number" && Number.isFinite(value) && value > 0) cost *= value;
  }
  return cost;
}

/**
 * The cell indices of each of `count` shards (shard I is element I-1), each list ascending:
 * longest-processing-time assignment by {@linkcode cellCostEstimate}, ties broken by cell index
 * and then by shard index.
 */
export function assignShards(
  cells: readonly { index: number; params: Record<string, unknown> }[],
  count: number,
): number[][] {
  assert(Number.isSafeInteger(count) && count >= 1, `shard count ${count} must be a whole number >= 1`);
  const order = cells.map((cell) => ({ index: cell.index, cost: cellCostEstimate(cell.params) }))
    .sort((a, b) => b.cost - a.cost || a.index - b.index);
  const loads = new Array<number>(count).fill(0);
  const slices: number[][] = Array.from({ length: count }, () => []);
  for (const cell of order) {
    let lightest = 0;
    for (let shard = 1; shard < count; shard++) if (loads[shard] < loads[lightest]) lightest = shard;
    loads[lightest] += cell.cost;
    slices[lightest].push(cell.index);
  }
  for (const slice of slices) slice.sort((a, b) => a - b);
  assert(slices.reduce((n, s) => n + s.length, 0) === cells.length, "every cell is in exactly one shard");
  return slices;
}
