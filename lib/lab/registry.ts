/**
 * The experiments the CLI and notebooks know by name.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import { suggest } from "../base/mod.ts";
import { echoExperiments } from "../systems/echo/experiments/mod.ts";
import { kvExperiments } from "../systems/kv/experiments/mod.ts";
import { logExperiments } from "../systems/log/experiments/mod.ts";
import { raftExperiments } from "../systems/raft/experiments/mod.ts";
import { registerExperiments } from "../systems/register/experiments/mod.ts";
import type { Experiment } from "./experiment.ts";

/** Every registered experiment, system by system. */
export const experiments: readonly Experiment[] = [
  ...echoExperiments,
  ...raftExperiments,
  ...registerExperiments,
  ...kvExperiments,
  ...logExperiments,
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
