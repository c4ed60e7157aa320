// Proves the applied-entries ledger remembers the first entry at every index, far past its initial
// size, and tells a different entry (another term, or another command in the same term) from a
// second application of the same one.
import assert from "node:assert/strict";
import { AppliedLedger } from "./applied_ledger.ts";
import type { Entry } from "./types.ts";

const put = (term: number, index: number, clientId: number, seq: number): Entry => ({
  term,
  index,
  command: { kind: "op", clientId, seq, f: "put", key: "k", value: "v" },
});

Deno.test("applied ledger: the same entry applied by every server is no conflict, at any index", () => {
  const ledger = new AppliedLedger();
  for (const index of [1, 2, 1023, 1024, 5000, 70_000]) {
    for (const server of [0, 1, 2]) assert.equal(ledger.apply(server, put(3, index, 7, index)), undefined);
  }
});

Deno.test("applied ledger: another term or another command at an index names both servers", () => {
  const ledger = new AppliedLedger();
  ledger.apply(0, put(0, 5000, 1, 1));
  assert.deepEqual(ledger.apply(2, put(1, 5000, 1, 1)), {
    index: 5000,
    first: { term: 0, server: 0 },
    later: { term: 1, server: 2 },
  });
  ledger.apply(1, put(2, 9, 1, 1));
  assert.equal(ledger.apply(0, put(2, 9, 1, 2))?.index, 9, "same term, another client sequence");
  assert.equal(ledger.apply(0, { term: 2, index: 9, command: { kind: "noop" } })?.index, 9, "a no-op is not the put");
});
