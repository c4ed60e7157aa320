// The controller's election policy: a clean election picks a live in-sync replica, an unclean one
// any live replica (and says so by shrinking the ISR to it), and no one leads when neither may.
import assert from "node:assert/strict";
import { electLeader } from "./controller.ts";
import { noLeader, type PartitionState } from "./types.ts";

const state: PartitionState = {
  partition: 0,
  replicas: [0, 1, 2],
  leader: 0,
  leaderEpoch: 3,
  isr: [0, 1],
  partitionEpoch: 7,
};

Deno.test("a failed leader is replaced by the first live in-sync replica, in a new epoch, and leaves the ISR", () => {
  const next = electLeader(state, { live: (b) => b !== 0, unclean: false, exclude: 0 });
  assert.deepEqual([next.leader, next.leaderEpoch, next.isr, next.partitionEpoch], [1, 4, [1], 8]);
});

Deno.test("with no live in-sync replica and unclean election off, the partition goes offline and keeps its ISR", () => {
  const next = electLeader({ ...state, isr: [0] }, { live: (b) => b === 2, unclean: false, exclude: 0 });
  assert.deepEqual([next.leader, next.isr], [noLeader, [0]]);
});

Deno.test("unclean election makes an out-of-sync replica leader, alone in its ISR", () => {
  const next = electLeader({ ...state, isr: [0] }, { live: (b) => b === 2, unclean: true, exclude: 0 });
  assert.deepEqual([next.leader, next.isr], [2, [2]]);
});

Deno.test("a restarted leader with a clean log may lead again when it is the only live in-sync replica", () => {
  const next = electLeader(state, { live: (b) => b === 0, unclean: false, exclude: 0, dropExcluded: false });
  assert.deepEqual([next.leader, next.leaderEpoch, next.isr], [0, 4, [0, 1]]);
});
