/**
 * The session-guarantees checker for leaderless and other weakly consistent stores: read your
 * writes, monotonic reads, monotonic writes and writes follow reads (Terry, Demers, Petersen,
 * Spreitzer, Theimer and Welch, "Session Guarantees for Weakly Consistent Replicated Data",
 * PDIS 1994), each checked for every session on every key.
 *
 * ## History format
 *
 * A session is a client process. Each operation names one key in the event's `key` (omitted: the
 * history is one register).
 *
 * - `write`: the invocation's `value` is the write's version, a safe integer unique per key among
 *   writes that did not fail. The store orders a key's writes by version and a read returns the
 *   highest it has seen, as a last-writer-wins store orders writes by the timestamps its clients
 *   attach (Cassandra's client timestamps). `ok` means acknowledged; `info` (or no completion)
 *   means it may or may not have happened; `fail` means it did not.
 * - `read`: the invocation's value is ignored; the `ok` completion's value is the version read,
 *   or null when the read saw no write (the initial state, before every version). A read whose
 *   outcome is unknown is dropped.
 *
 * ## What is checked
 *
 * A write *happened* when it was acknowledged or some read returned its version. In session order
 * (a process runs one operation at a time), on one key:
 *
 * - read your writes: a read returns at least the version of every write the session had
 *   acknowledged before it. An unacknowledged write binds nothing: it may land after the read.
 * - monotonic reads: a read returns at least the version of every earlier read of the session.
 * - monotonic writes: a write that happened has a higher version than every earlier write of the
 *   session that happened (Terry's WriteOrder(W1, W2)).
 * - writes follow reads: a write that happened has a higher version than every version the
 *   session read before it, so it is ordered after the writes it read.
 *
 * Terry's monotonic writes and writes follow reads also require a server holding the later write
 * to hold the earlier one when they are on different keys; a history of single-key operations
 * does not show which server's state a read saw, so only same-key orders are checked here.
 *
 * A read returning a version no write carries (never written, or its write failed) breaks every
 * guarantee's premise: it is reported on its own and makes the check fail.
 *
 * @example
 * ```ts
 * import { checkSessionGuarantees } from "./session.ts";
 * const result = checkSessionGuarantees([
 *   { process: 0, type: "invoke", f: "write", key: "x", value: 1, time: 0 },
 *   { process: 0, type: "ok", f: "write", key: "x", value: 1, time: 1 },
 *   { process: 0, type: "invoke", f: "read", key: "x", value: null, time: 2 },
 *   { process: 0, type: "ok", f: "read", key: "x", value: null, time: 3 },
 * ]);
 * result.valid; // false: process 0 did not read its own write
 * result.details.guarantees[0].violations[0].explanation;
 * ```
 * @module
 */
import { assert, checkNumber, InputError } from "../assert.ts";
import type { Op } from "../history/mod.ts";
import { type Operation, pairOperations } from "./operations.ts";
import type { CheckResult, Validity } from "./result.ts";
import { eventWhere } from "./_events.ts";

/** The four session guarantees, in the order they are reported. */
export const sessionGuarantees = [
  "read-your-writes",
  "monotonic-reads",
  "monotonic-writes",
  "writes-follow-reads",
] as const;

/** One of the session guarantees. */
export type SessionGuarantee = typeof sessionGuarantees[number];

/** Options of a session-guarantees check. */
export interface SessionOptions {
  /** The guarantees whose violation fails the check; all four are checked and reported. Default all four. */
  guarantees?: readonly SessionGuarantee[];
  /** Violations kept per guarantee; all are counted. Default 8. */
  violationsPerGuaranteeMax?: number;
}

/** One broken guarantee: the operations that set the bound and the one that broke it. */
export interface SessionViolation {
  guarantee: SessionGuarantee;
  /** The session: the client process. */
  session: number;
  key: string | undefined;
  /**
   * The operations involved, in causal order: the earlier operation of the session and the later
   * one that broke the guarantee; for writes follow reads, first the write whose version the
   * earlier read returned, when the history has it.
   */
  operations: Operation[];
  explanation: string;
}

