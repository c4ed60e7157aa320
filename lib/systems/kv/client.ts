/**
 * The store's client, partition-aware as Dynamo's can be: it knows the ring, sends each request to
 * a home replica of its key picked at random (as a load balancer would), and on a timeout or a
 * refusal tries the next home.
 *
 * Every client is a session. It remembers, per key, the causal context of what it last read or
 * wrote (sent with its next write, so the write replaces exactly what it saw) and the newest
 * timestamp it has seen (sent with every write, so its writes follow everything it has seen). In
 * `session` mode it also refuses a read older than what it has read or written of the key (read
 * your writes, monotonic reads) and asks another home replica instead.
 *
 * With `puts: "add"` the keys hold sets: a put adds its value to the elements the session last
 * read or wrote of the key (a read-modify-write, as Dynamo's shopping cart), and the history still
 * records the element alone as the put's value. Whether a concurrent add survives is then up to
 * the store's sibling policy (`siblings.ts`).
 *
 * It performs `get`, `put` and `delete`; a `cas`, or a put with a time to live, fails at once,
 * naming the modes that allow it (the CP modes, on Raft).
 *
 * Outcomes: a read that gets no answer had no effect (`fail`). A write is retried only after a
 * definite refusal (nothing was applied); after a timeout or an `unavailable` answer it may have
 * reached some replicas, and a retry would write the same value again under a later timestamp,
 * resurrecting it after writes that came between: its outcome is unknown (`info`) instead.
 *
 * @module
 */
import type { ClientContext, Outcome, Request, SystemClient } from "../../sim/mod.ts";
import { compareTimestamps, maxTimestamp, type Timestamp, timestampVersion, timestampZero } from "./hlc.ts";
import type { HashRing } from "./ring.ts";
import { elementsOf, unionOf } from "./siblings.ts";
import { elementSeparator, kvLevels, type KvMessage, type KvMode, type KvSettings, siblingSeparator } from "./types.ts";
import type { VersionVector } from "./versions.ts";

/** Options of a {@linkcode kvClient}. */
export interface KvClientOptions {
  ring: HashRing;
  settings: KvSettings;
  mode: KvMode;
  /** How long to wait for an answer before trying the next home replica. */
  timeoutUs: number;
  /** Tries of one request before its outcome is given up on. */
  attemptsMax: number;
  /** What a put does: replace the key's value (`assign`, default) or add an element to its set (`add`). */
  puts?: "assign" | "add";
}

/** Wait after a refusal before the next try. */
const retryDelayUs = 5_000;

interface Pending {
  request: Request;
  done: (outcome: Outcome) => void;
  id: number;
  attempt: number;
  timer: number;
  homes: readonly number[];
  /** The home replica tried first: a random one per request, as a load balancer would pick. */
  first: number;
}

