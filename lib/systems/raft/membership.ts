/**
 * Cluster membership, one server at a time (§4.1 of Ongaro's thesis): a configuration is a log
 * entry, and a server uses the latest configuration in its log whether or not it is committed.
 * So the configuration follows the log: it changes when a config entry is appended, reverts when
 * that entry is truncated away, and survives compaction inside the snapshot.
 *
 * New servers join as learners (they receive the log but neither vote nor count toward a
 * majority) and are promoted once they have caught up, so a slow newcomer never stalls commits.
 * Changing one voter at a time keeps any majority of the old voters and any majority of the new
 * overlapping, which is what makes two leaders in one term impossible across a change.
 *
 * @module
 */
import { assert, InputError } from "../../assert.ts";
import type { Entry } from "./types.ts";

/** Who votes and who only follows the log. */
export interface Membership {
  voters: number[];
  learners: number[];
}

/** A membership change an operator asks for: add joins as a learner; promote and remove complete it. */
export type MembershipChange = { change: "add" | "promote" | "remove"; server: number };

/** The membership after `change`; refuses a change that does not apply, naming why. */
export function applyChange(membership: Membership, { change, server }: MembershipChange): Membership {
  const voter = membership.voters.includes(server);
  const learner = membership.learners.includes(server);
  if (change === "add") {
    if (voter || learner) throw new InputError(`server ${server} is already a ${voter ? "voter" : "learner"}`);
    return { voters: [...membership.voters], learners: [...membership.learners, server] };
  }
  if (change === "promote") {
    if (!learner) throw new InputError(`server ${server} is not a learner; only learners are promoted`);
    return {
      voters: [...membership.voters, server].sort((a, b) => a - b),
      learners: membership.learners.filter((s) => s !== server),
    };
  }
  if (!voter && !learner) throw new InputError(`server ${server} is not a member`);
  if (voter && membership.voters.length === 1) throw new InputError(`server ${server} is the last voter`);
  return {
    voters: membership.voters.filter((s) => s !== server),
    learners: membership.learners.filter((s) => s !== server),
  };
}

/** The configurations a server's log holds: a base (from bootstrap or the snapshot) and later entries. */
export class MembershipLog {
  #base: { index: number; membership: Membership };
  #changes: { index: number; membership: Membership }[] = [];
  /** Bumped on every change of the current membership, so callers can cache what they derive. */
  version = 0;

  constructor(bootstrap: Membership) {
    this.#base = { index: 0, membership: bootstrap };
  }

  /** The latest configuration in the log. */
  get current(): Membership {
    return this.#changes.length > 0 ? this.#changes[this.#changes.length - 1].membership : this.#base.membership;
  }

  /** The index of the latest configuration entry (the base's index when none follows it). */
  get latestIndex(): number {
    return this.#changes.length > 0 ? this.#changes[this.#changes.length - 1].index : this.#base.index;
  }

  /** The configuration in force at `index`. */
  at(index: number): Membership {
    for (let i = this.#changes.length - 1; i >= 0; i--) {
      if (this.#changes[i].index <= index) return this.#changes[i].membership;
    }
    return this.#base.membership;
  }

  /** Entries were appended to the log, replacing any it held from the first one's index on. */
  appended(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const before = this.#changes.length;
    while (this.#changes.length > 0 && this.#changes[this.#changes.length - 1].index >= entries[0].index) {
      this.#changes.pop();
    }
    let changed = this.#changes.length !== before;
    for (const entry of entries) {
      const command = entry.command;
      if (command.kind !== "config") continue;
      this.#changes.push({ index: entry.index, membership: { voters: command.voters, learners: command.learners } });
      changed = true;
    }
    if (changed) this.version++;
  }

  /** The log prefix up to `index` went into a snapshot: its configuration becomes the base. */
  compacted(index: number): void {
    if (index <= this.#base.index) return;
    this.#base = { index, membership: this.at(index) };
    this.#changes = this.#changes.filter((c) => c.index > index);
  }

  /** A snapshot ending at `index` with `membership` replaced the log up to there (or all of it). */
  installed(index: number, membership: Membership, keepLaterEntries: boolean): void {
    assert(index >= this.#base.index, `snapshot at ${index} is older than the base at ${this.#base.index}`);
    this.#base = { index, membership };
    this.#changes = keepLaterEntries ? this.#changes.filter((c) => c.index > index) : [];
    this.version++;
  }
}
