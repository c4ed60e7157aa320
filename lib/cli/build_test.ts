// Proves that `./faultline build` gives a package plain Node runs the same as Deno: the same Raft
// run (trace hash, figures, checks, charts), the same sweep cells on Node's worker threads, and
// Deno's file errors from the shim. Each Node side runs in a child `node` importing dist/mod.js.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { experimentNamed, runExperiment } from "../lab/mod.ts";
import { resolveParams } from "../params.ts";
import { toSvg } from "../viz/mod.ts";
import { buildPackage, rewriteWorkerAddress } from "./build.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const entry = new URL("../../dist/mod.js", import.meta.url).href;

/** Runs `script` as an ES module in Node (in a temporary directory) and parses the JSON it prints last. */
async function underNode(script: string): Promise<Record<string, unknown>> {
  await buildPackage(root);
  const cwd = await Deno.makeTempDir({ prefix: "faultline-node-" });
  try {
    const { success, stdout, stderr } = await new Deno.Command("node", {
      args: ["--input-type=module", "-e", `import * as fl from ${JSON.stringify(entry)};\n${script}`],
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout).trim();
    assert.ok(success, `node failed:\n${new TextDecoder().decode(stderr)}`);
    return JSON.parse(text.slice(text.lastIndexOf("\n") + 1));
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test("Node runs a Raft experiment from dist/ with the trace hash, checks, figures and charts Deno gets", async () => {
  const node = await underNode(`
    const run = await fl.lab.runExperiment(fl.lab.experimentNamed("raft-faults"), {}, 7, () => 0);
    const charts = run.output.charts ?? {};
    console.log(JSON.stringify({
      runtime: fl.runtime,
      traceHash: run.output.traceHash,
      events: run.output.events,
      checks: run.output.checks.map((c) => [c.checker, c.valid]),
      figures: run.output.figures,
      charts,
      timelineSvg: await fl.viz.toSvg(charts.timeline),
    }));
  `);
  const deno = (await runExperiment(experimentNamed("raft-faults"), {}, 7, () => 0)).output;
  assert.equal(node.runtime, "node");
  assert.equal(node.traceHash, deno.traceHash);
  assert.equal(node.events, deno.events);
  assert.deepEqual(node.checks, deno.checks.map((c) => [c.checker, c.valid]));
  assert.deepEqual(node.figures, deno.figures);
  assert.deepEqual(node.charts, JSON.parse(JSON.stringify(deno.charts)));
  assert.equal(node.timelineSvg, await toSvg(deno.charts!.timeline));
});

Deno.test("Under Node a sweep runs its cells on worker threads and gets Deno's trace hashes", async () => {
  const node = await underNode(`
    const dir = await Deno.makeTempDir({ prefix: "faultline-node-sweep-" });
    const spec = { experiment: "echo", grid: { clients: [2, 4] }, seeds: [1, 2] };
    const options = { dir: dir + "/sweep", cacheDir: dir + "/cache", workers: 2, wallClockMs: () => performance.now() };
    const result = await fl.lab.runSweep(spec, options, ${JSON.stringify(`${root}/lib`)});
    await Deno.remove(dir, { recursive: true });
    console.log(JSON.stringify({ rows: result.rows.map((r) => [r.clients, r.seed, r.traceHash, r.error]) }));
  `);
  const echo = experimentNamed("echo");
  const expected = [[2, 1], [2, 2], [4, 1], [4, 2]].map(([clients, seed]) => {
    const output = echo.run(resolveParams(echo.params, { clients }), seed);
    return [clients, seed, output.traceHash, ""];
  });
  const sorted = (rows: unknown[][]) => [...rows].sort((a, b) => String(a).localeCompare(String(b)));
  assert.deepEqual(sorted(node.rows as unknown[][]), sorted(expected));
});

Deno.test("Under Node, file errors are Deno's: a missing file is NotFound, an existing one refused by createNew AlreadyExists", async () => {
  const node = await underNode(`
    const dir = await Deno.makeTempDir();
    const missing = await Deno.readTextFile(dir + "/missing").catch((e) => e instanceof Deno.errors.NotFound);
    await Deno.writeTextFile(dir + "/once", "a", { createNew: true });
    const again = await Deno.writeTextFile(dir + "/once", "b", { createNew: true })
      .then(() => false, (e) => e instanceof Deno.errors.AlreadyExists);
    const kept = await Deno.readTextFile(dir + "/once");
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push([entry.name, entry.isFile]);
    await Deno.remove(dir, { recursive: true });
    console.log(JSON.stringify({ missing, again, kept, names }));
  `);
  assert.deepEqual(node, { missing: true, again: true, kept: "a", names: [["once", true]] });
});

Deno.test("A second build from the same sources compiles nothing", async () => {
  const first = await buildPackage(root);
  const second = await buildPackage(root);
  assert.equal(second.built, false);
  assert.equal(second.sources, first.sources);
});

Deno.test("build refuses to replace a dist/ that it did not write", async () => {
  const project = await Deno.makeTempDir({ prefix: "faultline-build-" });
  try {
    await Deno.mkdir(`${project}/dist`);
    await Deno.writeTextFile(`${project}/dist/mine.js`, "export {};\n");
    await assert.rejects(() => buildPackage(project), (error: Error) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /dist exists but was not written by \.\/faultline build/);
      return true;
    });
    assert.equal(await Deno.readTextFile(`${project}/dist/mine.js`), "export {};\n");
  } finally {
    await Deno.remove(project, { recursive: true });
  }
});

Deno.test("rewriteWorkerAddress points a worker's .ts source at its compiled .js, and leaves other strings", () => {
  assert.equal(
    rewriteWorkerAddress('const m = new URL("./worker.ts", import.meta.url);'),
    'const m = new URL("./worker.js", import.meta.url);',
  );
  assert.equal(rewriteWorkerAddress('name.endsWith(".ts")'), 'name.endsWith(".ts")');
  assert.equal(
    rewriteWorkerAddress('new URL("https://x.test/a.ts", import.meta.url)'),
    'new URL("https://x.test/a.ts", import.meta.url)',
  );
});

/** Runs `script` as CommonJS in Node, the way tslab loads a notebook's imports; parses the JSON it prints last. */
async function underNodeRequire(script: string): Promise<Record<string, unknown>> {
  await buildPackage(root);
  const cwd = await Deno.makeTempDir({ prefix: "faultline-node-cjs-" });
  try {
    const { success, stdout, stderr } = await new Deno.Command("node", {
      args: ["--input-type=commonjs", "-e", script],
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout).trim();
    assert.ok(success, `node failed:\n${new TextDecoder().decode(stderr)}`);
    return JSON.parse(text.slice(text.lastIndexOf("\n") + 1));
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test("require() loads dist/mod.js, as tslab does, and charts still render", async () => {
  const node = await underNodeRequire(`
    const fl = require(${JSON.stringify(`${root}/dist/mod.js`)});
    const spec = { data: { values: [{ x: 1 }, { x: 2 }] }, mark: "point", encoding: { x: { field: "x" } } };
    fl.viz.toSvg(spec).then((svg) => console.log(JSON.stringify({ runtime: fl.runtime, svg: svg.startsWith("<svg") })));
  `);
  assert.deepEqual(node, { runtime: "node", svg: true });
});

Deno.test("In a tslab kernel, viz.showChart sends its bundle through the kernel's display writer", async () => {
  // A stand-in for tslab's kernel module, loaded as the kernel loads it: by require, at a path
  // ending in tslab/dist/jupyter.js, with the writer set while a cell runs.
  const fake = await Deno.makeTempDir({ prefix: "faultline-fake-tslab-" });
  try {
    await Deno.mkdir(`${fake}/tslab/dist`, { recursive: true });
    await Deno.writeTextFile(
      `${fake}/tslab/dist/jupyter.js`,
      "exports.sent = []; exports.lastWriteDisplayData = (content, update) => exports.sent.push({ content, update });\n",
    );
    const node = await underNodeRequire(`
      const kernel = require(${JSON.stringify(`${fake}/tslab/dist/jupyter.js`)});
      const fl = require(${JSON.stringify(`${root}/dist/mod.js`)});
      const spec = { title: "t", data: { values: [{ x: 1 }] }, mark: "point", encoding: { x: { field: "x" } } };
      fl.viz.showChart(spec).then(() => console.log(JSON.stringify({
        sent: kernel.sent.map(({ content, update }) => ({ types: Object.keys(content.data), update })),
      })));
    `);
    assert.deepEqual(node, {
      sent: [{ types: ["application/vnd.vegalite.v5+json", "image/png", "text/plain"], update: false }],
    });
  } finally {
    await Deno.remove(fake, { recursive: true });
  }
});