/** The verdict on one guarantee. */
export interface GuaranteeResult {
  guarantee: SessionGuarantee;
  valid: boolean;
  /** Whether this guarantee's violations fail the check (it is in `guarantees`). */
  required: boolean;
  /** How many violations were found (more than are kept). */
  violationCount: number;
  violations: SessionViolation[];
}

/** The details of a session-guarantees check. */
export type SessionDetails = {
  /** One result per guarantee, in the order of {@linkcode sessionGuarantees}. */
  guarantees: GuaranteeResult[];
  sessions: number;
  keys: number;
  reads: number;
  writes: { acknowledged: number; unknown: number };
  /** Reads that returned a version no write carries (the first few), and how many there were. */
  unwrittenReads: Operation[];
  unwrittenReadCount: number;
};

/** The result of a session-guarantees check. */
export interface SessionResult extends CheckResult {
  details: SessionDetails;
}

const functions = ["read", "write"];

/**
 * Checks every session of a keyed read/write history against the four session guarantees.
 *
 * @param events the history (nemesis events are skipped)
 * @param options the guarantees that must hold, how many violations to keep
 * @returns false when a required guarantee is broken or a read returned an unwritten version
 * @throws InputError naming the event when f is not read or write, a value is not a version, or
 *   two writes of a key carry one version
 */
export function checkSessionGuarantees(events: readonly Op[], options: SessionOptions = {}): SessionResult {
  const settings = checkOptions(options);
  events.forEach(checkEvent);
  const operations = pairOperations(events);
  const writes = indexWrites(operations);
  const reads = operations.filter((op) => op.f === "read");
  const observed = new Set(reads.filter((r) => r.output !== null).map((r) => versionName(r.key, r.output as number)));
  const unwritten = reads.filter((r) => r.output !== null && !writes.has(versionName(r.key, r.output as number)));
  const happened = (write: Operation) => write.known || observed.has(versionName(write.key, write.input as number));
  const log = new ViolationLog(settings.violationsPerGuaranteeMax);
  const sessions = new Map<number, Operation[]>();
  for (const op of operations) {
    let list = sessions.get(op.process);
    if (list === undefined) sessions.set(op.process, list = []);
    list.push(op);
  }
  for (const [, sessionOperations] of [...sessions].sort((a, b) => a[0] - b[0])) {
    checkSession(sessionOperations, { writes, happened, log });
  }
  const guarantees = sessionGuarantees.map((guarantee): GuaranteeResult => ({
    guarantee,
    valid: log.count(guarantee) === 0,
    required: settings.guarantees.includes(guarantee),
    violationCount: log.count(guarantee),
    violations: log.kept(guarantee),
  }));
  const details: SessionDetails = {
    guarantees,
    sessions: sessions.size,
    keys: new Set(operations.map((op) => op.key)).size,
    reads: reads.length,
    writes: {
      acknowledged: operations.filter((op) => op.f === "write" && op.known).length,
      unknown: operations.filter((op) => op.f === "write" && !op.known).length,
    },
    unwrittenReads: unwritten.slice(0, settings.violationsPerGuaranteeMax),
    unwrittenReadCount: unwritten.length,
  };
  const valid: Validity = unwritten.length === 0 && guarantees.every((g) => g.valid || !g.required);
  return { checker: "session guarantees", valid, message: summarize(valid, details), details };
}

type Settings = { guarantees: readonly SessionGuarantee[]; violationsPerGuaranteeMax: number };

