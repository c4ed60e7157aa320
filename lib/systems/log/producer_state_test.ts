// The idempotent producer's sequence rules (KIP-98): the next sequence is appended, a repeat is
// a duplicate answered with its first offset, and a jump is a gap the producer must hear of.
import assert from "node:assert/strict";
import { ProducerState } from "./producer_state.ts";

function stateAfter(...sequences: number[]): ProducerState {
  const state = new ProducerState();
  sequences.forEach((sequence, offset) => state.update({ producerId: 1, producerEpoch: 0, sequence, offset }));
  return state;
}

Deno.test("a producer's first record must carry sequence 0; a later one from an unknown producer is a gap", () => {
  assert.deepEqual(new ProducerState().check(1, 0, 0), { kind: "append" });
  assert.deepEqual(new ProducerState().check(1, 0, 3), { kind: "unknownProducer" });
});

Deno.test("a retry of the last record is a duplicate answered with the offset it was written at", () => {
  assert.deepEqual(stateAfter(0, 1, 2).check(1, 0, 2), { kind: "duplicate", offset: 2 });
});

Deno.test("the next sequence is appended; one past it is an out-of-order sequence, not appended", () => {
  const state = stateAfter(0, 1);
  assert.deepEqual(state.check(1, 0, 2), { kind: "append" });
  assert.deepEqual(state.check(1, 0, 3), { kind: "outOfOrderSequence" });
});

Deno.test("an older producer epoch is stale; a newer one starts again at sequence 0", () => {
  const state = new ProducerState();
  state.update({ producerId: 1, producerEpoch: 2, sequence: 5, offset: 0 });
  assert.deepEqual(state.check(1, 1, 6), { kind: "staleEpoch" });
  assert.deepEqual(state.check(1, 3, 0), { kind: "append" });
});

Deno.test("a transaction marker of a newer epoch fences the old epoch and restarts sequences at 0", () => {
  const state = stateAfter(0, 1);
  state.update({ producerId: 1, producerEpoch: 2, sequence: -1, offset: 2, control: "abort" });
  assert.deepEqual(state.check(1, 0, 2), { kind: "staleEpoch" });
  assert.deepEqual(state.check(1, 2, 0), { kind: "append" });
  assert.equal(state.epochOf(1), 2);
});
