/**
 * Generated histories for tests and benchmarks: concurrent clients on a key-value store, each
 * operation taking effect at a random instant inside its interval, so the history is
 * linearizable by construction.
 *
 * @module
 */
import type { Op } from "../history/mod.ts";
import type { Rng } from "../base/mod.ts";

/** Shape of a generated history. */
export interface KvHistoryOptions {
  operations: number;
  processes: number;
  keys: number;
  /** Fraction of reads (get); the rest split between put and append. Default 0.5. */
  readFraction?: number;
}

/** A linearizable kv history (get/put/append per key, keys "k0".."kN"). */
export function generateKvHistory(rng: Rng, options: KvHistoryOptions): Op[] {
  type Planned = {
    process: number;
    f: string;
    key: string;
    input: unknown;
    callUs: number;
    effectUs: number;
    returnUs: number;
  };
  const perProcess = Math.ceil(options.operations / options.processes);
  const planned: Planned[] = [];
  const readFraction = options.readFraction ?? 0.5;
  for (let p = 0; p < options.processes && planned.length < options.operations; p++) {
    let t = rng.int(0, 10);
    for (let i = 0; i < perProcess && planned.length < options.operations; i++) {
      const callUs = t + rng.int(0, 20);
      const returnUs = callUs + rng.int(1, 100);
      const roll = rng.next();
      const f = roll < readFraction ? "get" : roll < readFraction + (1 - readFraction) / 2 ? "put" : "append";
      const key = `k${rng.int(0, options.keys - 1)}`;
      const input = f === "get" ? null : `${p}.${i};`;
      planned.push({ process: p, f, key, input, callUs, effectUs: rng.uniform(callUs, returnUs), returnUs });
      t = returnUs + 1;
    }
  }
  const values = new Map<string, string>();
  const outputs = new Map<Planned, unknown>();
  for (const op of [...planned].sort((a, b) => a.effectUs - b.effectUs)) {
    const current = values.get(op.key) ?? "";
    if (op.f === "get") outputs.set(op, current);
    else {
      values.set(op.key, op.f === "put" ? String(op.input) : current + String(op.input));
      outputs.set(op, op.input);
    }
  }
  const events: { at: number; op: Op }[] = [];
  for (const op of planned) {
    events.push({
      at: op.callUs,
      op: { process: op.process, type: "invoke", f: op.f, key: op.key, value: op.input, time: 0 },
    });
    events.push({
      at: op.returnUs + 0.5,
      op: { process: op.process, type: "ok", f: op.f, key: op.key, value: outputs.get(op), time: 0 },
    });
  }
  events.sort((a, b) => a.at - b.at);
  return events.map((e) => ({ ...e.op, time: Math.floor(e.at) }));
}

/** Shape of a generated cas-register history. */
export interface CasRegisterHistoryOptions {
  operations: number;
  processes: number;
  /** Fraction of operations whose completion is `info` (unknown outcome). Default 0.1. */
  infoFraction?: number;
  /** Values are drawn from 0..values-1 (few values: many equal states). Default 5. */
  values?: number;
  /**
   * Plant one impossible read: the first operation writes a value no other operation writes, and
   * a read in the middle of the history returns it, long after ok writes overwrote it. Default false.
   */
  impossibleRead?: boolean;
}

/** The value only the first write of an invalid history writes, and the planted read returns. */
const staleValue = 999;

/**
 * A cas-register history of concurrent clients (read, write, cas `[expected, new]`), each
 * operation taking effect at a random instant inside its interval, so the history is
 * linearizable by construction unless `impossibleRead` plants a stale read. An `info` write or
 * cas took effect or not, by a coin flip; the history cannot tell.
 */
export function generateCasRegisterHistory(rng: Rng, options: CasRegisterHistoryOptions): Op[] {
  const infoFraction = options.infoFraction ?? 0.1;
  const values = options.values ?? 5;
  type Planned = {
    process: number;
    f: string;
    input: unknown;
    callUs: number;
    effectUs: number;
    returnUs: number;
    info: boolean;
    applies: boolean;
  };
  const planned: Planned[] = [];
  const clocks = Array.from({ length: options.processes }, () => rng.int(0, 10));
  for (let i = 0; i < options.operations; i++) {
    const process = i % options.processes;
    const callUs = clocks[process] + rng.int(0, 20);
    const returnUs = callUs + rng.int(1, 100);
    clocks[process] = returnUs + 1;
    const roll = rng.next();
    const f = i === 0 && options.impossibleRead ? "write" : roll < 0.4 ? "read" : roll < 0.7 ? "write" : "cas";
    const input = i === 0 && options.impossibleRead
      ? staleValue
      : f === "read"
      ? null
      : f === "write"
      ? rng.int(0, values - 1)
      : [rng.int(0, values - 1), rng.int(0, values - 1)];
    const info = i > 0 && rng.bernoulli(infoFraction);
    const effectUs = rng.uniform(callUs, returnUs);
    planned.push({ process, f, input, callUs, effectUs, returnUs, info, applies: !info || rng.bernoulli(0.5) });
  }
  const outcomes = applyInOrder(planned);
  if (options.impossibleRead) plantStaleRead(planned, outcomes);
  const events: { at: number; op: Op }[] = [];
  for (const op of planned) {
    const outcome = outcomes.get(op)!;
    events.push({ at: op.callUs, op: { process: op.process, type: "invoke", f: op.f, value: op.input, time: 0 } });
    events.push({ at: op.returnUs + 0.5, op: { process: op.process, ...outcome, f: op.f, time: 0 } });
  }
  events.sort((a, b) => a.at - b.at);
  return events.map((e) => ({ ...e.op, time: Math.floor(e.at) }));
}

type Outcome = { type: "ok" | "fail" | "info"; value: unknown };

function applyInOrder<
  P extends { f: string; input: unknown; effectUs: number; info: boolean; applies: boolean },
>(planned: readonly P[]): Map<P, Outcome> {
  let value: unknown = null;
  const outcomes = new Map<P, Outcome>();
  for (const op of [...planned].sort((a, b) => a.effectUs - b.effectUs)) {
    let outcome: Outcome = { type: "ok", value: op.input };
    if (op.f === "read") outcome = { type: "ok", value };
    // A read that timed out may have been served or not: either way it changed nothing.
    else if (op.f === "write" && op.applies) value = op.input;
    else if (op.f === "cas" && op.applies) {
      const [expected, next] = op.input as [unknown, unknown];
      if (value === expected) value = next;
      else outcome = { type: "fail", value: op.input };
    }
    if (op.info) outcome = { type: "info", value: op.input };
    outcomes.set(op, outcome);
  }
  return outcomes;
}

/**
 * Makes the ok read nearest the middle return the value of the first write. The read comes long
 * after ok writes that overwrote that value, and nothing writes it again, so no order explains it.
 */
function plantStaleRead<P extends { f: string; callUs: number }>(planned: readonly P[], outcomes: Map<P, Outcome>) {
  const middle = planned.length >> 1;
  const read = planned.slice(middle).find((op) => op.f === "read" && outcomes.get(op)!.type === "ok");
  if (read === undefined) throw new Error("no read to plant a stale value in: generate more operations");
  outcomes.set(read, { type: "ok", value: staleValue });
}
