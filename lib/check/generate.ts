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
