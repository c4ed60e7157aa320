/**
 * The structured trace of a run: every send, delivery, drop, timer, crash, restart, pause and
 * disk operation, when asked for. Off by default; bounded by `eventsMax`, past which events are
 * counted but not kept, so a long traced run cannot exhaust memory.
 *
 * @module
 */

/** One traced event. `peer` is the other node of a message (-1 otherwise). */
export interface TraceEvent {
  timeUs: number;
  kind:
    | "send"
    | "deliver"
    | "drop"
    | "timer"
    | "start"
    | "crash"
    | "restart"
    | "pause"
    | "resume"
    | "disk-write"
    | "disk-fsync"
    | "disk-done"
    | "corrupt";
  node: number;
  peer: number;
  detail: unknown;
}

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
