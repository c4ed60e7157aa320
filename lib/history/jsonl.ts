/**
 * The history interchange format: JSON Lines, one event per line, in real-time order.
 *
 * `{"process": 3, "type": "invoke", "f": "cas", "key": "x", "value": [1, 2], "time": 1200}`
 *
 * `process` is a client number or `"nemesis"`; `type` is invoke, ok, fail or info; `key` is
 * omitted for a single register; `time` (microseconds) is optional in imported files, where line
 * order then gives real-time order. A completion may carry the `version` the store gave what was
 * read or written (a safe integer), for the session-guarantees checks. A malformed line is reported with its number and the problem.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import type { Op, OpType } from "./history.ts";

const types: OpType[] = ["invoke", "ok", "fail", "info"];
const fields = ["process", "type", "f", "key", "value", "time", "version"];

/** One event as one line of JSON (fields in the documented order). */
export function formatOp(op: Op): string {
  const ordered: Record<string, unknown> = { process: op.process, type: op.type, f: op.f };
  if (op.key !== undefined) ordered.key = op.key;
  ordered.value = op.value === undefined ? null : op.value;
  ordered.time = op.time;
  if (op.version !== undefined) ordered.version = op.version;
  return JSON.stringify(ordered);
}

/** A whole history as JSON Lines text. */
export function formatHistory(ops: Iterable<Op>): string {
  let text = "";
  for (const op of ops) text += formatOp(op) + "\n";
  return text;
}

/**
 * Parses one line; `lineNumber` (from 1) and `source` name it in errors. Without a `time`, the
 * line's index stands in, so line order is real-time order.
 */
export function parseOp(line: string, lineNumber: number, source: string): Op {
  const where = `${source}:${lineNumber}`;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    throw new InputError(`${where}: not valid JSON (${(error as Error).message})`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new InputError(`${where}: an event must be a JSON object with process, type, f and value`);
  }
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !fields.includes(k));
  if (unknown !== undefined) {
    throw new InputError(`${where}: unknown field "${unknown}"; allowed: ${fields.join(", ")}`);
  }
  if (!(typeof o.process === "number" && Number.isInteger(o.process)) && o.process !== "nemesis") {
    throw new InputError(`${where}: process must be an integer or "nemesis", got ${JSON.stringify(o.process)}`);
  }
  if (!types.includes(o.type as OpType)) {
    throw new InputError(`${where}: type must be one of ${types.join(", ")}, got ${JSON.stringify(o.type)}`);
  }
  if (typeof o.f !== "string" || o.f === "") throw new InputError(`${where}: f must be a non-empty string`);
  if (o.key !== undefined && typeof o.key !== "string") throw new InputError(`${where}: key must be a string`);
  if (o.time !== undefined && !(typeof o.time === "number" && Number.isFinite(o.time) && o.time >= 0)) {
    throw new InputError(`${where}: time must be a non-negative number of microseconds`);
  }
  const op: Op = {
    process: o.process as number | "nemesis",
    type: o.type as OpType,
    f: o.f,
    value: o.value === undefined ? null : o.value,
    time: (o.time as number | undefined) ?? lineNumber - 1,
  };
  if (o.key !== undefined) op.key = o.key as string;
  if (o.version !== undefined) {
    if (!Number.isSafeInteger(o.version)) throw new InputError(`${where}: version must be a safe integer`);
    op.version = o.version as number;
  }
  return op;
}

/** Parses JSON Lines text into events; blank lines are skipped. */
export function parseHistory(text: string, source = "history"): Op[] {
  const ops: Op[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() !== "") ops.push(parseOp(line, i + 1, source));
  });
  return ops;
}
