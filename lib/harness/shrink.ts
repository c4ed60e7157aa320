/**
 * Shrinking a failing swarm run, as QuickCheck and Hypothesis shrink a failing input: try simpler
 * variants one at a time and keep each that still fails the same checks, until a whole pass over
 * the dimensions keeps nothing or the attempt budget runs out. The dimensions, in the order tried:
 * drop a fault package (one at a time; one always stays, as in a draw), raise the mean fault
 * interval (fewer random faults; up to the space's bound), take simpler knob values (a knob's
 * first listed value is its simplest, so `servers: [3, 5]` tries 3 and `clients: [4, 8, 12]` tries
 * 4, then 8), and shorten the run (down to the `durationUs` parameter's minimum). The duration
 * comes last: a shorter run moves every later event, so taken early it tends to hide the
 * simplifications a reader cares about more (fewer servers, the default read mode).
 *
 * The seed is never changed. A different seed is not a simpler run, only another one: it would
 * trade the failure being explained for a different failure. Every variant keeps the seed, so the
 * minimal fixture is the original's seed with less around it.
 *
 * Deterministic: the variants are tried in a fixed order and each run is a pure function of its
 * fixture, so the same fixture and checks give the same steps.
 *
 * @example
 * ```ts ignore
 * import { shrinkFixture } from "./shrink.ts";
 * const result = shrinkFixture(experiment, fixture, { attemptsMax: 40 });
 * result.steps; // what was simplified, in order
 * ```
 * @module
 */
import { assert, InputError } from "../assert.ts";
import type { Experiment } from "./experiment.ts";
import type { SwarmSpace } from "./swarm.ts";
import { failedChecks, runFixture, type SwarmFixture, swarmRunnerOf, withExpected } from "./swarm_fixture.ts";

/** Options of {@linkcode shrinkFixture}. */
export interface ShrinkOptions {
  /** The checks the variants must keep failing; default every check the fixture's run fails. */
  checks?: readonly string[];
  /** The most variants run (the fixture's own run is not counted); default {@linkcode shrinkAttemptsDefault}. */
  attemptsMax?: number;
  /** Called after each variant is run, with whether it was kept. */
  onAttempt?: (step: ShrinkStep, kept: boolean) => void;
}

/** The attempt budget when none is given: under a minute of Raft swarm runs, which get shorter as they shrink. */
export const shrinkAttemptsDefault = 100;
/** The largest attempt budget accepted. */
export const shrinkAttemptsMax = 10_000;

/** One simplification kept (or tried). */
export interface ShrinkStep {
  /** `packages`, `meanIntervalUs`, `durationUs` or `knobs.<name>`. */
  dimension: string;
  from: unknown;
  to: unknown;
  /** The change in words, e.g. "drop package crashes". */
  description: string;
}

/** What shrinking found. */
export interface ShrinkResult {
  original: SwarmFixture;
  /** The simplest variant found that still fails `checks`, with its run's outcome as `expected`. */
  minimal: SwarmFixture;
  checks: string[];
  /** The simplifications kept, in order. */
  steps: ShrinkStep[];
  /** Variants run. */
  attempts: number;
  /** Whether the budget ran out before a pass kept nothing (a larger budget may shrink further). */
  budgetExhausted: boolean;
}

/**
 * Shrinks `fixture` (a run of swarm `experiment`) while it keeps failing `options.checks`.
 * Refuses a fixture whose run fails none of those checks.
 */
export function shrinkFixture(
  experiment: Experiment,
  fixture: SwarmFixture,
  options: ShrinkOptions = {},
): ShrinkResult {
  const space = swarmRunnerOf(experiment).space;
  const attemptsMax = options.attemptsMax ?? shrinkAttemptsDefault;
  if (!Number.isSafeInteger(attemptsMax) || attemptsMax < 0 || attemptsMax > shrinkAttemptsMax) {
    throw new InputError(`the shrink budget must be an integer from 0 to ${shrinkAttemptsMax}, got ${attemptsMax}`);
  }
  const firstRun = runFixture(experiment, fixture);
  const failed = failedChecks(firstRun);
  const checks = [...(options.checks ?? failed)];
  if (failed.length === 0) {
    throw new InputError(
      `the fixture's run (${fixture.experiment}, seed ${fixture.seed}) passes every check; shrinking needs a run ` +
        `that fails one`,
    );
  }
  const notFailed = checks.filter((c) => !failed.includes(c));
  if (checks.length === 0 || notFailed.length > 0) {
    throw new InputError(
      `the fixture's run does not fail ${notFailed.join(", ") || "the named checks"}; it fails ${failed.join(", ")}`,
    );
  }
  let current = withExpected(fixture, firstRun);
  const steps: ShrinkStep[] = [];
  let attempts = 0;
  let keptInPass = true;
  while (keptInPass && attempts < attemptsMax) {
    keptInPass = false;
    for (const dimension of dimensions) {
      // Each dimension's variants are computed from the current fixture, after earlier kept steps.
      let next = dimension(current, space, experiment);
      while (next !== undefined && attempts < attemptsMax) {
        const { fixture: variant, step } = next;
        attempts++;
        const output = runFixture(experiment, variant);
        const kept = checks.every((c) => failedChecks(output).includes(c));
        options.onAttempt?.(step, kept);
        if (kept) {
          current = withExpected(variant, output);
          steps.push(step);
          keptInPass = true;
        }
        next = dimension(current, space, experiment, kept ? undefined : variant);
      }
    }
  }
  assert(steps.length <= attempts, "every kept step was an attempt");
  return { original: fixture, minimal: current, checks, steps, attempts, budgetExhausted: keptInPass };
}

