// Proves the fault vocabulary in docs/faults.md stays complete: every kind is listed in a table row
// with its example, and every example is a valid fault on a six-node cluster. The page is the
// reference users copy schedules from, so a kind added to the code without a documented example
// fails here rather than going unnoticed.
import assert from "node:assert/strict";
import { probeCluster } from "./_probe_cluster.ts";
import { faultKinds } from "./kinds.ts";
import { checkFault } from "./schedule.ts";

Deno.test("docs/faults.md lists every fault kind with its example", async () => {
  const page = await Deno.readTextFile(new URL("../../docs/faults.md", import.meta.url));
  for (const kind of faultKinds) {
    assert.match(page, new RegExp(`\\|\\s*\`${kind.kind}\`\\s*\\|`), `docs/faults.md does not list ${kind.kind}`);
    assert.ok(page.includes(JSON.stringify(kind.example)), `docs/faults.md lacks the example of ${kind.kind}`);
  }
});

Deno.test("every kind's example is a valid fault on a six-node cluster", () => {
  const probe = probeCluster({ nodes: 6 });
  for (const kind of faultKinds) {
    const example = kind.example;
    assert.deepEqual(checkFault(example, kind.kind, probe.sim, probe.cluster), [], kind.kind);
  }
});
