/**
 * The replicated state and its pure rules: applying an entry (get, put, cas, with at-most-once
 * sessions), the chained digest that makes "same history" one comparison, and the byte format of
 * a snapshot with its checksum. Nothing here touches the node API.
 *
 * @example
 * ```ts
 * import { applyEntry, emptyReplica } from "./state.ts";
 * const replica = emptyReplica();
 * applyEntry(replica, { seq: 1, client: 7, requestId: 1, operation: { f: "put", key: "k0", value: "a" } });
 * replica.store.get("k0"); // "a"
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import { type Entry, keysMax, type Result, type Session, sessionsMax, type Snapshot } from "./types.ts";

/** A server's replicated state in memory. */
export interface Replica {
  viewNumber: number;
  seq: number;
  digest: number;
  store: Map<string, string>;
  sessions: Map<number, Session>;
}

/** The state of a server that has never applied anything. */
export function emptyReplica(): Replica {
  return { viewNumber: 0, seq: 0, digest: 0, store: new Map(), sessions: new Map() };
}

/**
 * Applies `entry`, the next in sequence, and returns its result. A put always succeeds; a cas
 * succeeds when the key holds `expected` (a missing key holds ""); a get reads.
 */
export function applyEntry(replica: Replica, entry: Entry): Result {
  assert(entry.seq === replica.seq + 1, `entry ${entry.seq} applied after ${replica.seq}: entries apply in order`);
  const { f, key, value } = entry.operation;
  const current = replica.store.get(key) ?? "";
  let result: Result = { type: "ok", value: current };
  if (f === "put") {
    replica.store.set(key, String(value));
    result = { type: "ok" };
  } else if (f === "cas") {
    const [expected, next] = value as [string, string];
    if (current === expected) replica.store.set(key, String(next));
    result = current === expected ? { type: "ok" } : { type: "fail" };
  }
  assert(replica.store.size <= keysMax, `store holds ${replica.store.size} keys, above keysMax ${keysMax}`);
  replica.sessions.set(entry.client, { requestId: entry.requestId, result });
  assert(replica.sessions.size <= sessionsMax, `${replica.sessions.size} sessions, above sessionsMax ${sessionsMax}`);
  replica.seq = entry.seq;
  replica.digest = chainDigest(replica.digest, entry);
  return result;
}

/** The digest after `entry`: FNV-1a over the previous digest and the entry. */
export function chainDigest(previous: number, entry: Entry): number {
  const text = `${previous}|${entry.seq}|${entry.client}|${entry.requestId}|${entry.operation.f}|` +
    `${entry.operation.key}|${JSON.stringify(entry.operation.value)}`;
  return fnv1a(text);
}

/** A copy of `replica` as a snapshot (for the disk and the state transfer). */
export function snapshotOf(replica: Replica): Snapshot {
  return {
    viewNumber: replica.viewNumber,
    seq: replica.seq,
    digest: replica.digest,
    store: [...replica.store],
    sessions: [...replica.sessions],
  };
}

/** The replica a snapshot describes (a fresh copy; the snapshot is not shared). */
export function replicaOf(snapshot: Snapshot): Replica {
  return {
    viewNumber: snapshot.viewNumber,
    seq: snapshot.seq,
    digest: snapshot.digest,
    store: new Map(snapshot.store),
    sessions: new Map(snapshot.sessions.map(([client, session]) => [client, { ...session }])),
  };
}

/** Header: 4 bytes of body length, 4 bytes of FNV-1a checksum of the body. */
const headerBytes = 8;

/** A snapshot's bytes on disk: header, then the JSON body. */
export function encodeSnapshot<T>(value: T): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(value));
  const bytes = new Uint8Array(headerBytes + body.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, body.length);
  view.setUint32(4, fnv1aBytes(body));
  bytes.set(body, headerBytes);
  return bytes;
}

/** The value `encodeSnapshot` wrote; undefined for an empty file. A bad checksum fails loudly. */
export function decodeSnapshot<T>(bytes: Uint8Array): T | undefined {
  if (bytes.length === 0) return undefined;
  assert(bytes.length >= headerBytes, `state file of ${bytes.length} bytes is shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const length = view.getUint32(0);
  assert(bytes.length === headerBytes + length, `state file holds ${bytes.length - headerBytes} of ${length} bytes`);
  const body = bytes.subarray(headerBytes);
  assert(fnv1aBytes(body) === view.getUint32(4), "state file checksum does not match its contents");
  return JSON.parse(new TextDecoder().decode(body)) as T;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function fnv1aBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const byte of bytes) h = Math.imul(h ^ byte, 0x01000193);
  return h >>> 0;
}
