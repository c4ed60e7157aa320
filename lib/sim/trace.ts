/**
 * The structured trace of a run: every send, delivery, drop, timer, crash, restart, pause and
 * disk operation, when asked for. Off by default; bounded by `eventsMax`, past which events are
 * counted but not kept, so a long traced run cannot exhaust memory.
 *
 * @module
 */

import type { TraceEvent } from "../base/mod.ts";

/** One traced event; its shape lives in `lib/base/` so the charts can read it without the kernel. */
export type { TraceEvent };

/** A bounded list of trace events. */
export class TraceLog {
  readonly events: TraceEvent[] = [];
  /** Events not kept because the log was full. */
  dropped = 0;

  constructor(public enabled: boolean, readonly eventsMax: number) {}

  /** Keeps `event` if there is room. */
  add(event: TraceEvent): void {
    if (this.events.length < this.eventsMax) this.events.push(event);
    else this.dropped++;
  }

  /** Whether some events were not kept. */
  get truncated(): boolean {
    return this.dropped > 0;
  }
}
