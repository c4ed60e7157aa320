// Proves the replicated state's rules: put, get and cas per key, at-most-once sessions, the
// chained digest that tells histories apart, and a snapshot's byte format with its checksum.
import assert from "node:assert/strict";
import { applyEntry, decodeSnapshot, emptyReplica, encodeSnapshot, replicaOf, snapshotOf } from "./state.ts";
import type { Entry, Operation } from "./types.ts";

const entry = (seq: number, operation: Operation, client = 7): Entry => ({ seq, client, requestId: seq, operation });

Deno.test("applyEntry() puts, gets and compares-and-sets, with a missing key holding the empty string", () => {
  const replica = emptyReplica();
  assert.deepEqual(applyEntry(replica, entry(1, { f: "get", key: "k", value: null })), { type: "ok", value: "" });
  assert.deepEqual(applyEntry(replica, entry(2, { f: "put", key: "k", value: "a" })), { type: "ok" });
  assert.deepEqual(applyEntry(replica, entry(3, { f: "cas", key: "k", value: ["b", "c"] })), { type: "fail" });
  assert.deepEqual(applyEntry(replica, entry(4, { f: "cas", key: "k", value: ["a", "c"] })), { type: "ok" });
  assert.deepEqual(applyEntry(replica, entry(5, { f: "get", key: "k", value: null })), { type: "ok", value: "c" });
  assert.deepEqual(replica.sessions.get(7), { requestId: 5, result: { type: "ok", value: "c" } });
});

Deno.test("applyEntry() refuses an entry out of sequence", () => {
  assert.throws(() => applyEntry(emptyReplica(), entry(2, { f: "put", key: "k", value: "a" })), /applied after 0/);
});

Deno.test("equal histories give equal digests, and one different entry changes every later digest", () => {
  const a = emptyReplica();
  const b = emptyReplica();
  applyEntry(a, entry(1, { f: "put", key: "k", value: "x" }));
  applyEntry(b, entry(1, { f: "put", key: "k", value: "y" }));
  assert.notEqual(a.digest, b.digest);
  applyEntry(a, entry(2, { f: "get", key: "k", value: null }));
  applyEntry(b, entry(2, { f: "get", key: "k", value: null }));
  assert.notEqual(a.digest, b.digest);
});

Deno.test("a snapshot survives encoding, and a flipped byte fails its checksum", () => {
  const replica = emptyReplica();
  applyEntry(replica, entry(1, { f: "put", key: "k", value: "a" }));
  const bytes = encodeSnapshot(snapshotOf(replica));
  assert.deepEqual(replicaOf(decodeSnapshot(bytes)!), replica);
  assert.equal(decodeSnapshot(new Uint8Array(0)), undefined);
  bytes[bytes.length - 2] ^= 1;
  assert.throws(() => decodeSnapshot(bytes), /checksum/);
});
