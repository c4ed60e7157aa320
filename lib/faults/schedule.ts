/**
 * Checking and compiling schedules. Checking finds every problem before the run starts and names
 * the entry (`faults[2].sequence[0].fault.durationUs`) and what is allowed. Compiling places every
 * fault in time, drawing random mixes from the run's seed, so one seed gives one schedule.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import type { Rng } from "../base/mod.ts";
import type { Simulation } from "../sim/mod.ts";
import { commonFields, type FaultKind, type FieldSpec } from "./kind.ts";
import { faultKind, faultKindNames } from "./kinds.ts";
import { checkTarget, fixedTargets } from "./targets.ts";
import type { ClusterView, FaultSpec, Schedule, ScheduleNode, TimedFault } from "./types.ts";

/** The longest schedule compiled, in faults: a runaway random mix fails loudly. */
export const scheduledFaultsMax = 100_000;

/** Default quiet time after the final heal. */
export const recoveryUsDefault = 5_000_000;

/** A compiled schedule. */
export interface CompiledSchedule {
  faults: TimedFault[];
  /** When everything is healed. */
  healAtUs: number;
  /** When the recovery period ends: run at least this long. */
  endUs: number;
}

const nodeShapes: Record<string, string[]> = {
  fault: ["at", "fault"],
  sequence: ["at", "sequence", "gapUs"],
  parallel: ["at", "parallel"],
  repeat: ["at", "repeat", "times", "everyUs"],
  random: ["at", "random"],
};

/** Every problem with `schedule`, as lines naming the entry. Empty when it is valid. */
export function checkSchedule(schedule: unknown, sim: Simulation, cluster: ClusterView): string[] {
  if (schedule === null || typeof schedule !== "object" || Array.isArray(schedule)) {
    return ['schedule: must be an object like {"faults": [...], "recoveryUs": 5000000}'];
  }
  const s = schedule as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of Object.keys(s)) {
    if (!["faults", "healAtUs", "recoveryUs"].includes(key)) {
      errors.push(`schedule: unknown field ${JSON.stringify(key)}; allowed: faults, healAtUs, recoveryUs`);
    }
  }
  errors.push(...checkTime(s.healAtUs, "healAtUs"), ...checkTime(s.recoveryUs, "recoveryUs"));
  if (!Array.isArray(s.faults)) return [...errors, "faults: must be a list of schedule entries"];
  s.faults.forEach((node, i) => errors.push(...checkNode(node, `faults[${i}]`, sim, cluster)));
  return errors;
}

function checkTime(value: unknown, path: string, required = false): string[] {
  if (value === undefined) return required ? [`${path}: required`] : [];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    return [`${path}: must be a non-negative whole number of microseconds, got ${JSON.stringify(value)}`];
  }
  return [];
}

function checkNode(node: unknown, path: string, sim: Simulation, cluster: ClusterView): string[] {
  if (node === null || typeof node !== "object" || Array.isArray(node)) {
    return [`${path}: must be an object with one of fault, sequence, parallel, repeat, random`];
  }
  const n = node as Record<string, unknown>;
  const shape = Object.keys(nodeShapes).find((k) => k in n);
  if (shape === undefined) return [`${path}: needs one of fault, sequence, parallel, repeat, random`];
  const errors = Object.keys(n)
    .filter((k) => !nodeShapes[shape].includes(k))
    .map((k) =>
      `${path}: unknown field ${JSON.stringify(k)} in a ${shape} entry; allowed: ${nodeShapes[shape].join(", ")}`
    );
  errors.push(...checkTime(n.at, `${path}.at`));
  switch (shape) {
    case "fault":
      return [...errors, ...checkFault(n.fault, `${path}.fault`, sim, cluster)];
    case "sequence":
    case "parallel": {
      const children = n[shape];
      if (!Array.isArray(children) || children.length === 0) {
        return [...errors, `${path}.${shape}: must be a non-empty list`];
      }
      if (shape === "sequence") errors.push(...checkTime(n.gapUs, `${path}.gapUs`));
      children.forEach((child, i) => errors.push(...checkNode(child, `${path}.${shape}[${i}]`, sim, cluster)));
      return errors;
    }
    case "repeat":
      errors.push(...checkTime(n.everyUs, `${path}.everyUs`, true));
      if (typeof n.times !== "number" || !Number.isInteger(n.times) || n.times < 1 || n.times > scheduledFaultsMax) {
        errors.push(
          `${path}.times: must be a whole number from 1 to ${scheduledFaultsMax}, got ${JSON.stringify(n.times)}`,
        );
      }
      return [...errors, ...checkNode(n.repeat, `${path}.repeat`, sim, cluster)];
    default:
      return [...errors, ...checkRandom(n.random, `${path}.random`, sim, cluster)];
  }
}

