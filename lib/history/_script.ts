/**
 * Test helper: a history built one whole operation at a time (each completes before the next
 * begins), with times that follow the order of events. Checker tests extend it with their own
 * functions.
 *
 * @module
 */
import type { Op } from "./history.ts";

/** A history under construction; `op` appends an invocation and its completion. */
export class ScriptedHistory {
  readonly events: Op[] = [];

  /** Appends one operation of `process`: invoked with `input`, completed as `type` with `output`. */
  op(process: number, f: string, key: string | undefined, input: unknown, type: Op["type"], output: unknown): this {
    const time = this.events.length;
    const at = (event: Omit<Op, "time" | "key">, offset: number): Op =>
      key === undefined ? { ...event, time: time + offset } : { ...event, key, time: time + offset };
    this.events.push(at({ process, type: "invoke", f, value: input }, 0));
    this.events.push(at({ process, type, f, value: output }, 1));
    return this;
  }
}
