/**
 * The echo service's planted bugs: each a flag, off by default, consulted at one place.
 *
 * @module
 */

/** Planted bugs of the echo server. */
export interface EchoBugs {
  /**
   * Answering before the journal's fsync completes: the request is in the page cache only, so a
   * crash can lose a request the client saw acknowledged (the bug behind many "acknowledged
   * writes lost" reports). Caught by the `acknowledged-durable` check after a crash.
   */
  ackBeforeFsync: boolean;
}

/** Every bug's name, with what it breaks and what catches it. */
export const echoBugDocs = {
  ackBeforeFsync: "answers before the journal fsync completes; caught by acknowledged-durable after a crash",
} as const satisfies Record<keyof EchoBugs, string>;

/** Every bug's name. */
export const echoBugNames = Object.keys(echoBugDocs) as (keyof EchoBugs)[];

/** The bug set with only `name` on ("none": all off). */
export function echoBugsFor(name: "none" | keyof EchoBugs): EchoBugs {
  return { ackBeforeFsync: name === "ackBeforeFsync" };
}
