/**
 * The nemesis library: composable, deterministic fault schedules over the kernel's hooks.
 *
 * @example
 * ```ts
 * import type { Schedule } from "./mod.ts";
 * const schedule: Schedule = {
 *   faults: [
 *     { at: 1_000_000, fault: { kind: "isolate", targets: { role: "leader" }, durationUs: 3_000_000 } },
 *     { at: 2_000_000, fault: { kind: "disk-stall", targets: { random: "one" }, durationUs: 500_000 } },
 *   ],
 *   recoveryUs: 5_000_000,
 * };
 * ```
 * @module
 */
export * from "./types.ts";
export * from "./nemesis.ts";
export * from "./coverage.ts";
export {
  checkSchedule,
  type CompiledSchedule,
  compileSchedule,
  recoveryUsDefault,
  type TargetCount,
} from "./schedule.ts";
export { faultKind, faultKindNames, faultKinds } from "./kinds.ts";
export type { FaultArea, FaultKind, FieldSpec } from "./kind.ts";
