/**
 * The key-value workload Raft's experiments share: closed-loop clients over keys `k0`...,
 * reads and appends (or puts) of values unique in the run, each ending in `;` so an appended
 * string splits back into the writes it holds; linearizability of the history and the
 * acknowledged appends lost (judged on appends only: puts overwrite each other).
 *
 * @module
 */
import { kv } from "../../../check/mod.ts";
import {
  type Checker,
  finalReads,
  keyValueGenerator,
  linearizable,
  lostWrites,
  type Workload,
} from "../../../harness/mod.ts";

/** Options of the workload. */
export interface RaftWorkloadOptions {
  clients: number;
  keys: number;
  /** Fraction of reads (default 0.5). */
  readFraction?: number;
  writeF?: "append" | "put";
  /** How many of the clients only read (default 0). */
  readOnlyClients?: number;
  /** Mean think time (default 2 ms). */
  thinkTimeUsMean?: number;
  /** Judge linearizability and lost writes (default true). */
  checks?: boolean;
  /**
   * Where lost writes are judged: `final` reads of every key after the run (Jepsen's final
   * generator) or the `committed` state of a leader that has committed in its term (white-box).
   * Default `committed`.
   */
  lostWritesFrom?: "final" | "committed";
}

/** A key's value is the concatenation of the appends applied to it, each ending in `;`. */
export function splitAppends(value: unknown): string[] {
  return String(value ?? "").split(";").filter((part) => part !== "").map((part) => `${part};`);
}

/** The workload. */
export function raftWorkload(options: RaftWorkloadOptions): Workload {
  const writeF = options.writeF ?? "append";
  const generator = keyValueGenerator({
    keys: options.keys,
    readFraction: options.readFraction ?? 0.5,
    writeF,
    terminator: ";",
  });
  const reader = keyValueGenerator({ keys: options.keys, readFraction: 1, writeF, terminator: ";" });
  const fromFinal = options.lostWritesFrom === "final";
  const checkers: Checker[] = options.checks === false ? [] : [
    linearizable("linearizability (kv)", kv as never, { initial: "" }),
    ...(writeF === "append" ? [lostWrites(fromFinal ? "final" : "durable", { name: "lost-committed-writes" })] : []),
  ];
  return {
    processes: options.clients,
    thinkTimeUsMean: options.thinkTimeUsMean ?? 2_000,
    generator,
    generatorFor: (index) => (index < (options.readOnlyClients ?? 0) ? reader : undefined),
    final: fromFinal ? finalReads(options.keys) : undefined,
    finalElements: splitAppends,
    checkers,
  };
}
