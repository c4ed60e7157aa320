/**
 * The experiments the CLI and notebooks know by name.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import { echoExperiments } from "../systems/echo/experiments/mod.ts";
import { kvExperiments } from "../systems/kv/experiments/mod.ts";
import { raftExperiments } from "../systems/raft/experiments/mod.ts";
import { registerExperiments } from "../systems/register/experiments/mod.ts";
import type { Experiment } from "./experiment.ts";

/** Every registered experiment, system by system. */
export const experiments: readonly Experiment[] = [
  ...echoExperiments,
  ...raftExperiments,
  ...registerExperiments,
  ...kvExperiments,
];

/** The experiment named `name`; an unknown name is refused with the closest valid one. */
export function experimentNamed(name: string): Experiment {
  const found = experiments.find((e) => e.name === name);
  if (found !== undefined) return found;
  const names = experiments.map((e) => e.name);
  throw new InputError(
    `unknown experiment ${JSON.stringify(name)}${suggest(name, names)}; allowed: ${names.join(", ")}`,
  );
}

/** ", did you mean X?" for the closest of `candidates` to `name`, when one is close. */
export function suggest(name: string, candidates: readonly string[]): string {
  let best = "";
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean ${best}?)` : "";
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
