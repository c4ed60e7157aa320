/**
 * The vocabulary of the isolation checker: transactions and their micro-operations, the
 * dependencies inferred between transactions, and the anomalies reported.
 *
 * Micro-operations use Elle's notation (Kingsbury & Alvaro, VLDB 2020, §3): `["append", k, v]`
 * and `["r", k, [v1, v2]]` for list-append, `["w", k, v]` and `["r", k, v]` for rw-register.
 *
 * @example
 * ```ts
 * import type { MicroOp } from "./types.ts";
 * const append: MicroOp = { f: "append", key: "x", value: 1 };
 * ```
 * @module
 */

/** The two workloads: lists that only grow by appends, and registers that are overwritten. */
export type Workload = "list-append" | "rw-register";

/** A key of the database. */
export type Key = string | number;

/** A value appended or written. Values are unique per key (the workload guarantees it). */
export type Value = string | number;

/** One micro-operation of a transaction. */
export type MicroOp =
  | { f: "append"; key: Key; value: Value }
  | { f: "w"; key: Key; value: Value }
  /**
   * A read: for list-append a list (null before the read completes, or for a key never
   * written); for rw-register a value, or null for the initial state.
   */
  | { f: "r"; key: Key; value: Value[] | Value | null };

/** How a transaction ended: committed, aborted, or unknown (it may have committed). */
export type Outcome = "ok" | "fail" | "info";

/** One transaction: an invocation paired with its completion. */
export interface Transaction {
  /** Dense number in order of invocation, from 0; the transaction's vertex in the graph. */
  id: number;
  /** How explanations name it: "T" and its number in order of invocation, from 1. */
  name: string;
  process: number;
  outcome: Outcome;
  /**
   * The micro-operations: the completion's for an ok transaction (reads filled in), the
   * invocation's otherwise (reads unknown).
   */
  ops: MicroOp[];
  /** Position of the invocation in the history (from 0). */
  invokeIndex: number;
  /** Position of the completion, or undefined when the history ends before it. */
  completeIndex: number | undefined;
}

/** The kinds of dependency between transactions (Adya's ww, wr, rw; Elle's process, realtime). */
export type DependencyKind = "ww" | "wr" | "rw" | "process" | "realtime";

/** Edge kinds as bits, for masks over a pair's kinds. */
export const edgeBit: Readonly<Record<DependencyKind, number>> = {
  ww: 1,
  wr: 2,
  rw: 4,
  process: 8,
  realtime: 16,
};

/** The kinds in order of preference when a pair has several: data edges first, rw last. */
export const dependencyKinds: readonly DependencyKind[] = ["ww", "wr", "process", "realtime", "rw"];

/**
 * Why an edge exists, kept compact so that a large graph stays cheap; it is rendered as a
 * sentence only when the edge appears in a reported cycle.
 */
export interface EdgeReason {
  kind: DependencyKind;
  key?: Key;
  /** ww: the earlier version's value; wr and rw: what the reader read. */
  read?: unknown;
  /** ww and rw: the later value the second transaction wrote; wr: the value the first wrote. */
  written?: unknown;
  /**
   * How a version order was inferred: "observed" (the longest read list), "unobserved" (an
   * append no read ever saw comes after every read element), "initial" (the initial state comes
   * first), "write-follows-read" (a transaction that read a version and then wrote the key).
   */
  basis?: "observed" | "unobserved" | "initial" | "write-follows-read";
}

/** A transaction as reports show it. */
export interface TransactionRef {
  name: string;
  process: number;
  outcome: Outcome;
  /** Micro-operations in Elle's notation, e.g. `["append", "x", 1]`. */
  ops: unknown[][];
  invokeIndex: number;
  completeIndex: number | undefined;
}

/** One dependency of a cycle, from a transaction to the next one. */
export interface Dependency {
  kind: DependencyKind;
  key?: Key;
  /** One sentence: why the first transaction must come before the second. */
  why: string;
}

/** One step of a cycle: a transaction and its dependency on the next (the last on the first). */
export interface CycleStep {
  txn: TransactionRef;
  dependency: Dependency;
}

/** The base types of cycle anomaly, by their data edges (Adya; Elle §4.3). */
export const cycleTypes = ["G0", "G1c", "G-single", "G-nonadjacent", "G2"] as const;

/** A base cycle type. */
export type CycleType = typeof cycleTypes[number];

/** The anomalies found without a cycle search. */
export const directTypes = [
  "G1a",
  "G1b",
  "internal",
  "future-read",
  "lost-update",
  "incompatible-order",
  "duplicate-elements",
  "garbage-read",
] as const;

/** An anomaly found without a cycle search. */
export type DirectType = typeof directTypes[number];

/**
 * An anomaly's type: a direct type, or a cycle type with "-process" or "-realtime" appended when
 * the cycle needs process or real-time edges.
 */
export type AnomalyType = DirectType | CycleType | `${CycleType}-process` | `${CycleType}-realtime`;

/** One anomaly, with what a person needs to see it. */
export interface Anomaly {
  type: AnomalyType;
  /** For cycle anomalies: the transactions in order, each with its dependency on the next. */
  cycle?: CycleStep[];
  /** For direct anomalies: the transactions involved. */
  txns?: TransactionRef[];
  key?: Key;
  /** The value (or list) at issue. */
  value?: unknown;
  /** Several lines a person can read. */
  explanation: string;
}
