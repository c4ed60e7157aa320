/**
 * The replicated key-value state machine on top of Raft, with client sessions: each client tags
 * its commands with (client id, sequence number), and a command already applied is answered from
 * the session instead of being applied again, so retries apply exactly once (§6.3 of Ongaro's
 * thesis). A `cas` is atomic because it is applied at one point of the log on every server: it
 * either finds the expected value and writes, or answers `casMismatch` with what it found, and
 * either answer is definite (the session replays it to a retry).
 *
 * @module
 */
import { assert } from "../../assert.ts";
import type { ApplyResult, KeyLease, StateMachine } from "./core/types.ts";
import type { Command } from "./types.ts";

export type { ApplyResult };

/** Key-value data plus the last answer per client session: the core's {@linkcode StateMachine}. */
export class KvStateMachine implements StateMachine {
  readonly data = new Map<string, string>();
  readonly #sessions = new Map<number, { seq: number; result: ApplyResult }>();
  /** The keys whose last write set a time to live, with that write's version. */
  readonly #leases = new Map<string, KeyLease>();
  /** Writes applied so far: a write's version, the same on every server since all apply the same log. */
  #writes = 0;

  /** Applies a committed command (deterministically) and returns its answer. */
  apply(command: Command): ApplyResult {
    if (command.kind === "expire") return this.#expire(command.key, command.version);
    if (command.kind !== "op") return { ok: true, value: null };
    const session = this.#sessions.get(command.clientId);
    if (session !== undefined && command.seq <= session.seq) {
      // A retry of a command already applied: the same answer, no second effect.
      return command.seq === session.seq ? session.result : { ok: false, value: null };
    }
    const result = this.#applyOperation(command);
    if (command.f !== "get" && result.ok) {
      this.#versionWrite(command.key, command.f === "put" ? command.ttlUs : undefined);
    }
    this.#sessions.set(command.clientId, { seq: command.seq, result });
    return result;
  }

  /** A write replaced the key: it has a new version, and a time to live only if this write set one. */
  #versionWrite(key: string, ttlUs: number | undefined): void {
    this.#writes++;
    if (ttlUs === undefined) this.#leases.delete(key);
    else {
      assert(
        Number.isSafeInteger(ttlUs) && ttlUs > 0,
        `the TTL of ${key} is a positive whole number of µs, not ${ttlUs}`,
      );
      this.#leases.set(key, { version: this.#writes, ttlUs });
    }
  }

  /** A leader's expiry of `key`: deleted if the write that set its TTL is still the last one. */
  #expire(key: string, version: number): ApplyResult {
    if (this.#leases.get(key)?.version !== version) return { ok: true, value: null };
    this.#leases.delete(key);
    this.data.delete(key);
    return { ok: true, value: null };
  }

  /** Keys with a time to live (the core's leader watches them). */
  leases(): Iterable<[string, KeyLease]> {
    return this.#leases.entries();
  }

  /** The time to live of `key`, if its last write set one. */
  leaseOf(key: string): KeyLease | undefined {
    return this.#leases.get(key);
  }

  /** One operation's effect on the data, and its answer. */
  #applyOperation(command: Extract<Command, { kind: "op" }>): ApplyResult {
    const current = this.data.get(command.key) ?? "";
    switch (command.f) {
      case "get":
        return { ok: true, value: current };
      case "put":
        this.data.set(command.key, command.value ?? "");
        return { ok: true, value: command.value };
      case "append":
        this.data.set(command.key, current + (command.value ?? ""));
        return { ok: true, value: command.value };
      case "delete":
        // An absent key reads as "", as one never written does: a delete of it is a no-op that succeeds.
        this.data.delete(command.key);
        return { ok: true, value: null };
      case "cas":
        assert(command.expected !== undefined, `cas on ${command.key} without an expected value`);
        if (current !== command.expected) return { ok: false, value: current, error: "casMismatch" };
        this.data.set(command.key, command.value ?? "");
        return { ok: true, value: command.value };
    }
  }

  /** The value of `key` in the applied state ("" when absent). */
  read(key: string): string {
    return this.data.get(key) ?? "";
  }

  /** A snapshot of data and sessions, as JSON text. */
  snapshot(): string {
    return JSON.stringify({
      data: [...this.data],
      sessions: [...this.#sessions],
      leases: [...this.#leases],
      writes: this.#writes,
    });
  }

  /** Replaces the state with a snapshot's. */
  restore(text: string): void {
    const parsed = JSON.parse(text) as {
      data: [string, string][];
      sessions: [number, { seq: number; result: ApplyResult }][];
      leases?: [string, KeyLease][];
      writes?: number;
    };
    this.data.clear();
    for (const [k, v] of parsed.data) this.data.set(k, v);
    this.#sessions.clear();
    for (const [id, s] of parsed.sessions) this.#sessions.set(id, s);
    this.#leases.clear();
    for (const [key, lease] of parsed.leases ?? []) this.#leases.set(key, lease);
    this.#writes = parsed.writes ?? 0;
  }
}
