/**
 * Campaigns: a system's swarm experiment (`<system>-swarm`) run over a range of seeds once with
 * every planted bug off and once per bug, to measure what the default swarm finds: for each bug
 * the first seed whose run failed a check and which checks fired, and the false alarms with bugs
 * off. Seeds run in batches through the lab's sweeps, so they go in parallel, every cell is cached
 * (a campaign that is stopped resumes from what it finished) and every failing run's history is
 * kept in its batch's sweep directory. A bug stops at its first detection; bugs off runs every seed.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import { suggest } from "../base/mod.ts";
import type { Experiment } from "./experiment.ts";
import { experiments } from "./registry.ts";
import { runSweep, type SweepOptions, type SweepRow } from "./sweep.ts";

/** What to run. */
export interface CampaignSpec {
  /** A system with a swarm experiment, e.g. `raft`. */
  system: string;
  /** The bugs to look for: names, or `all`; bugs off always runs as the false-alarm column. */
  bugs: "all" | string[];
  /** First and last seed, inclusive. */
  seeds: { from: number; to: number };
}

/** One bug's outcome. */
export interface BugDetection {
  /** The first seed on which a check failed; null when none did. */
  firstSeed: number | null;
  /** The checks that failed on that seed. */
  checks: string[];
  /** What the swarm drew on that seed. */
  drawn: string | null;
  /** Seeds run (up to the first detection). */
  seedsRun: number;
  /** The sweep directory holding the detecting run's history. */
  dir: string | null;
}

/** A finished campaign. */
export interface CampaignResult {
  system: string;
  experiment: string;
  seeds: { from: number; to: number };
  bugs: Record<string, BugDetection>;
  /** Runs with every bug off that failed a check. */
  falseAlarms: number;
  falseAlarmSeeds: number[];
  /** Runs that did not reach a verdict (bad input or an internal error), by bug setting. */
  errors: { bug: string; seed: number; message: string }[];
  /** Whether the time budget ran out before every seed of every setting was run. */
  timedOut: boolean;
  /** True when every bug was found, there was no false alarm and every run reached a verdict. */
  passed: boolean;
}

/** How to run a campaign (the sweep options less what the campaign decides). */
export interface CampaignOptions extends Pick<SweepOptions, "workers" | "wallClockMs" | "force"> {
  /** The results root: batches go under `<root>/<experiment>/campaign-<from>-<to>/`. */
  resultsDir: string;
  /** Seeds per batch; default 20. */
  batch?: number;
  /** Wall-clock time (as `wallClockMs` reads it) after which no new batch starts. */
  deadlineMs?: number;
  /** Called when a bug setting finishes. */
  onBug?: (bug: string, outcome: BugDetection | { falseAlarms: number; seedsRun: number }) => void;
}

/** The systems that have a swarm experiment. */
export function campaignSystems(): string[] {
  return experiments.filter((e) => e.name.endsWith("-swarm")).map((e) => e.name.slice(0, -"-swarm".length));
}

/**
 * The swarm experiment of `system` and the planted bugs to look for (`all`: every one); an unknown
 * system or bug is refused naming the allowed ones.
 */
function swarmFor(
  system: string,
  bugs: "all" | readonly string[],
): { name: string; experiment: Experiment; bugs: string[] } {
  const name = `${system}-swarm`;
  const experiment = experiments.find((e) => e.name === name);
  if (experiment === undefined) {
    const systems = campaignSystems();
    throw new InputError(
      `no swarm campaign for system ${JSON.stringify(system)}${suggest(system, systems)}; allowed: ${
        systems.join(", ")
      }`,
    );
  }
  const bugParam = experiment.params.bug;
  const planted = bugParam?.type === "choice" ? bugParam.choices.filter((b) => b !== "none") : [];
  for (const bug of bugs === "all" ? [] : bugs) {
    if (!planted.includes(bug)) {
      throw new InputError(
        `${system} has no planted bug ${JSON.stringify(bug)}${suggest(bug, planted)}; allowed: ${
          planted.join(", ")
        } or all`,
      );
    }
  }
  return { name, experiment, bugs: bugs === "all" ? planted : [...bugs] };
}

