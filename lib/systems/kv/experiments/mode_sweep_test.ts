// Proves the mode × replication-factor sweep returns one tidy row per cell with sane figures, and
// that R = W = 1 under partitions reads stale far more often with three copies than with one.
import assert from "node:assert/strict";
import { modeReplicationSweep } from "./mode_sweep.ts";

Deno.test("kv: the mode × N sweep gives one row per cell; three copies with R = W = 1 are staler than one", () => {
  const rows = modeReplicationSweep({ modes: ["quorum", "one"], ns: [1, 3], durationUs: 2_000_000 });
  assert.deepEqual(rows.map((r) => `${r.mode} ${r.n}`), ["quorum 1", "quorum 3", "one 1", "one 3"]);
  for (const row of rows) {
    assert.ok(Number(row.availability) > 0 && Number(row.availability) <= 1, JSON.stringify(row));
    assert.ok(Number(row.getLatencyUsP50) <= Number(row.getLatencyUsP99), JSON.stringify(row));
  }
  const at = (mode: string, n: number) => rows.find((r) => r.mode === mode && r.n === n)!;
  assert.ok(Number(at("one", 3).staleReadFraction) > Number(at("one", 1).staleReadFraction), JSON.stringify(rows));
});
