// log-recovery's figures move the way the design says, not to exact values: a bigger segment, lost
// indexes or no recovery-point checkpoint make a restarted broker's recovery longer; flushing every
// append costs produce latency and loses nothing acknowledged when every broker loses power, where
// flushing never loses what the page cache held.
import assert from "node:assert/strict";
import { resolveParams } from "../../../params.ts";
import { logRecoveryExperiment, logRecoveryParams } from "./mod.ts";

function figures(params: Record<string, unknown>) {
  const short = { durationUs: 1_000_000, crashAtUs: 900_000, segmentBytes: 4_096, ...params };
  return logRecoveryExperiment.run(resolveParams(logRecoveryExperiment.params, short), 1).figures as Record<
    string,
    number
  >;
}

Deno.test("log-recovery: a bigger segment means a longer recovery, since the active segment is always read", () => {
  const small = figures({}), big = figures({ segmentBytes: 262_144 });
  assert.ok(small.recoveryUsMax > 0);
  assert.ok(big.recoveryUsMax > small.recoveryUsMax, `${big.recoveryUsMax} vs ${small.recoveryUsMax}`);
  assert.ok(big.recoveryBytesScanned > small.recoveryBytesScanned);
});

Deno.test("log-recovery: lost indexes and a missing recovery point each make recovery read every segment", () => {
  const base = figures({});
  const lost = figures({ indexes: "lost" });
  const noCheckpoint = figures({ recoveryPoint: false });
  assert.ok(lost.indexesRebuilt > base.indexesRebuilt, `${lost.indexesRebuilt} vs ${base.indexesRebuilt}`);
  assert.ok(lost.recoveryUsMax > 2 * base.recoveryUsMax, `${lost.recoveryUsMax} vs ${base.recoveryUsMax}`);
  assert.ok(noCheckpoint.recoverySegmentsScanned > base.recoverySegmentsScanned);
  assert.ok(noCheckpoint.recoveryUsMax > 2 * base.recoveryUsMax, `${noCheckpoint.recoveryUsMax}`);
});

Deno.test("log-recovery: fsync always is slower to acknowledge and loses nothing acknowledged when every broker loses power; never loses the page cache", () => {
  const always = figures({ fsync: "always", crash: "all" });
  const never = figures({ fsync: "never", crash: "all" });
  assert.equal(always.acknowledgedLost, 0);
  assert.ok(never.acknowledgedLost > 0);
  assert.ok(never.recordsLostUnflushed > always.recordsLostUnflushed);
  assert.ok(
    always.sendLatencyUsP50 > never.sendLatencyUsP50,
    `${always.sendLatencyUsP50} vs ${never.sendLatencyUsP50}`,
  );
});

Deno.test("log-recovery refuses a power loss after the run has ended", () => {
  assert.throws(() => logRecoveryParams.resolve({ durationUs: 1_000_000, crashAtUs: 2_000_000 }), /crashAtUs 2000000/);
});
