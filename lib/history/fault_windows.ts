/**
 * Fault windows from a history: each nemesis start paired with its heal, for shading charts and
 * listing what struck when.
 *
 * @module
 */
import type { Op } from "./history.ts";

/** One fault's window. `endUs` is the run's end when the fault never healed. */
export interface FaultWindow {
  id: number;
  kind: string;
  targets: string[];
  startUs: number;
  endUs: number;
}

/** Pairs nemesis `start` and `heal` events by fault id; `heal-all` closes whatever is open. */
export function faultWindows(ops: readonly Op[], runEndUs: number): FaultWindow[] {
  const open = new Map<number, FaultWindow>();
  const windows: FaultWindow[] = [];
  for (const op of ops) {
    if (op.process !== "nemesis") continue;
    if (op.f === "heal-all") {
      for (const window of open.values()) window.endUs = op.time;
      open.clear();
      continue;
    }
    const value = op.value as { phase?: string; id?: number; targets?: string[] } | null;
    if (value?.id === undefined) continue;
    if (value.phase === "start") {
      const window = { id: value.id, kind: op.f, targets: value.targets ?? [], startUs: op.time, endUs: runEndUs };
      open.set(value.id, window);
      windows.push(window);
    } else if (value.phase === "heal") {
      const window = open.get(value.id);
      if (window !== undefined) window.endUs = op.time;
      open.delete(value.id);
    }
  }
  return windows;
}
