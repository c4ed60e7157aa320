// Proves the README's fault vocabulary stays complete: every kind is listed with an example, and
// every example is a valid fault on a six-node cluster.
import assert from "node:assert/strict";
import { probeCluster } from "./_probe_cluster.ts";
import { faultKinds } from "./kinds.ts";
import { checkFault } from "./schedule.ts";

Deno.test("the README lists every fault kind with its example", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  for (const kind of faultKinds) {
    assert.match(readme, new RegExp(`\\|\\s*\`${kind.kind}\`\\s*\\|`), `README does not list ${kind.kind}`);
    assert.ok(readme.includes(JSON.stringify(kind.example)), `README lacks the example of ${kind.kind}`);
  }
});

Deno.test("every kind's example is a valid fault on a six-node cluster", () => {
  const probe = probeCluster({ nodes: 6 });
  for (const kind of faultKinds) {
    const example = kind.example;
    assert.deepEqual(checkFault(example, kind.kind, probe.sim, probe.cluster), [], kind.kind);
  }
});
