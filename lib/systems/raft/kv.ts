/**
 * The replicated key-value state machine on top of Raft, with client sessions: each client tags
 * its commands with (client id, sequence number), and a command already applied is answered from
 * the session instead of being applied again, so retries apply exactly once (§6.3 of Ongaro's
 * thesis).
 *
 * @module
 */
import type { ApplyResult, StateMachine } from "./core/types.ts";
import type { Command } from "./types.ts";

export type { ApplyResult };

/** Key-value data plus the last answer per client session: the core's {@linkcode StateMachine}. */
export class KvStateMachine implements StateMachine {
  readonly data = new Map<string, string>();
  readonly #sessions = new Map<number, { seq: number; result: ApplyResult }>();

  /** Applies a committed command (deterministically) and returns its answer. */
  apply(command: Command): ApplyResult {
    if (command.kind !== "op") return { ok: true, value: null };
    const session = this.#sessions.get(command.clientId);
    if (session !== undefined && command.seq <= session.seq) {
      // A retry of a command already applied: the same answer, no second effect.
      return command.seq === session.seq ? session.result : { ok: false, value: null };
    }
    const current = this.data.get(command.key) ?? "";
    let result: ApplyResult;
    if (command.f === "get") result = { ok: true, value: current };
    else if (command.f === "put") {
      this.data.set(command.key, command.value ?? "");
      result = { ok: true, value: command.value };
    } else {
      this.data.set(command.key, current + (command.value ?? ""));
      result = { ok: true, value: command.value };
    }
    this.#sessions.set(command.clientId, { seq: command.seq, result });
    return result;
  }

  /** The value of `key` in the applied state ("" when absent). */
  read(key: string): string {
    return this.data.get(key) ?? "";
  }

  /** A snapshot of data and sessions, as JSON text. */
  snapshot(): string {
    return JSON.stringify({ data: [...this.data], sessions: [...this.#sessions] });
  }

  /** Replaces the state with a snapshot's. */
  restore(text: string): void {
    const parsed = JSON.parse(text) as {
      data: [string, string][];
      sessions: [number, { seq: number; result: ApplyResult }][];
    };
    this.data.clear();
    for (const [k, v] of parsed.data) this.data.set(k, v);
    this.#sessions.clear();
    for (const [id, s] of parsed.sessions) this.#sessions.set(id, s);
  }
}