function checkRandom(random: unknown, path: string, sim: Simulation, cluster: ClusterView): string[] {
  if (random === null || typeof random !== "object") return [`${path}: must be an object`];
  const r = random as Record<string, unknown>;
  const errors = Object.keys(r)
    .filter((k) => !["meanIntervalUs", "untilUs", "choices"].includes(k))
    .map((k) => `${path}: unknown field ${JSON.stringify(k)}; allowed: meanIntervalUs, untilUs, choices`);
  errors.push(...checkTime(r.meanIntervalUs, `${path}.meanIntervalUs`, true));
  errors.push(...checkTime(r.untilUs, `${path}.untilUs`, true));
  if (r.meanIntervalUs === 0) errors.push(`${path}.meanIntervalUs: must be positive`);
  if (!Array.isArray(r.choices) || r.choices.length === 0) {
    return [...errors, `${path}.choices: must be a non-empty list`];
  }
  r.choices.forEach((choice, i) => {
    const c = choice as Record<string, unknown>;
    if (typeof c?.weight !== "number" || !(c.weight > 0)) {
      errors.push(`${path}.choices[${i}].weight: must be a positive number`);
    }
    errors.push(...checkFault(c?.fault, `${path}.choices[${i}].fault`, sim, cluster));
  });
  return errors;
}

/** Problems with one fault spec. */
export function checkFault(fault: unknown, path: string, sim: Simulation, cluster: ClusterView): string[] {
  if (fault === null || typeof fault !== "object" || Array.isArray(fault)) {
    return [`${path}: must be an object with a kind`];
  }
  const f = fault as Record<string, unknown>;
  const kind = faultKind(f.kind as string);
  if (kind === undefined) {
    return [`${path}.kind: unknown fault kind ${JSON.stringify(f.kind)}; allowed: ${faultKindNames().join(", ")}`];
  }
  const fields: Record<string, FieldSpec> = { ...commonFields, ...kind.fields };
  // A kind that computes its own duration accepts durationUs only if it declares the field itself.
  if (kind.instantaneous || (kind.impliedDurationUs && !("durationUs" in kind.fields))) delete fields.durationUs;
  const errors: string[] = [];
  for (const name of Object.keys(f)) {
    if (!(name in fields)) {
      errors.push(
        `${path}: unknown field ${JSON.stringify(name)} for ${kind.kind}; allowed: ${Object.keys(fields).join(", ")}`,
      );
    }
  }
  for (const [name, spec] of Object.entries(fields)) {
    if (name === "kind") continue;
    const value = f[name];
    if (value === undefined) {
      if (spec.required || (name === "durationUs" && kind.durationRequired)) {
        errors.push(`${path}.${name}: required for ${kind.kind} (${spec.description})`);
      }
      continue;
    }
    errors.push(...checkField(value, spec, `${path}.${name}`, sim, cluster));
  }
  if (typeof f.fromByte === "number" && typeof f.toByte === "number" && f.toByte <= f.fromByte) {
    errors.push(`${path}.toByte: must be greater than fromByte (${f.fromByte})`);
  }
  return errors;
}

function checkField(value: unknown, spec: FieldSpec, path: string, sim: Simulation, cluster: ClusterView): string[] {
  switch (spec.type) {
    case "target":
      return checkTarget(value, path, sim, cluster);
    case "targets":
      if (!Array.isArray(value) || value.length < 2) return [`${path}: must be a list of at least two targets`];
      return value.flatMap((t, i) => checkTarget(t, `${path}[${i}]`, sim, cluster));
    case "boolean":
      return typeof value === "boolean" ? [] : [`${path}: must be true or false`];
    case "string":
      if (typeof value !== "string" || value.length === 0) return [`${path}: must be a non-empty string`];
      return spec.choices === undefined || spec.choices.includes(value)
        ? []
        : [`${path}: must be one of ${spec.choices.join(", ")}, got ${JSON.stringify(value)}`];
    default: {
      const range = `[${spec.min ?? "-inf"}, ${spec.max ?? "inf"}]`;
      const ok = typeof value === "number" && Number.isFinite(value) &&
        (spec.type === "number" || Number.isInteger(value)) &&
        (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max);
      return ok ? [] : [
        `${path}: must be ${spec.type === "integer" ? "an integer" : "a number"} in ${range}, got ${
          JSON.stringify(value)
        }`,
      ];
    }
  }
}

