/**
 * What the cluster commands (`k8s sweep`, `slurm sweep`) share: the sweep is validated on the
 * submitting machine, then handed on to every shard as the same `./faultline sweep` options, run
 * by a POSIX shell on the cluster.
 *
 * @module
 */
import { experimentNamed, sweepCells, type SweepSpec } from "../lab/mod.ts";
import { sweepSpecOf } from "./sweep.ts";

type Values = Record<string, string | boolean | string[] | undefined>;

/** The sweep options handed on to every shard, in a fixed order. */
const forwardedLists = ["grid", "zip", "param", "range"];
const forwardedTexts = ["sample", "sample-seed", "seeds", "workers"];
const forwardedFlags = ["keep-histories", "force"];

/** Quotes `word` for a POSIX shell: inside single quotes nothing is special but the quote itself. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/**
 * Shell lines that end the script with the exit code in `$code`, except that 1 (the sweep found a
 * violation) ends it with 0: a violation is a result, stored like any other, not a failed job.
 */
export const acceptViolations = `if [ "$code" -eq 1 ]; then exit 0; fi; exit "$code"`;

/**
 * The sweep's spec and `EXPERIMENT` followed by its options as `./faultline sweep` takes them
 * (without --out, --cache, --shard). A bad sweep (unknown parameters, values out of range, bad
 * lists) is refused here, not in N jobs on a cluster.
 */
export function shardedSweep(experiment: string, values: Values): { spec: SweepSpec; sweepArgs: string[] } {
  const spec = sweepSpecOf(experiment, values);
  sweepCells(spec, experimentNamed(experiment).params, "validation");
  const sweepArgs = [experiment];
  for (const name of forwardedLists) {
    for (const v of (values[name] as string[] | undefined) ?? []) sweepArgs.push(`--${name}`, v);
  }
  for (const name of forwardedTexts) {
    if (values[name] !== undefined) sweepArgs.push(`--${name}`, values[name] as string);
  }
  for (const name of forwardedFlags) if (values[name] === true) sweepArgs.push(`--${name}`);
  return { spec, sweepArgs };
}