/** Runs a campaign. */
export async function runCampaign(
  spec: CampaignSpec,
  options: CampaignOptions,
  libDir: string,
): Promise<CampaignResult> {
  const { name, bugs } = swarmFor(spec.system, spec.bugs);
  const { from, to } = spec.seeds;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to >= from)) {
    throw new InputError(`campaign seeds must be a range A..B of integers with 0 <= A <= B, got ${from}..${to}`);
  }
  const batch = options.batch ?? 20;
  const root = `${options.resultsDir}/${name}/campaign-${from}-${to}`;
  const errors: CampaignResult["errors"] = [];
  let timedOut = false;

  /** Runs `bug` batch by batch; stops after the first batch with a failure when `stopOnFailure`. */
  const runBug = async (bug: string, stopOnFailure: boolean) => {
    const failing: { row: SweepRow; dir: string }[] = [];
    let seedsRun = 0;
    for (let start = from; start <= to; start += batch) {
      if (options.deadlineMs !== undefined && options.wallClockMs() > options.deadlineMs) {
        timedOut = true;
        break;
      }
      const seeds = Array.from({ length: Math.min(batch, to - start + 1) }, (_, i) => start + i);
      const dir = `${root}/${bug}/seeds-${seeds[0]}-${seeds.at(-1)}`;
      const result = await runSweep({ experiment: name, fixed: { bug }, seeds }, {
        dir,
        cacheDir: `${options.resultsDir}/${name}/cache`,
        workers: options.workers,
        force: options.force,
        wallClockMs: options.wallClockMs,
      }, libDir);
      for (const row of result.rows) {
        if (row.error !== "" && row.error !== undefined && row.verdict !== false) {
          errors.push({ bug, seed: row.seed as number, message: String(row.error) });
        } else if (row.verdict === false) failing.push({ row, dir });
      }
      seedsRun += seeds.length;
      if (stopOnFailure && failing.length > 0) break;
    }
    failing.sort((a, b) => (a.row.seed as number) - (b.row.seed as number));
    return { failing, seedsRun };
  };

  const detections: Record<string, BugDetection> = {};
  for (const bug of bugs) {
    const { failing, seedsRun } = await runBug(bug, true);
    const first = failing[0];
    const detection: BugDetection = first === undefined
      ? { firstSeed: null, checks: [], drawn: null, seedsRun, dir: null }
      : {
        firstSeed: first.row.seed as number,
        checks: String(first.row.failedChecks ?? "").split(";").filter((c) => c !== ""),
        drawn: typeof first.row.swarm === "string" ? first.row.swarm : null,
        // Seeds past the first detection in its batch ran too, but the count is of seeds until it.
        seedsRun: (first.row.seed as number) - from + 1,
        dir: first.dir,
      };
    detections[bug] = detection;
    options.onBug?.(bug, detection);
  }
  const off = await runBug("none", false);
  const falseAlarmSeeds = off.failing.map((f) => f.row.seed as number);
  options.onBug?.("none", { falseAlarms: falseAlarmSeeds.length, seedsRun: off.seedsRun });
  const passed = Object.values(detections).every((d) => d.firstSeed !== null) && falseAlarmSeeds.length === 0 &&
    errors.length === 0;
  return {
    system: spec.system,
    experiment: name,
    seeds: { from, to },
    bugs: detections,
    falseAlarms: falseAlarmSeeds.length,
    falseAlarmSeeds,
    errors,
    timedOut,
    passed,
  };
}

/** One run of a detection matrix. */
export interface DetectionRow {
  bug: string;
  seed: number;
  /** Whether any check failed. */
  detected: boolean;
  /** The checks that failed, joined by ";". */
  checks: string;
}

/**
 * The detection matrix of `<system>-swarm` over `seeds`, run in this process (for notebooks and
 * small seed ranges; `runCampaign` runs the same through cached sweeps): one row per bug setting
 * and seed, every seed run for every bug, so the rows give a detection rate as well as the first
 * detection. Bugs off is the row `none`.
 */
export function detectionMatrix(
  system: string,
  seeds: readonly number[],
  bugs: "all" | string[] = "all",
): DetectionRow[] {
  const { experiment, bugs: chosen } = swarmFor(system, bugs);
  const rows: DetectionRow[] = [];
  for (const bug of [...chosen, "none"]) {
    for (const seed of seeds) {
      const failed = experiment.run({ bug }, seed).checks.filter((c) => c.valid === false).map((c) => c.checker);
      rows.push({ bug, seed, detected: failed.length > 0, checks: failed.join(";") });
    }
  }
  return rows;
}

/** Per bug: the first detecting seed (null: none) and the fraction of seeds that detected it. */
export function detectionSummary(
  rows: readonly DetectionRow[],
): { bug: string; firstSeed: number | null; rate: number }[] {
  const bugs = [...new Set(rows.map((r) => r.bug))];
  return bugs.map((bug) => {
    const mine = rows.filter((r) => r.bug === bug).sort((a, b) => a.seed - b.seed);
    const found = mine.filter((r) => r.detected);
    return { bug, firstSeed: found[0]?.seed ?? null, rate: mine.length === 0 ? 0 : found.length / mine.length };
  });
}
