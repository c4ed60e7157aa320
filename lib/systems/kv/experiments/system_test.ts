// Proves the store's acknowledged-copies invariant, which judges again only the writes of keys
// whose copies changed since they were judged kept, still catches a copy lost after it was judged
// kept, at the first judging after the loss, not only at the end of the run.
import assert from "node:assert/strict";
import { keyValueGenerator, runSystem } from "../../../harness/mod.ts";
import type { Sibling } from "../mod.ts";
import { kvModesParams, kvOptions, kvSystem } from "./mod.ts";

/** A quorum-mode run in which, at `lossUs`, node 0's durable versions of every key become `left`. */
function runWithLoss(lossUs: number | undefined, left: readonly Sibling[] = []) {
  const params = kvModesParams.resolve({ mode: "quorum", servers: 5, clients: 8, sloppyQuorum: false, keys: 20 });
  return runSystem({
    system: kvSystem,
    options: { ...kvOptions(params), mode: "quorum" },
    workload: {
      processes: 8,
      thinkTimeUsMean: 2_000,
      generator: keyValueGenerator({ keys: 20, readFraction: 0.5, writeF: "put" }),
      checkers: [],
    },
    schedule: { faults: [], recoveryUs: 0 },
    phases: { warmupUs: 0, durationUs: 1_500_000, recoveryBoundUs: 1_000_000, extendForLiveness: false },
    seed: 1,
    probe: (sim, cluster) => {
      if (lossUs === undefined) return;
      sim.at(lossUs, () => {
        const state = cluster.states.get(cluster.servers[0])!;
        // A store that lost its data without the kernel replacing its disk: the copies it was
        // acknowledged on are gone although nothing changed the node's incarnation.
        const durable = state.durable as Map<string, readonly Sibling[]>;
        for (const key of durable.keys()) durable.set(key, left);
      });
    },
  });
}

const invariant = (run: ReturnType<typeof runWithLoss>) => run.checks.find((c) => c.checker === "acknowledged-copies")!;

Deno.test("acknowledged-copies holds when no copy is lost", () => {
  const intact = runWithLoss(undefined);
  assert.equal(invariant(intact).valid, true, invariant(intact).message);
});

/** An old write, older than anything the clients wrote. */
const old: Sibling = { dot: { node: 0, counter: 1 }, context: {}, value: "old", timestamp: { wallUs: 1, logical: 0 } };

for (const [what, left] of [["emptied", []], ["set back to an old write", [old]]] as const) {
  Deno.test(`acknowledged-copies: copies judged kept and later ${what} in place are caught at the next judging`, () => {
    // Just after the judging at 1010 ms (checkpoints every 10 ms from 10 ms, judgings 50 ms apart).
    const lost = runWithLoss(1_010_001, left);
    assert.equal(invariant(lost).valid, false);
    assert.match(invariant(lost).message, /on node 0: its disk holds neither it nor anything newer/);
    const violation = lost.violations.find((v) => v.invariant === "acknowledged-copies")!;
    // The next judging finds it, long before the run's end, and the write it names had been judged kept.
    assert.equal(violation.timeUs, 1_060_000);
    const acknowledgedUs = Number(/acknowledged at (\d+) us/.exec(violation.message)![1]);
    assert.ok(acknowledgedUs < 1_010_000, violation.message);
  });
}
