/**
 * The fault vocabulary: every kind by name.
 *
 * @module
 */
import { clockFaults } from "./clock_faults.ts";
import { diskFaults } from "./disk_faults.ts";
import type { FaultKind } from "./kind.ts";
import { networkFaults } from "./network_faults.ts";
import { processFaults } from "./process_faults.ts";
import { resourceFaults } from "./resource_faults.ts";

/** All fault kinds, in vocabulary order. */
export const faultKinds: FaultKind[] = [
  ...networkFaults,
  ...processFaults,
  ...diskFaults,
  ...clockFaults,
  ...resourceFaults,
];

const byName = new Map(faultKinds.map((k) => [k.kind, k]));

/** The kind named `name`, or undefined. */
export function faultKind(name: string): FaultKind | undefined {
  return byName.get(name);
}

/** Every kind's name. */
export function faultKindNames(): string[] {
  return faultKinds.map((k) => k.kind);
}
