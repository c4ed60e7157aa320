/**
 * The in-memory Raft log: entries from `firstIndex` on (the prefix before it is covered by a
 * snapshot), with the term of the entry just before, so the consistency check works at the
 * boundary. Indexes start at 1; index 0 with term 0 is the empty log's sentinel.
 *
 * @module
 */
import { AssertionError } from "../../assert.ts";
import type { Entry } from "./types.ts";

/** What readers of a log may use: every query, no change (the core alone changes its log). */
export interface ReadonlyRaftLog {
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly firstIndex: number;
  readonly snapshotIndex: number;
  termAt(index: number): number | undefined;
  entry(index: number): Entry;
  slice(from: number, to: number, max: number): Entry[];
  isUpToDate(lastIndex: number, lastTerm: number): boolean;
}

/** A Raft log. */
export class RaftLog implements ReadonlyRaftLog {
  #entries: Entry[] = [];
  /** Index of the last entry covered by the snapshot (0: none). */
  #snapshotIndex = 0;
  #snapshotTerm = 0;

  /** The index of the last entry (or the snapshot's). */
  get lastIndex(): number {
    return this.#snapshotIndex + this.#entries.length;
  }

  /** The term of the last entry. */
  get lastTerm(): number {
    return this.termAt(this.lastIndex)!;
  }

  /** The first index held as an entry. */
  get firstIndex(): number {
    return this.#snapshotIndex + 1;
  }

  get snapshotIndex(): number {
    return this.#snapshotIndex;
  }

  /** The term at `index`, or undefined when it is past the end or compacted away. */
  termAt(index: number): number | undefined {
    if (index === this.#snapshotIndex) return this.#snapshotTerm;
    if (index < this.#snapshotIndex || index > this.lastIndex) return undefined;
    return this.#entries[index - this.#snapshotIndex - 1].term;
  }

  /** The entry at `index` (which must be held). */
  entry(index: number): Entry {
    // Here and below, checks that run for every entry use `if`: assert() would build its message each time.
    if (!(index >= this.firstIndex && index <= this.lastIndex)) {
      throw new AssertionError(`entry ${index} outside [${this.firstIndex}, ${this.lastIndex}]`);
    }
    return this.#entries[index - this.#snapshotIndex - 1];
  }

  /** Entries in [from, to), at most `max`. */
  slice(from: number, to: number, max: number): Entry[] {
    if (!(from >= this.firstIndex)) {
      throw new AssertionError(`slice from ${from} before the first index ${this.firstIndex}`);
    }
    const end = Math.min(to, from + max, this.lastIndex + 1);
    return this.#entries.slice(from - this.#snapshotIndex - 1, end - this.#snapshotIndex - 1);
  }

  /** Appends one entry at the end. */
  push(entry: Entry): void {
    if (entry.index !== this.lastIndex + 1) {
      throw new AssertionError(`entry ${entry.index} appended after ${this.lastIndex}`);
    }
    if (!(entry.term >= this.lastTerm)) {
      throw new AssertionError(`entry term ${entry.term} below the last term ${this.lastTerm}`);
    }
    this.#entries.push(entry);
  }

  /**
   * Merges entries received after `prevIndex` (§5.3): an existing entry that conflicts with a new
   * one (same index, different term) is deleted with all that follow; entries already held are kept.
   * Returns the entries newly appended (to persist).
   */
  merge(entries: readonly Entry[]): Entry[] {
    const appended: Entry[] = [];
    for (const entry of entries) {
      if (entry.index <= this.#snapshotIndex) continue;
      const existing = this.termAt(entry.index);
      if (existing === entry.term) continue;
      if (existing !== undefined) this.#entries.length = entry.index - this.#snapshotIndex - 1;
      this.push(entry);
      appended.push(entry);
    }
    return appended;
  }

  /** Drops entries up to `index` (covered by a snapshot whose last term is `term`). */
  compact(index: number, term: number): void {
    if (index <= this.#snapshotIndex) return;
    if (index >= this.lastIndex) this.#entries = [];
    else this.#entries = this.#entries.slice(index - this.#snapshotIndex);
    this.#snapshotIndex = index;
    this.#snapshotTerm = term;
  }

  /** Replaces the whole log with a snapshot ending at (index, term): no entries are held. */
  reset(index: number, term: number): void {
    this.#entries = [];
    this.#snapshotIndex = index;
    this.#snapshotTerm = term;
  }

  /** Whether a log ending at (lastIndex, lastTerm) is at least as up to date as this one (§5.4.1). */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm || (lastTerm === this.lastTerm && lastIndex >= this.lastIndex);
  }
}
