/**
 * The first entry applied at each log index, kept in flat arrays so that feeding it every applied
 * entry of a long run costs a few array writes, not an object per entry: a term, an identity of
 * the command (two entries are the same command when these agree) and the server, per index.
 *
 * @module
 */
import type { Command, Entry } from "./types.ts";

/** A command's identity as a number: a client's (clientId, seq), or its kind for the others. */
function commandIdentity(command: Command): number {
  switch (command.kind) {
    case "op":
      // Client ids and sequence numbers stay far below 2^21 and 2^31 in any run: exact in a double.
      return command.clientId * 2 ** 31 + command.seq + 1;
    case "noop":
      return -1;
    case "config":
      return -2;
    default:
      return -3;
  }
}

/** What `apply` found: nothing wrong, or the first entry applied at the same index. */
export interface AppliedConflict {
  index: number;
  first: { term: number; server: number };
  later: { term: number; server: number };
}

/** Every index's first applied entry (indexes start at 1). */
export class AppliedLedger {
  /** The term plus one (0: nothing applied there yet). */
  #terms = new Float64Array(1024);
  #commands = new Float64Array(1024);
  #servers = new Int32Array(1024);

  /** Records `entry` applied by `server`; returns the conflict when another entry was applied there first. */
  apply(server: number, entry: Entry): AppliedConflict | undefined {
    const index = entry.index;
    if (index >= this.#terms.length) this.#grow(index);
    const identity = commandIdentity(entry.command);
    const term = this.#terms[index] - 1;
    if (term === -1) {
      this.#terms[index] = entry.term + 1;
      this.#commands[index] = identity;
      this.#servers[index] = server;
      return undefined;
    }
    if (term === entry.term && this.#commands[index] === identity) return undefined;
    return { index, first: { term, server: this.#servers[index] }, later: { term: entry.term, server } };
  }

  #grow(index: number): void {
    let size = this.#terms.length;
    while (size <= index) size *= 2;
    const grown = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.#terms = grown(this.#terms, (n) => new Float64Array(n));
    this.#commands = grown(this.#commands, (n) => new Float64Array(n));
    this.#servers = grown(this.#servers, (n) => new Int32Array(n));
  }
}