/** A variant of a fixture and the step that makes it. */
interface Variant {
  fixture: SwarmFixture;
  step: ShrinkStep;
}

/**
 * A dimension's next variant of `current`, after `rejected` (the last variant tried and not kept,
 * so the dimension moves past it), or undefined when it has none left.
 */
type Dimension = (
  current: SwarmFixture,
  space: SwarmSpace,
  experiment: Experiment,
  rejected?: SwarmFixture,
) => Variant | undefined;

/** Variants in order; the next is the first after the rejected one (or the first, after a kept one). */
function nextOf(variants: Variant[], rejected: SwarmFixture | undefined): Variant | undefined {
  if (rejected === undefined) return variants[0];
  const key = JSON.stringify(rejected);
  const index = variants.findIndex((v) => JSON.stringify(v.fixture) === key);
  return index < 0 ? undefined : variants[index + 1];
}

const dropPackages: Dimension = (current, _space, _experiment, rejected) => {
  const { packages } = current.draw;
  if (packages.length <= 1) return undefined;
  const variants = packages.map((name) => ({
    fixture: { ...current, draw: { ...current.draw, packages: packages.filter((p) => p !== name) } },
    step: {
      dimension: "packages",
      from: packages,
      to: packages.filter((p) => p !== name),
      description: `drop ${name}`,
    },
  }));
  return nextOf(variants, rejected);
};

const raiseInterval: Dimension = (current, space, _experiment, rejected) => {
  const now = current.draw.meanIntervalUs;
  const high = space.meanIntervalUs[1];
  // The bound first (the biggest simplification), then smaller raises.
  const targets = [...new Set([high, now * 4, now * 2].map(Math.round))].filter((t) => t > now && t <= high);
  const variants = targets.map((to) => ({
    fixture: { ...current, draw: { ...current.draw, meanIntervalUs: to } },
    step: { dimension: "meanIntervalUs", from: now, to, description: `mean fault interval ${ms(now)} -> ${ms(to)}` },
  }));
  return nextOf(variants, rejected);
};

const shortenRun: Dimension = (current, _space, experiment, rejected) => {
  const spec = experiment.params.durationUs;
  if (spec === undefined || spec.type !== "integer") return undefined;
  const now = (current.params.durationUs ?? spec.default) as number;
  const min = spec.min ?? 0;
  const step = (fraction: number) => Math.round((now * fraction) / 100_000) * 100_000;
  const targets = [...new Set([min, step(1 / 2), step(3 / 4)])].filter((t) => t >= min && t < now).sort((a, b) =>
    a - b
  );
  const variants = targets.map((to) => ({
    fixture: { ...current, params: { ...current.params, durationUs: to } },
    step: { dimension: "durationUs", from: now, to, description: `duration ${ms(now)} -> ${ms(to)}` },
  }));
  return nextOf(variants, rejected);
};

const simplerKnobs: Dimension = (current, space, _experiment, rejected) => {
  const variants: Variant[] = [];
  for (const [name, values] of Object.entries(space.knobs)) {
    const index = values.indexOf(current.draw.knobs[name]);
    for (const to of values.slice(0, Math.max(0, index))) {
      variants.push({
        fixture: { ...current, draw: { ...current.draw, knobs: { ...current.draw.knobs, [name]: to } } },
        step: {
          dimension: `knobs.${name}`,
          from: current.draw.knobs[name],
          to,
          description: `${name} ${current.draw.knobs[name]} -> ${to}`,
        },
      });
    }
  }
  return nextOf(variants, rejected);
};

const dimensions: readonly Dimension[] = [dropPackages, raiseInterval, simplerKnobs, shortenRun];

function ms(us: number): string {
  return `${Math.round(us / 1000)}ms`;
}

/**
 * How big a fixture is in each dimension shrinking works on: the packages on, the mean fault
 * interval (larger is smaller), the duration, and each knob's position in its list (0 simplest).
 */
export function fixtureSize(experiment: Experiment, fixture: SwarmFixture): {
  packages: number;
  meanIntervalUs: number;
  durationUs: number | undefined;
  knobIndex: Record<string, number>;
} {
  const space = swarmRunnerOf(experiment).space;
  const spec = experiment.params.durationUs;
  return {
    packages: fixture.draw.packages.length,
    meanIntervalUs: fixture.draw.meanIntervalUs,
    durationUs: (fixture.params.durationUs ?? spec?.default) as number | undefined,
    knobIndex: Object.fromEntries(
      Object.entries(space.knobs).map(([name, values]) => [name, values.indexOf(fixture.draw.knobs[name])]),
    ),
  };
}
