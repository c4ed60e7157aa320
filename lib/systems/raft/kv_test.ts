// Proves the replicated key-value state machine's delete and compare-and-set: a cas writes only
// over the value it expects and otherwise answers what it found, a retried command gets its first
// answer again (exactly once, §6.3 of Ongaro's thesis), and a snapshot carries deletes across.
import assert from "node:assert/strict";
import { KvStateMachine } from "./kv.ts";
import type { Command } from "./types.ts";

let seq = 0;
const op = (f: "put" | "get" | "delete" | "cas", key: string, value: string | null, expected?: string): Command => ({
  kind: "op",
  clientId: 1,
  seq: ++seq,
  f,
  key,
  value,
  ...(expected === undefined ? {} : { expected }),
});

Deno.test("raft kv: a cas writes only when the key holds the expected value, else answers casMismatch with what it found", () => {
  const kv = new KvStateMachine();
  kv.apply(op("put", "k", "a"));
  assert.deepEqual(kv.apply(op("cas", "k", "b", "a")), { ok: true, value: "b" });
  assert.equal(kv.read("k"), "b");
  assert.deepEqual(kv.apply(op("cas", "k", "c", "a")), { ok: false, value: "b", error: "casMismatch" });
  assert.equal(kv.read("k"), "b", "a cas that found another value has no effect");
  assert.deepEqual(kv.apply(op("cas", "absent", "x", "")), { ok: true, value: "x" }, 'an absent key holds ""');
});

Deno.test('raft kv: a delete makes the key read as never written, and a cas expecting "" then succeeds', () => {
  const kv = new KvStateMachine();
  kv.apply(op("put", "k", "a"));
  assert.deepEqual(kv.apply(op("delete", "k", null)), { ok: true, value: null });
  assert.equal(kv.read("k"), "");
  assert.equal(kv.data.has("k"), false, "a delete keeps nothing of the key");
  assert.deepEqual(kv.apply(op("cas", "k", "b", "")), { ok: true, value: "b" });
});

Deno.test("raft kv: a retried cas gets its first answer and applies once, even after the value changed back", () => {
  const kv = new KvStateMachine();
  kv.apply(op("put", "k", "a"));
  const cas = op("cas", "k", "b", "a");
  assert.equal(kv.apply(cas).ok, true);
  const mismatch = op("cas", "k", "c", "a");
  const first = kv.apply(mismatch);
  assert.equal(first.error, "casMismatch");
  // The same command again (the client's retry): its first answer, no second effect.
  assert.deepEqual(kv.apply(mismatch), first);
  assert.equal(kv.read("k"), "b");
});

Deno.test("raft kv: a snapshot restores the data as deletes and cas left it", () => {
  const kv = new KvStateMachine();
  kv.apply(op("put", "gone", "a"));
  kv.apply(op("put", "k", "a"));
  kv.apply(op("delete", "gone", null));
  kv.apply(op("cas", "k", "b", "a"));
  const copy = new KvStateMachine();
  copy.restore(kv.snapshot());
  assert.deepEqual([...copy.data], [["k", "b"]]);
});
