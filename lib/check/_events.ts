/**
 * The checks every history-reading checker makes of an event before its own: a known function
 * and a string key. Private to the checkers.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import type { Op } from "../history/mod.ts";

/**
 * Refuses a client event whose function is not in `functions` or whose key is not a string, and
 * returns how to name the event in later errors (events are numbered from 1). Nemesis events
 * return undefined: checkers skip them.
 */
export function eventWhere(event: Op, index: number, functions: readonly string[]): string | undefined {
  if (event.process === "nemesis") return undefined;
  const where = `event ${index + 1} (process ${event.process}, ${event.type} ${event.f})`;
  if (!functions.includes(event.f)) {
    throw new InputError(`${where}: unknown f ${JSON.stringify(event.f)}; allowed: ${functions.join(", ")}`);
  }
  if (event.key !== undefined && typeof event.key !== "string") {
    throw new InputError(`${where}: key must be a string or omitted, got ${JSON.stringify(event.key)}`);
  }
  return where;
}
