/**
 * The fault package that breaks leader leases (§6.4.1 of Ongaro's thesis): the leader is isolated
 * from the other servers (clients still reach it) while its clock runs slow and theirs run fast.
 * A lease is a promise made in the leader's clock (answer reads alone until the lease ends) and
 * kept in the followers' clocks (elect nobody for an election timeout after acknowledging it), so
 * it holds only while the clocks' rates differ by less than the lease's drift allowance
 * (`leaseClockDriftMax`, 10% by default). Beyond it the followers elect a new leader, which
 * commits writes, while the old one still believes its lease holds and answers reads from its
 * stale state: a violation the linearizability checker finds. The same schedule without skew
 * (`skewPpm` 0) isolates the leader all the same, and the lease then runs out in time.
 *
 * @example
 * ```ts
 * import { leaderSkewPackage } from "./lease_skew.ts";
 * leaderSkewPackage(500_000).periodic?.everyUs; // 1_500_000: a round every 1.5 s
 * ```
 * @module
 */
import { InputError } from "../../../assert.ts";
import type { FaultPackage } from "../../../harness/mod.ts";

/** How long one round skews the clocks; the isolation sits inside it. */
const skewRoundUs = 900_000;
/** When the isolation starts within a round (the clocks have drifted apart by then) and how long it lasts. */
const isolateAtUs = 100_000;
const isolateUs = 600_000;

/**
 * A round every 1.5 s: the leader's clock slows by `skewPpm` and the followers' speed up by as
 * much for 900 ms, and 100 ms in the leader is isolated for 600 ms.
 *
 * @param skewPpm the rate error each side gets, in parts per million (0 to 500 000)
 */
export function leaderSkewPackage(skewPpm: number): FaultPackage {
  if (!(Number.isInteger(skewPpm) && skewPpm >= 0 && skewPpm <= 500_000)) {
    throw new InputError(`skewPpm must be a whole number from 0 to 500000, got ${skewPpm}`);
  }
  const drift = (role: string, driftPpm: number) => ({
    fault: { kind: "clock-drift" as const, targets: { role }, driftPpm, durationUs: skewRoundUs },
  });
  return {
    periodic: {
      everyUs: 1_500_000,
      firstAfterUs: 0,
      node: {
        parallel: [
          drift("leader", -skewPpm),
          drift("followers", skewPpm),
          { at: isolateAtUs, fault: { kind: "isolate", targets: { role: "leader" }, durationUs: isolateUs } },
        ],
      },
    },
  };
}