function checkOptions(options: SessionOptions): Settings {
  const guarantees = options.guarantees ?? sessionGuarantees;
  if (!Array.isArray(guarantees)) {
    throw new InputError(`guarantees must be a list of: ${sessionGuarantees.join(", ")}`);
  }
  const unknown = guarantees.find((g) => !sessionGuarantees.includes(g));
  if (unknown !== undefined) {
    throw new InputError(`unknown guarantee ${JSON.stringify(unknown)}; allowed: ${sessionGuarantees.join(", ")}`);
  }
  return {
    guarantees,
    violationsPerGuaranteeMax: checkNumber("violationsPerGuaranteeMax", options.violationsPerGuaranteeMax ?? 8, {
      min: 1,
      integer: true,
    }),
  };
}

/** Rejects an event the checker cannot read, naming it (events are numbered from 1). */
function checkEvent(event: Op, index: number): void {
  const where = eventWhere(event, index, functions);
  if (where === undefined) return;
  if (event.f === "write" && event.type === "invoke" && !Number.isSafeInteger(event.value)) {
    throw new InputError(`${where}: a write's value must be its version, a safe integer, got ${show(event.value)}`);
  }
  if (event.f === "read" && event.type === "ok" && event.value !== null && !Number.isSafeInteger(event.value)) {
    throw new InputError(
      `${where}: an ok read's value must be the version read (a safe integer) or null, got ${show(event.value)}`,
    );
  }
}

function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

/** A name for (key, version), unambiguous whatever the key holds. */
function versionName(key: string | undefined, version: number): string {
  return `${version} ${JSON.stringify(key ?? null)}`;
}

/** The writes that did not fail, by (key, version); two writes of one version are bad input. */
function indexWrites(operations: readonly Operation[]): Map<string, Operation> {
  const writes = new Map<string, Operation>();
  for (const op of operations) {
    if (op.f !== "write") continue;
    const name = versionName(op.key, op.input as number);
    const earlier = writes.get(name);
    if (earlier !== undefined) {
      throw new InputError(
        `event ${op.callIndex + 1} (process ${op.process}, invoke write): version ${op.input} of key ${
          JSON.stringify(op.key ?? null)
        } was already written at event ${earlier.callIndex + 1}; versions must be unique per key`,
      );
    }
    writes.set(name, op);
  }
  return writes;
}

