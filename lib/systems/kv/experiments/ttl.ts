/**
 * Keys with a time to live in the store's workloads, and how their expiry is judged.
 *
 * Only the CP modes take a TTL: Raft's key-value machine expires a key by an `expire` entry its
 * leader proposes once the deadline passes on its clock (`lib/systems/raft/core/expiry.ts`), so
 * every replica drops the key at one point of the log. The leaderless client refuses a TTL (no
 * clock of the ring's to trust), so a `ttlFraction` above 0 there is refused up front, as a cas is.
 *
 * The history records no TTL, and the expiry is a write no client made. So a put with a TTL writes
 * a value that names it (`<process>:<sequence>/ttl<µs>`), and the checkers read it from there:
 *
 * - **Linearizability** runs on {@linkcode kvCasTtl}, the `kv-cas` model in which a key holding a
 *   value with a TTL may turn to "" (absent) at any moment: a get of "" then moves the key to ""
 *   for good (until the next write), and a cas expecting "" may find it expired. The model has no
 *   clock, so the timing is judged apart:
 * - **`ttl-expiry`** ({@linkcode ttlExpiry}): a get that finds no value (""), invoked after a put
 *   with a TTL was acknowledged and completed before the TTL could have run out on any clock
 *   (`ttlUs / (1 + drift)` after the put's invocation), with no other write of the key that could
 *   come between, is an early expiry: a violation. A get that returns the value later than
 *   `ttlUs · (1 + drift) + slackUs` after the put's acknowledgement is a late one: a violation
 *   without faults, a count with them (a new leader starts every TTL again, by design: a key
 *   lives at most about its TTL more per change of leader).
 *
 * @example
 * ```ts
 * import { kvCasTtl } from "./ttl.ts";
 * kvCasTtl.step("1:4/ttl1000", "get", null, ""); // "": the key expired
 * kvCasTtl.step("1:4", "get", null, ""); // undefined: a value without a TTL cannot vanish
 * ```
 * @module
 */
import { InputError } from "../../../assert.ts";
import { kvCas, type Model } from "../../../check/mod.ts";
import type { Checker, Generator } from "../../../harness/mod.ts";
import type { Op } from "../../../history/mod.ts";
import { isRaftMode, type KvStoreMode, kvStoreModes } from "./store.ts";

/** What a value written with a TTL ends with, before the TTL in µs. */
export const ttlMarker = "/ttl";

/** The modes whose client takes a TTL. */
export const ttlModes: readonly KvStoreMode[] = kvStoreModes.filter((mode) => isRaftMode(mode));

/** Refuses a TTL fraction above 0 in a mode whose client refuses a TTL, naming the modes that take one. */
export function requireTtlMode(mode: KvStoreMode, ttlFraction: number): void {
  if (ttlFraction > 0 && !ttlModes.includes(mode)) {
    throw new InputError(
      `ttlFraction ${ttlFraction} needs a mode that expires keys (${ttlModes.join(" or ")}); mode ${mode} is ` +
        "leaderless and refuses a time to live (set ttlFraction 0)",
    );
  }
}

/** The TTL a value names (`.../ttl<µs>`), or undefined for a value written without one. */
export function ttlOfValue(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const at = value.lastIndexOf(ttlMarker);
  if (at < 0) return undefined;
  const ttlUs = Number(value.slice(at + ttlMarker.length));
  return Number.isSafeInteger(ttlUs) && ttlUs > 0 ? ttlUs : undefined;
}

/**
 * Gives a `ttlFraction` of `base`'s puts a time to live of `ttlUs`, the value naming it. A cas
 * expecting the value a put with a TTL wrote (`casGenerator` inside this one remembers the value
 * without the mark) expects the marked value. At fraction 0 it draws nothing and `base` runs as
 * it would alone.
 */
export function ttlGenerator(base: Generator, ttlFraction: number, ttlUs: number): Generator {
  if (!(ttlFraction >= 0 && ttlFraction <= 1)) {
    throw new InputError(`ttlFraction must be in [0, 1], got ${ttlFraction}`);
  }
  if (!(Number.isSafeInteger(ttlUs) && ttlUs > 0)) {
    throw new InputError(`ttlUs must be a whole number of µs above 0, got ${ttlUs}`);
  }
  if (ttlFraction === 0) return base;
  /** Per key, the last value given a TTL: as written by `base`, and as marked. */
  const marked = new Map<string, { plain: string; marked: string }>();
  return {
    next(rng, context) {
      const request = base.next(rng, context);
      const key = request.key;
      if (key === undefined) return request;
      if (request.f === "cas") {
        const [expected, next] = request.value as [string, string];
        const last = marked.get(key);
        return last !== undefined && last.plain === expected ? { ...request, value: [last.marked, next] } : request;
      }
      if (request.f !== "put" || rng.next() >= ttlFraction) return request;
      const plain = String(request.value);
      const value = `${plain}${ttlMarker}${ttlUs}`;
      marked.set(key, { plain, marked: value });
      return { ...request, value, ttlUs };
    },
  };
}

/** Whether a key holding `state` may have expired: its value was written with a TTL. */
const mayExpire = (state: string) => ttlOfValue(state) !== undefined;

/**
 * `kv-cas` where a value written with a TTL may expire (turn to "") at any moment: the search
 * decides when from what the reads saw. A get of "" on such a value is its expiry; a cas
 * expecting "" may come after it. Without TTL values it is `kv-cas`.
 */
