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
import type { ExperimentSystem } from "./experiment_modules.ts";

/** Each system's experiments; `experiment_modules.ts` loads the same lists one system at a time. */
export const experimentsBySystem: Readonly<Record<ExperimentSystem, readonly Experiment[]>> = {
  echo: echoExperiments,
  raft: raftExperiments,
  register: registerExperiments,
  kv: kvExperiments,
  log: logExperiments,
};

/** Every registered experiment, system by system. */
export const experiments: readonly Experiment[] = Object.values(experimentsBySystem).flat();

/** The experiment named `name`; an unknown name is refused with the closest valid one. */
export function experimentNamed(name: string): Experiment {
  const found = experiments.find((e) => e.name === name);
  if (found !== undefined) return found;
  const names = experiments.map((e) => e.name);
  throw new InputError(
    `unknown experiment ${JSON.stringify(name)}${suggest(name, names)}; allowed: ${names.join(", ")}`,
  );
}

/** The system whose experiments hold `name` (a sweep worker loads only that system's modules). */
export function experimentSystemOf(name: string): ExperimentSystem {
  const experiment = experimentNamed(name);
  const systems = Object.keys(experimentsBySystem) as ExperimentSystem[];
  return systems.find((system) => experimentsBySystem[system].includes(experiment))!;
}