/** Counts violations per guarantee and keeps the first few of each. */
class ViolationLog {
  readonly #max: number;
  readonly #counts = new Map<SessionGuarantee, number>();
  readonly #kept = new Map<SessionGuarantee, SessionViolation[]>();
  constructor(max: number) {
    this.#max = max;
  }
  /** Counts a violation; builds and keeps it only while fewer than the maximum are kept. */
  add(guarantee: SessionGuarantee, build: () => SessionViolation): void {
    const count = (this.#counts.get(guarantee) ?? 0) + 1;
    this.#counts.set(guarantee, count);
    if (count > this.#max) return;
    let kept = this.#kept.get(guarantee);
    if (kept === undefined) this.#kept.set(guarantee, kept = []);
    kept.push(build());
  }
  count(guarantee: SessionGuarantee): number {
    return this.#counts.get(guarantee) ?? 0;
  }
  kept(guarantee: SessionGuarantee): SessionViolation[] {
    return this.#kept.get(guarantee) ?? [];
  }
}

/** What a session's walk needs from the whole history. */
interface Context {
  writes: ReadonlyMap<string, Operation>;
  happened: (write: Operation) => boolean;
  log: ViolationLog;
}

/** The bounds a session has set on one key so far: the operations with the highest versions. */
interface Bounds {
  /** The acknowledged write of the session with the highest version (read your writes). */
  acknowledgedWrite?: Operation;
  /** The write of the session that happened with the highest version (monotonic writes). */
  write?: Operation;
  /** The read of the session that returned the highest version (monotonic reads, writes follow reads). */
  read?: Operation;
}

/** The version of a read or write; a read of nothing is below every version. */
function version(op: Operation): number {
  const value = op.f === "write" ? op.input : op.output;
  return value === null ? -Infinity : value as number;
}

/** Walks one session's operations in order, checking each against the bounds set before it. */
function checkSession(operations: readonly Operation[], context: Context): void {
  assert(operations.every((op, i) => i === 0 || operations[i - 1].callIndex < op.callIndex), "session in order");
  const boundsByKey = new Map<string | undefined, Bounds>();
  for (const op of operations) {
    let bounds = boundsByKey.get(op.key);
    if (bounds === undefined) boundsByKey.set(op.key, bounds = {});
    if (op.f === "read") checkRead(op, bounds, context);
    else if (context.happened(op)) checkWrite(op, bounds, context);
  }
}

function checkRead(read: Operation, bounds: Bounds, { log }: Context): void {
  const v = version(read);
  const { acknowledgedWrite, read: earlier } = bounds;
  if (acknowledgedWrite !== undefined && v < version(acknowledgedWrite)) {
    log.add(
      "read-your-writes",
      () =>
        violation(
          "read-your-writes",
          [acknowledgedWrite, read],
          `wrote ${describe(acknowledgedWrite)}, then read ${describe(read)}, older than its own acknowledged write`,
        ),
    );
  }
  if (earlier !== undefined && v < version(earlier)) {
    log.add(
      "monotonic-reads",
      () =>
        violation(
          "monotonic-reads",
          [earlier, read],
          `read ${describe(earlier)}, then read ${describe(read)}, an older version`,
        ),
    );
  }
  if (earlier === undefined || v > version(earlier)) bounds.read = read;
}

function checkWrite(write: Operation, bounds: Bounds, { writes, log }: Context): void {
  const v = version(write);
  const { write: earlierWrite, read: earlierRead } = bounds;
  if (earlierWrite !== undefined && v < version(earlierWrite)) {
    log.add(
      "monotonic-writes",
      () =>
        violation(
          "monotonic-writes",
          [earlierWrite, write],
          `wrote ${describe(earlierWrite)}, then wrote ${describe(write)}, which the version order puts first`,
        ),
    );
  }
  if (earlierRead !== undefined && v < version(earlierRead)) {
    log.add("writes-follow-reads", () => {
      const source = writes.get(versionName(earlierRead.key, version(earlierRead)));
      return violation(
        "writes-follow-reads",
        source === undefined ? [earlierRead, write] : [source, earlierRead, write],
        `read ${describe(earlierRead)}, then wrote ${
          describe(write)
        }, which the version order puts before the write it read`,
      );
    });
  }
  if (earlierWrite === undefined || v > version(earlierWrite)) bounds.write = write;
  if (write.known && (bounds.acknowledgedWrite === undefined || v > version(bounds.acknowledgedWrite))) {
    bounds.acknowledgedWrite = write;
  }
}

/** A violation by the session of `operations`' last, explained as "process 2 wrote ..., then read ...". */
function violation(guarantee: SessionGuarantee, operations: Operation[], what: string): SessionViolation {
  const last = operations[operations.length - 1];
  return {
    guarantee,
    session: last.process,
    key: last.key,
    operations,
    explanation: `process ${last.process} ${what}`,
  };
}

/** "x = 5 (event 3)", or "x = nothing (event 3)" for a read of the initial state. */
function describe(op: Operation): string {
  const value = op.f === "write" ? op.input : op.output;
  const key = op.key ?? "the register";
  return `${key} = ${value === null ? "nothing" : value} (event ${op.callIndex + 1})`;
}

function summarize(valid: Validity, details: SessionDetails): string {
  const broken = details.guarantees.filter((g) => !g.valid)
    .map((g) => `${g.guarantee}: ${g.violationCount} violation(s)${g.required ? "" : " (not required)"}`);
  if (details.unwrittenReadCount > 0) broken.push(`${details.unwrittenReadCount} read(s) of unwritten versions`);
  const scope = `${details.sessions} session(s), ${details.keys} key(s), ${details.reads} read(s)`;
  if (valid === true && broken.length === 0) return `all session guarantees hold over ${scope}`;
  return `${broken.join("; ")} over ${scope}`;
}