export const kvCasTtl: Model<unknown> = {
  ...kvCas,
  name: "kv-cas-ttl",
  describe: 'kv-cas, where a value written with a TTL ("…/ttl<µs>") may expire to "" at any moment',
  step(state, f, input, output) {
    if (typeof state !== "string") return undefined;
    if (f === "get" && output === "" && state !== "" && mayExpire(state)) return "";
    if (f === "cas" && mayExpire(state)) {
      const [expected, next] = input as [string, string];
      if (expected === "" && state !== "") return next; // the key expired, then the cas found it absent
    }
    return kvCas.step(state, f, input, output);
  },
};

/** One client operation of a history with its times. */
interface Timed {
  f: string;
  key: string;
  input: unknown;
  /** The completion's value; undefined when the outcome is unknown. */
  output: unknown;
  ok: boolean;
  invokeUs: number;
  /** Infinity when the outcome is unknown. */
  completeUs: number;
}

/** The client operations of `events` on keys, by key, failed ones left out (they had no effect). */
function timedByKey(events: readonly Op[]): Map<string, Timed[]> {
  const open = new Map<number, Op>();
  const byKey = new Map<string, Timed[]>();
  const add = (invoke: Op, completion: Op | undefined) => {
    if (invoke.key === undefined || completion?.type === "fail") return;
    const ok = completion?.type === "ok";
    const list = byKey.get(invoke.key) ?? [];
    byKey.set(invoke.key, list);
    list.push({
      f: invoke.f,
      key: invoke.key,
      input: invoke.value,
      output: ok ? completion!.value : undefined,
      ok,
      invokeUs: invoke.time,
      completeUs: ok ? completion!.time : Infinity,
    });
  };
  for (const op of events) {
    if (op.process === "nemesis") continue;
    if (op.type === "invoke") {
      open.set(op.process, op);
      continue;
    }
    const invoke = open.get(op.process);
    open.delete(op.process);
    if (invoke !== undefined) add(invoke, op);
  }
  for (const invoke of open.values()) add(invoke, undefined);
  return byKey;
}

/** What a put with a TTL wrote: the value, if the operation wrote one with a TTL. */
function ttlWritten(op: Timed): { value: string; ttlUs: number } | undefined {
  const value = op.f === "put" ? op.input : op.f === "cas" ? (op.input as [string, string])[1] : undefined;
  const ttlUs = ttlOfValue(value);
  return ttlUs === undefined ? undefined : { value: value as string, ttlUs };
}

/** Counts `ttlExpiry` found, for figures. */
export interface TtlCounts {
  /** Acknowledged puts with a TTL. */
  ttlPuts: number;
  /** Gets that found a key absent whose last acknowledged write before them had a TTL. */
  expiredReads: number;
  /** Gets that found the key absent before its TTL could have run out. */
  earlyExpiries: number;
  /** Gets that returned a value with a TTL past its expiry bound. */
  lateReads: number;
  /** The first early expiry or late read, described. */
  first?: string;
}

/** Judges the expiry of values written with a TTL against the clock (see the module's notes). */
export function ttlCounts(events: readonly Op[], bounds: { driftPpm: number; slackUs: number }): TtlCounts {
  const drift = bounds.driftPpm / 1e6;
  const counts: TtlCounts = { ttlPuts: 0, expiredReads: 0, earlyExpiries: 0, lateReads: 0 };
  for (const ops of timedByKey(events).values()) {
    const writes = ops.filter((op) => op.f !== "get");
    for (const put of writes) {
      const written = ttlWritten(put);
      if (written === undefined || !put.ok || put.f !== "put") continue;
      counts.ttlPuts++;
      const livesUntilUs = put.invokeUs + written.ttlUs / (1 + drift);
      const goneByUs = put.completeUs + written.ttlUs * (1 + drift) + bounds.slackUs;
      for (const get of ops) {
        if (get.f !== "get" || !get.ok) continue;
        if (get.output === written.value && get.invokeUs > goneByUs) {
          counts.lateReads++;
          counts.first ??=
            `get of ${get.key} invoked at ${get.invokeUs} us returned ${written.value}, acknowledged at ` +
            `${put.completeUs} us with a TTL of ${written.ttlUs} us: past its expiry bound (${
              Math.round(goneByUs)
            } us)`;
        }
        if (get.output !== "" || get.invokeUs < put.completeUs) continue;
        // Another write of the key that may come between the put and the get explains the absence.
        const between = writes.some((w) => w !== put && w.invokeUs < get.completeUs && w.completeUs > put.invokeUs);
        if (between) continue;
        counts.expiredReads++;
        if (get.completeUs < livesUntilUs) {
          counts.earlyExpiries++;
          counts.first ??= `get of ${get.key} at ${get.invokeUs}-${get.completeUs} us found it absent, written ` +
            `${written.value} at ${put.invokeUs}-${put.completeUs} us with a TTL of ${written.ttlUs} us: expired ` +
            `before ${Math.round(livesUntilUs)} us`;
        }
      }
    }
  }
  return counts;
}

/**
 * The checker `ttl-expiry`: no key expires before its TTL ran out (allowing `driftPpm` of clock
 * rate error), and, when `late` is "check", none is read after `ttlUs · (1 + drift) + slackUs`.
 */
export function ttlExpiry(options: { driftPpm: number; slackUs: number; late: "check" | "count" }): Checker {
  return {
    name: "ttl-expiry",
    check({ events }) {
      const counts = ttlCounts(events, options);
      const broken = counts.earlyExpiries + (options.late === "check" ? counts.lateReads : 0);
      const summary = `${counts.ttlPuts} puts with a TTL, ${counts.expiredReads} reads found their key expired, ` +
        `${counts.earlyExpiries} early, ${counts.lateReads} read past the expiry bound` +
        (options.late === "count" ? " (counted, not judged: faults may restart TTLs)" : "");
      return {
        checker: "ttl-expiry",
        valid: broken === 0,
        message: broken === 0 ? summary : `${counts.first}; ${summary}`,
      };
    },
  };
}