/**
 * How many nodes a fault will strike, for kinds whose duration depends on it (a rolling restart):
 * a number for every fault, or a function of the fault (an upper bound when it depends on the run).
 */
export type TargetCount = number | ((fault: FaultSpec) => number);

/** Places every fault of a valid schedule in time. Random mixes draw from `rng`. */
export function compileSchedule(schedule: Schedule, rng: Rng, targetCount: TargetCount): CompiledSchedule {
  const placed: Omit<TimedFault, "id">[] = [];
  const count = typeof targetCount === "number" ? () => targetCount : targetCount;
  schedule.faults.forEach((node, i) => place(node, 0, `faults[${i}]`, placed, rng, count));
  placed.sort((a, b) => a.startUs - b.startUs);
  const faults = placed.map((fault, id) => ({ id, ...fault }));
  const lastUs = faults.reduce((latest, f) => Math.max(latest, f.endUs ?? f.startUs), 0);
  const healAtUs = schedule.healAtUs ?? lastUs;
  return { faults, healAtUs, endUs: healAtUs + (schedule.recoveryUs ?? recoveryUsDefault) };
}

/** Places `node` starting at `baseUs`; returns when it ends. */
function place(
  node: ScheduleNode,
  baseUs: number,
  path: string,
  out: Omit<TimedFault, "id">[],
  rng: Rng,
  count: (fault: FaultSpec) => number,
): number {
  const startUs = baseUs + (node.at ?? 0);
  if (out.length > scheduledFaultsMax) {
    throw new InputError(`${path}: the schedule places more than ${scheduledFaultsMax} faults`);
  }
  if ("fault" in node) {
    const endUs = faultEndUs(node.fault, startUs, count(node.fault));
    out.push({ path, startUs, endUs, fault: node.fault });
    return endUs ?? startUs;
  }
  if ("sequence" in node) {
    let cursorUs = startUs;
    node.sequence.forEach((child, i) => {
      cursorUs = place(child, cursorUs, `${path}.sequence[${i}]`, out, rng, count) + (node.gapUs ?? 0);
    });
    return cursorUs - (node.gapUs ?? 0);
  }
  if ("parallel" in node) {
    return Math.max(
      ...node.parallel.map((child, i) => place(child, startUs, `${path}.parallel[${i}]`, out, rng, count)),
    );
  }
  if ("repeat" in node) {
    let endUs = startUs;
    for (let i = 0; i < node.times; i++) {
      endUs = place(node.repeat, startUs + i * node.everyUs, `${path}.repeat#${i}`, out, rng, count);
    }
    return endUs;
  }
  return placeRandom(node.random, startUs, path, out, rng, count);
}

function placeRandom(
  random: { meanIntervalUs: number; untilUs: number; choices: { weight: number; fault: FaultSpec }[] },
  startUs: number,
  path: string,
  out: Omit<TimedFault, "id">[],
  rng: Rng,
  count: (fault: FaultSpec) => number,
): number {
  const totalWeight = random.choices.reduce((sum, c) => sum + c.weight, 0);
  let nowUs = startUs;
  let endUs = startUs;
  for (let n = 0;; n++) {
    nowUs += Math.round(-random.meanIntervalUs * Math.log(1 - rng.next()));
    if (nowUs > startUs + random.untilUs) return endUs;
    let pick = rng.next() * totalWeight;
    const index = random.choices.findIndex((c) => (pick -= c.weight) < 0);
    const choice = random.choices[index < 0 ? random.choices.length - 1 : index];
    const faultEnd = faultEndUs(choice.fault, nowUs, count(choice.fault));
    out.push({ path: `${path}.random#${n}`, startUs: nowUs, endUs: faultEnd, fault: choice.fault });
    endUs = Math.max(endUs, faultEnd ?? nowUs);
    if (out.length > scheduledFaultsMax) {
      throw new InputError(`${path}: the random mix places more than ${scheduledFaultsMax} faults`);
    }
  }
}

