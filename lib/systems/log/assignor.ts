/**
 * The consumer group leader's assignors (pure): `range` for eager rebalancing, and the
 * cooperative sticky assignor of KIP-429, which keeps every member's partitions where balance
 * allows and withholds a partition that moves until its old owner has given it up.
 *
 * @example
 * ```ts
 * import { cooperativeAssign, rangeAssign } from "./assignor.ts";
 * rangeAssign(["a", "b"], 3); // Map { "a" => [0, 1], "b" => [2] }
 * // b owns 1 and 2; a joins: b keeps 2, and 1 (moving to a) is withheld from both this generation.
 * cooperativeAssign([{ memberId: "a", owned: [] }, { memberId: "b", owned: [1, 2] }], 3);
 * // Map { "a" => [0], "b" => [2] }
 * ```
 * @module
 */
import { assert } from "../../assert.ts";

/** A member as the leader sees it in a JoinGroup round: its id and what it owns now. */
export interface MemberSubscription {
  memberId: string;
  /** Partitions the member owns as it joins (empty under eager rebalancing: it revoked them all). */
  owned: readonly number[];
}

/** Contiguous ranges over members sorted by id; the first `partitions % members` get one more. */
export function rangeAssign(memberIds: readonly string[], partitions: number): Map<string, number[]> {
  assert(memberIds.length > 0, "an assignment needs a member");
  const sorted = [...memberIds].sort();
  const base = Math.floor(partitions / sorted.length), extra = partitions % sorted.length;
  const result = new Map<string, number[]>();
  let next = 0;
  sorted.forEach((id, i) => {
    const count = base + (i < extra ? 1 : 0);
    result.set(id, Array.from({ length: count }, (_, k) => next + k));
    next += count;
  });
  assert(next === partitions, `range assigned ${next} of ${partitions} partitions`);
  return result;
}

/**
 * A balanced assignment that keeps what members own: each member keeps its owned partitions up to
 * its quota (the members keeping most get the larger quotas), and the rest go to the members with
 * fewest. Every partition is assigned exactly once.
 */
export function stickyAssign(members: readonly MemberSubscription[], partitions: number): Map<string, number[]> {
  assert(members.length > 0, "an assignment needs a member");
  const claimed = new Set<number>();
  const kept = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1)).map((m) => {
    // Two members claiming one partition (a stale view): the first by id keeps it.
    const keep = [...new Set(m.owned)].filter((p) => p >= 0 && p < partitions && !claimed.has(p)).sort((a, b) => a - b);
    keep.forEach((p) => claimed.add(p));
    return { memberId: m.memberId, keep };
  });
  kept.sort((a, b) => b.keep.length - a.keep.length || (a.memberId < b.memberId ? -1 : 1));
  const base = Math.floor(partitions / kept.length), extra = partitions % kept.length;
  const free: number[] = [];
  kept.forEach((m, i) => {
    const quota = base + (i < extra ? 1 : 0);
    free.push(...m.keep.splice(quota));
  });
  free.push(...Array.from({ length: partitions }, (_, p) => p).filter((p) => !claimed.has(p)));
  free.sort((a, b) => a - b);
  kept.forEach((m, i) => {
    const quota = base + (i < extra ? 1 : 0);
    while (m.keep.length < quota) m.keep.push(free.shift()!);
    m.keep.sort((a, b) => a - b);
  });
  assert(free.length === 0, `sticky left ${free.length} partitions unassigned`);
  return new Map(kept.map((m) => [m.memberId, m.keep]));
}

/**
 * KIP-429's cooperative assignment: the sticky assignment, less every partition that another
 * member still owns. The old owner sees it missing from its assignment, revokes it and rejoins;
 * the next generation hands it over. Partitions that do not move stay owned throughout.
 */
export function cooperativeAssign(members: readonly MemberSubscription[], partitions: number): Map<string, number[]> {
  const target = stickyAssign(members, partitions);
  const ownerOf = new Map<number, string>();
  for (const m of members) for (const p of m.owned) if (!ownerOf.has(p)) ownerOf.set(p, m.memberId);
  const result = new Map<string, number[]>();
  for (const [id, assigned] of target) {
    result.set(id, assigned.filter((p) => ownerOf.get(p) === undefined || ownerOf.get(p) === id));
  }
  return result;
}
