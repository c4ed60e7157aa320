/**
 * Compare-and-set in the store's workloads. Only the CP modes can run it: a cas is atomic because
 * Raft applies it at one point of one log, while a leaderless replica that compares and sets
 * alone would let two replicas each accept a different cas on the same value (the lost update
 * Dynamo's sibling merge cannot undo). A cas in a leaderless mode is refused up front.
 *
 * @example
 * ```ts
 * import { casGenerator } from "./cas.ts";
 * import { keyValueGenerator } from "../../../harness/mod.ts";
 * import { Rng } from "../../../sim/mod.ts";
 * const generator = casGenerator(keyValueGenerator({ keys: 1, readFraction: 0, writeF: "put" }), 0.5);
 * const rng = Rng.fromSeed(1);
 * [0, 1, 2, 3].map((sequence) => generator.next(rng, { process: 0, sequence }).f); // puts and cas
 * ```
 * @module
 */
import { InputError } from "../../../assert.ts";
import type { Generator } from "../../../harness/mod.ts";
import { isRaftMode, type KvStoreMode, kvStoreModes } from "./store.ts";

/** The modes that can perform `cas`: those whose writes go through one linearizable log. */
export const casModes: readonly KvStoreMode[] = kvStoreModes.filter((mode) => isRaftMode(mode));

/** Refuses a cas fraction above 0 in a mode that cannot perform cas, naming the modes that can. */
export function requireCasMode(mode: KvStoreMode, casFraction: number): void {
  if (casFraction > 0 && !casModes.includes(mode)) {
    throw new InputError(
      `casFraction ${casFraction} needs a mode that can perform cas (${casModes.join(" or ")}); mode ${mode} ` +
        "is leaderless and has no atomic compare-and-set (set casFraction 0)",
    );
  }
}

/** Why a leaderless client refuses a cas request: its outcome's value. */
export function casRefusal(mode: string): string {
  return `cas is not supported in mode ${mode}; modes that allow it: ${casModes.join(", ")}`;
}

/**
 * Turns a `casFraction` of `base`'s writes into cas operations on the same key: the new value is
 * the write's own (unique), the expected one the value last issued for the key by any process (""
 * before any), which is what the key holds if that write took effect and nothing overtook it. So
 * cas operations both succeed and fail, and every successful one is checked against the order the
 * linearizability checker finds. At fraction 0 it draws nothing and `base` runs as it would alone.
 */
export function casGenerator(base: Generator, casFraction: number): Generator {
  if (!(casFraction >= 0 && casFraction <= 1)) {
    throw new InputError(`casFraction must be in [0, 1], got ${casFraction}`);
  }
  if (casFraction === 0) return base;
  const lastIssued = new Map<string, string>();
  return {
    next(rng, context) {
      const request = base.next(rng, context);
      if (request.f === "get" || request.key === undefined) return request;
      const key = request.key;
      const written = request.f === "delete" ? "" : String(request.value);
      const expected = lastIssued.get(key) ?? "";
      lastIssued.set(key, written);
      if (request.f === "delete" || rng.next() >= casFraction) return request;
      return { f: "cas", key, value: [expected, written] };
    },
  };
}
