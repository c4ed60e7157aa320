// Proves the suite's comparison of a Node notebook with Deno: it reads the trace hashes a notebook
// printed, accepts Deno's hash and names the run whose hash differs, and fails a notebook that
// printed none.
import assert from "node:assert/strict";
import { experimentNamed, runExperiment } from "../lab/mod.ts";
import { compareWithDeno, hashClaims, kernelOf } from "./node_notebook.ts";

/** An executed notebook whose one cell printed `text`. */
function executed(text: string, kernel = "tslab"): string {
  return JSON.stringify({
    metadata: { kernelspec: { name: kernel, display_name: "TypeScript", language: "typescript" } },
    cells: [{ cell_type: "code", outputs: [{ output_type: "stream", name: "stdout", text: text.split(/(?<=\n)/) }] }],
  });
}

Deno.test("hashClaims reads each printed trace hash line, and kernelOf the notebook's kernel", () => {
  const text = executed("runtime: node\ntrace hash of echo, seed 3, default parameters: 0a1b2c\nother line\n");
  assert.deepEqual(hashClaims(text), [{ experiment: "echo", seed: 3, traceHash: "0a1b2c" }]);
  assert.equal(kernelOf(text), "tslab");
  assert.equal(kernelOf(executed("", "deno")), "deno");
  assert.equal(kernelOf(JSON.stringify({ metadata: {} })), undefined);
});

Deno.test("compareWithDeno accepts Deno's own hash and names a run whose hash differs", async () => {
  const deno = (await runExperiment(experimentNamed("echo"), {}, 3, () => 0)).output.traceHash;
  assert.equal(await compareWithDeno([{ experiment: "echo", seed: 3, traceHash: deno }]), undefined);
  assert.equal(
    await compareWithDeno([{ experiment: "echo", seed: 3, traceHash: "ffff" }]),
    `echo seed 3: trace hash ffff under Node, ${deno} under Deno`,
  );
});

Deno.test("compareWithDeno fails a notebook that printed no trace hash, since nothing was compared", async () => {
  assert.match((await compareWithDeno([]))!, /printed no line `trace hash of EXPERIMENT/);
});