function faultEndUs(fault: FaultSpec, startUs: number, targetCount: number): number | undefined {
  const kind = faultKind(fault.kind)!;
  if (kind.instantaneous) return startUs;
  if (kind.impliedDurationUs) return startUs + kind.impliedDurationUs(fault, targetCount);
  return fault.durationUs === undefined ? undefined : startUs + fault.durationUs;
}

/**
 * Faults the final heal would cut to nothing: a fault that is not instantaneous and starts at or
 * after the heal (a lasting fault alone in a schedule without `healAtUs` heals at its own start,
 * which silently turns a crash into a restart), and any fault that starts after it (it never runs).
 */
export function checkHeal(compiled: CompiledSchedule): string[] {
  const errors: string[] = [];
  for (const f of compiled.faults) {
    const kind = faultKind(f.fault.kind)!;
    const instant = kind.instantaneous || f.endUs === f.startUs;
    if (f.startUs < compiled.healAtUs || (instant && f.startUs === compiled.healAtUs)) continue;
    const lasting = f.endUs === undefined ? ", and it lasts until then" : "";
    errors.push(
      `${f.path}: ${f.fault.kind} starts at ${f.startUs} us, not before the final heal at ${compiled.healAtUs} us` +
        `${lasting}: set healAtUs later${lasting ? " or give it a durationUs" : ""}`,
    );
  }
  return errors;
}

/**
 * Where faults of `kind` on `nodes` can contradict each other: the nodes, or their hosts for a kind
 * that acts on hosts. Returns the places and a name for each.
 */
export function conflictPlaces(
  kind: FaultKind,
  nodes: number[],
  sim: Simulation,
): { places: number[]; name: (place: number) => string } {
  if (!kind.conflictsByHost) return { places: nodes, name: (node) => sim.nodeName(node) };
  const hosts = [...new Set(nodes.map((node) => sim.hostOf(node)))].sort((a, b) => a - b);
  const name = (host: number) =>
    `${sim.hostStats(host).name} (${nodesOnHost(host, sim).map((n) => sim.nodeName(n)).join(", ")})`;
  return { places: hosts, name };
}

/** The nodes placed on `host`, by id. */
function nodesOnHost(host: number, sim: Simulation): number[] {
  const nodes: number[] = [];
  for (let node = 0; node < sim.nodeCount; node++) if (sim.hostOf(node) === host) nodes.push(node);
  return nodes;
}

/**
 * Contradictory faults: two faults of one conflict class (two crashes, a pause and a crash, two
 * clock skews, two disk slowdowns of one host) that overlap in time on a node (or host) both name
 * whatever happens in the run. Targets that depend on the run (roles, random picks) are checked
 * when the faults start instead.
 */
export function checkConflicts(compiled: CompiledSchedule, sim: Simulation, cluster: ClusterView): string[] {
  const errors: string[] = [];
  const windows = compiled.faults.map((f) => {
    const kind = faultKind(f.fault.kind)!;
    const nodes = fixedTargets(f.fault.targets, sim, cluster);
    const where = nodes === undefined ? undefined : conflictPlaces(kind, nodes, sim);
    return { f, conflictClass: kind.conflictClass, where, endUs: f.endUs ?? compiled.healAtUs };
  });
  for (let i = 0; i < windows.length; i++) {
    const a = windows[i];
    if (a.conflictClass === undefined || a.where === undefined) continue;
    for (let j = i + 1; j < windows.length; j++) {
      const b = windows[j];
      if (b.f.startUs > a.endUs) break; // sorted by start: nothing later can overlap a
      if (b.f.startUs === a.endUs && a.endUs > a.f.startUs) continue; // one ends as the next begins
      if (b.conflictClass !== a.conflictClass || b.where === undefined) continue;
      const shared = a.where.places.filter((place) => b.where!.places.includes(place));
      if (shared.length === 0) continue;
      errors.push(
        `${b.f.path}: ${b.f.fault.kind} at ${b.f.startUs} us overlaps ${a.f.path} (${a.f.fault.kind}, ` +
          `${a.f.startUs}-${a.endUs} us) on ${shared.map(a.where.name).join(", ")}: contradictory ` +
          `${a.conflictClass} faults on one ${faultKind(a.f.fault.kind)!.conflictsByHost ? "host" : "node"}`,
      );
    }
  }
  return errors;
}
