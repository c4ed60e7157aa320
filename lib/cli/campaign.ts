/**
 * `faultline campaign SYSTEM`: the system's swarm over a seed range, once per planted bug (until
 * the first detection) and once with bugs off (every seed), with a line per bug as it finishes and
 * one JSON object with `--json`. Exits 0 only when every bug was found and nothing was a false
 * alarm, 1 otherwise, 2 on bad input.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import { type BugDetection, parseSeeds, resultsRoot, runCampaign } from "../lab/mod.ts";
import { integerOption } from "./options.ts";

type Values = Record<string, string | boolean | string[] | undefined>;

/** `30s`, `10m`, `1h` in milliseconds. */
export function parseDuration(text: string): number {
  const match = text.match(/^(\d+)(s|m|h)$/);
  if (match === null) {
    throw new InputError(`--time takes a duration such as 30s, 10m or 1h, got ${JSON.stringify(text)}`);
  }
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as "s" | "m" | "h"];
}

/** Runs the campaign command; returns the exit code. */
export async function campaignCommand(system: string, values: Values, root: string): Promise<number> {
  const seeds = parseSeeds((values.seeds as string | undefined) ?? "1..200");
  const contiguous = seeds.every((s, i) => i === 0 || s === seeds[i - 1] + 1);
  if (!contiguous) throw new InputError("campaign --seeds takes a range A..B");
  const bugText = (values.bug as string | undefined) ?? "all";
  const bugs = bugText === "all" ? "all" as const : bugText.split(",").map((b) => b.trim());
  const workersText = values.workers as string | undefined;
  const workers = workersText === undefined
    ? undefined
    : integerOption("workers", workersText, { fallback: 1, min: 1, max: 256 });
  const timeText = values.time as string | undefined;
  const started = performance.now();
  const json = values.json === true;
  const result = await runCampaign({ system, bugs, seeds: { from: seeds[0], to: seeds.at(-1)! } }, {
    resultsDir: resultsRoot(root),
    workers,
    force: values.force === true,
    wallClockMs: () => performance.now(),
    deadlineMs: timeText === undefined ? undefined : started + parseDuration(timeText),
    onBug: json ? undefined : (bug, outcome) => console.error(outcomeLine(bug, outcome)),
  }, `${root}/lib`);
  if (json) console.log(JSON.stringify(result, null, 2));
  else {
    const found = Object.values(result.bugs).filter((d) => d.firstSeed !== null).length;
    console.log(
      `${found}/${Object.keys(result.bugs).length} planted bugs found, ${result.falseAlarms} false alarms with bugs ` +
        `off${result.timedOut ? " (stopped by --time)" : ""}`,
    );
  }
  for (const error of result.errors.slice(0, 3)) {
    console.error(`faultline: bug ${error.bug} seed ${error.seed}: ${error.message}`);
  }
  return result.passed ? 0 : 1;
}

function outcomeLine(bug: string, outcome: BugDetection | { falseAlarms: number; seedsRun: number }): string {
  if ("falseAlarms" in outcome) return `bugs off: ${outcome.falseAlarms} false alarms in ${outcome.seedsRun} seeds`;
  if (outcome.firstSeed === null) return `${bug}: not found in ${outcome.seedsRun} seeds`;
  return `${bug}: found on seed ${outcome.firstSeed} by ${outcome.checks.join(", ")} (${outcome.drawn})`;
}