/** A client session of the store. */
export function kvClient(context: ClientContext<KvMessage>, options: KvClientOptions): SystemClient<KvMessage> {
  const { ring, settings, mode } = options;
  const contexts = new Map<string, VersionVector>();
  /** The newest timestamp this session has read or written, per key. */
  const floors = new Map<string, Timestamp>();
  /** With `add` puts: the elements this session last read or wrote, per key. */
  const known = new Map<string, string>();
  let seen: Timestamp = timestampZero;
  let nextId = 1;
  let pending: Pending | undefined;
  const quorum = (q: number) => (mode === "quorum" ? q : 1);
  /** R or W (`q` in quorum mode) of a request: its own level's where it names one, else the mode's. */
  const replicasFor = (request: Request, q: number) =>
    request.consistency === undefined
      ? quorum(q)
      : request.consistency === "one"
      ? 1
      : request.consistency === "quorum"
      ? q
      : settings.n;

  const send = (p: Pending) => {
    const target = p.homes[(p.first + p.attempt) % p.homes.length];
    const key = p.request.key ?? "";
    if (p.request.f === "get") {
      context.send(target, { type: "get", id: p.id, key, r: replicasFor(p.request, settings.r) });
    } else {
      const element = String(p.request.value);
      const value = p.request.f === "delete"
        ? null
        : options.puts === "add"
        ? unionOf([known.get(key) ?? "", element])
        : element;
      context.send(target, {
        type: "put",
        id: p.id,
        key,
        value,
        context: contexts.get(key) ?? {},
        seen,
        w: replicasFor(p.request, settings.w),
      });
    }
    p.timer = context.setTimer(options.timeoutUs, { id: p.id, retry: false });
  };

  const giveUp = (p: Pending) => {
    context.cancelTimer(p.timer);
    pending = undefined;
    p.done(p.request.f === "get" ? { type: "fail", value: "unavailable" } : { type: "info" });
  };

  const giveUpOrRetry = (p: Pending, delayUs: number) => {
    context.cancelTimer(p.timer);
    p.attempt++;
    if (p.attempt >= options.attemptsMax) return giveUp(p);
    p.id = nextId++;
    if (delayUs === 0) send(p);
    else p.timer = context.setTimer(delayUs, { id: p.id, retry: true });
  };

  return {
    perform(request, done) {
      if (request.f === "cas") {
        // A leaderless replica cannot compare and set atomically: two replicas would each accept
        // a cas on the same value. A definite refusal, nothing was sent.
        return done({
          type: "fail",
          value: `cas is not supported in mode ${mode}; modes that allow it: linearizable, lease`,
        });
      }
      if (request.consistency !== undefined && !(kvLevels as readonly string[]).includes(request.consistency)) {
        return done({
          type: "fail",
          value: `no consistency level ${request.consistency}; levels: ${kvLevels.join(", ")}`,
        });
      }
      if (request.ttlUs !== undefined) {
        // Expiring a key needs one clock to decide when, and a leaderless store has none to trust.
        return done({
          type: "fail",
          value: `a time to live is not supported in mode ${mode}; modes that allow it: linearizable, lease`,
        });
      }
      const key = request.key ?? "";
      const homes = ring.preferenceList(key, settings.n);
      const first = Math.floor(context.rng.next() * homes.length);
      const p: Pending = { request, done, id: nextId++, attempt: 0, timer: -1, homes, first };
      pending = p;
      send(p);
    },
    onMessage(_from, message) {
      const p = pending;
      if (message.type !== "reply" || p === undefined || message.id !== p.id) return;
      if (!message.ok) {
        if (p.request.f !== "get" && message.error === "unavailable") return giveUp(p);
        return giveUpOrRetry(p, retryDelayUs);
      }
      const key = p.request.key ?? "";
      const floor = floors.get(key) ?? timestampZero;
      if (p.request.f === "get" && mode === "session" && compareTimestamps(message.timestamp, floor) < 0) {
        // Older than what this session read or wrote: another home replica may be newer.
        context.record("kv_session_retries", 1);
        return giveUpOrRetry(p, 0);
      }
      context.cancelTimer(p.timer);
      pending = undefined;
      contexts.set(key, message.context);
      floors.set(key, maxTimestamp(floor, message.timestamp));
      seen = maxTimestamp(seen, message.timestamp);
      // Siblings a `keep` read returned are merged here: the client reconciles what the store kept.
      if (options.puts === "add") {
        known.set(
          key,
          elementsOf((message.value ?? "").split(siblingSeparator).join(elementSeparator)).join(elementSeparator),
        );
      }
      // A key never written (or deleted) reads as the empty string, the models' initial value.
      // The timestamp goes into the history too: session checks order what a session read and
      // wrote by it, from the record alone (lib/check/session.ts).
      const version = timestampVersion(message.timestamp);
      p.done({ type: "ok", value: p.request.f === "get" ? message.value ?? "" : p.request.value, version });
    },
    onTimer(tag) {
      const p = pending;
      const t = tag as { id: number; retry: boolean };
      if (p === undefined || t.id !== p.id) return;
      if (t.retry) send(p);
      else if (p.request.f !== "get") giveUp(p);
      else giveUpOrRetry(p, 0);
    },
  };
}
