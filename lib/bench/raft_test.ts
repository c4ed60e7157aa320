// Proves the Raft benchmark runs a real cluster and reports its load and throughput. It asserts
// nothing about speed.
import assert from "node:assert/strict";
import { benchRaft } from "./raft.ts";

Deno.test("benchRaft reports committed operations per wall second for its stated load", () => {
  const figures = benchRaft({ runs: 1, clients: 3, durationUs: 300_000 });
  const throughput = figures.find((f) => f.name.startsWith("committed client operations per wall second"))!;
  assert.match(throughput.name, /5 servers, 3 closed-loop clients/);
  assert.ok(throughput.value > 0);
  assert.ok(figures.find((f) => f.name === "committed operations per virtual second")!.value > 100);
});
