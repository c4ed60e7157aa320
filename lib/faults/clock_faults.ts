/**
 * Clock faults: offset, drift, jumps and strobe. Each ends by resetting the clock to true time,
 * as NTP would step it back.
 *
 * @module
 */
import type { FaultKind, FaultRun } from "./kind.ts";

const readSkewed = (effects: Record<string, number>) => effects.clockReadsSkewed > 0;

function resetClocks(run: FaultRun): () => void {
  return () => {
    for (const node of run.targets) run.sim.clock(node).reset();
  };
}

export const clockOffset: FaultKind = {
  kind: "clock-offset",
  area: "clock",
  summary: "set the targets' clocks offsetUs away from true time",
  example: { kind: "clock-offset", targets: { random: "one" }, offsetUs: -250_000, durationUs: 5_000_000 },
  conflictClass: "clock",
  fields: { offsetUs: { type: "integer", required: true, description: "offset from true time (negative: behind)" } },
  start(run) {
    for (const node of run.targets) run.sim.clock(node).setOffset(run.spec.offsetUs as number);
    return resetClocks(run);
  },
  touched: readSkewed,
};

export const clockDrift: FaultKind = {
  kind: "clock-drift",
  area: "clock",
  summary: "make the targets' clocks run fast or slow by driftPpm",
  example: { kind: "clock-drift", targets: { role: "leader" }, driftPpm: 5000, durationUs: 10_000_000 },
  conflictClass: "clock",
  fields: { driftPpm: { type: "number", min: -500_000, max: 500_000, required: true, description: "rate error" } },
  start(run) {
    for (const node of run.targets) run.sim.clock(node).setDriftPpm(run.spec.driftPpm as number);
    return resetClocks(run);
  },
  touched: readSkewed,
};

export const clockJump: FaultKind = {
  kind: "clock-jump",
  area: "clock",
  summary: "jump the targets' wall clocks by deltaUs (forward or back); monotonic clocks do not move",
  example: { kind: "clock-jump", targets: { nodes: ["n2"] }, deltaUs: -2_000_000, durationUs: 3_000_000 },
  conflictClass: "clock",
  fields: { deltaUs: { type: "integer", required: true, description: "the jump (negative: back)" } },
  start(run) {
    for (const node of run.targets) run.sim.clock(node).jump(run.spec.deltaUs as number);
    return resetClocks(run);
  },
  touched: readSkewed,
};

export const clockStrobe: FaultKind = {
  kind: "clock-strobe",
  area: "clock",
  summary: "jump the targets' clocks back and forth by deltaUs every periodUs",
  example: { kind: "clock-strobe", targets: "all", deltaUs: 200_000, periodUs: 10_000, durationUs: 1_000_000 },
  conflictClass: "clock",
  durationRequired: true,
  fields: {
    deltaUs: { type: "integer", required: true, description: "size of each jump" },
    periodUs: { type: "integer", min: 1, required: true, description: "time between jumps" },
  },
  start(run) {
    let active = true;
    let forward = true;
    const periodUs = run.spec.periodUs as number;
    const delta = run.spec.deltaUs as number;
    const strobe = () => {
      if (!active) return;
      for (const node of run.targets) run.sim.clock(node).jump(forward ? delta : -delta);
      forward = !forward;
      run.effects.jumps = (run.effects.jumps ?? 0) + 1;
      if (run.sim.nowUs + periodUs < run.timed.endUs!) run.sim.after(periodUs, strobe);
    };
    strobe();
    const reset = resetClocks(run);
    return () => {
      active = false;
      reset();
    };
  },
  touched: readSkewed,
};

/** Every clock kind. */
export const clockFaults: FaultKind[] = [clockOffset, clockDrift, clockJump, clockStrobe];
