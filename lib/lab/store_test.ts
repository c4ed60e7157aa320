// Proves stored results are verified, never silently reused: an edited run or sweep is refused by
// report, compare and replay naming the file; an edited or incomplete cache entry is run again;
// replay tells a code change from an edited result and from a run that is not deterministic; and
// the results table keeps one type per column whatever verdicts and figures its cells hold.
import assert from "node:assert/strict";
import * as aq from "arquero";
import { experimentNamed } from "./registry.ts";
import { runExperiment, storedRun, writeRun } from "./run.ts";
import { codeVersion, runSweep, uniformColumns } from "./sweep.ts";
import { compareResults, replayRun, writeReport } from "./results.ts";
import { loadResults } from "./load.ts";
import { markerName } from "./files.ts";

const libDir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const clock = () => performance.now();
const quick = { durationUs: 300_000 };

async function storedEcho(dir: string, edit?: (run: Awaited<ReturnType<typeof runExperiment>>) => void) {
  const run = await runExperiment(experimentNamed("echo"), quick, 1, () => 0);
  run.manifest.cacheKey = "key";
  run.manifest.codeVersion = await codeVersion(libDir);
  edit?.(run);
  return await writeRun(dir, run, { keepHistory: true });
}

Deno.test("a run whose figures.json, results.csv or manifest verdict was edited is not reused, reported or replayed", async () => {
  const base = await Deno.makeTempDir();
  const edits: [string, (text: string) => string][] = [
    ["figures.json", (text) => text.replace(/"latencyUsP50": [\d.]+/, '"latencyUsP50": 1')],
    ["results.csv", (text) => text.replace(/\n(.*),([\d.]+)\n$/, "\n$1,1\n")],
    ["manifest.json", (text) => text.replace('"verdict": true', '"verdict": false')],
  ];
  for (const [name, edit] of edits) {
    const dir = `${base}/${name}`;
    await storedEcho(dir);
    assert.ok((await storedRun(dir, "key")) !== undefined, "an untouched run is reused");
    const text = await Deno.readTextFile(`${dir}/${name}`);
    assert.notEqual(edit(text), text, `the edit of ${name} changes it`);
    await Deno.writeTextFile(`${dir}/${name}`, edit(text));
    const named = new RegExp(`${name.replace(".", "\\.")} was changed after Faultline wrote it`);
    await assert.rejects(storedRun(dir, "key"), named);
    await assert.rejects(writeReport(dir), named);
    await assert.rejects(replayRun(dir), named);
  }
  await Deno.remove(base, { recursive: true });
});

Deno.test("replay tells a matching run, a code change, a run that is not deterministic and an empty params record apart", async () => {
  const base = await Deno.makeTempDir();
  await storedEcho(`${base}/same`);
  assert.equal((await replayRun(`${base}/same`)).answer, "matches");
  await storedEcho(`${base}/old-code`, (run) => {
    run.manifest.codeVersion = "0000000000000000";
    run.manifest.traceHash = "1111111111111111";
  });
  const changed = await replayRun(`${base}/old-code`);
  assert.equal(changed.answer, "code-changed");
  assert.equal(changed.codeStored, "0000000000000000");
  await storedEcho(`${base}/flaky`, (run) => {
    run.manifest.traceHash = "1111111111111111";
  });
  assert.equal((await replayRun(`${base}/flaky`)).answer, "not-deterministic");
  // A manifest without parameters means the defaults, as on the command line.
  const defaults = await runExperiment(experimentNamed("echo"), {}, 3, () => 0);
  defaults.manifest.params = {};
  await writeRun(`${base}/defaults`, defaults, { keepHistory: false });
  assert.equal((await replayRun(`${base}/defaults`)).answer, "matches");
  await Deno.remove(base, { recursive: true });
});

Deno.test("raft-election carries a trace hash of its trials: the same seed repeats it, another seed changes it", () => {
  const experiment = experimentNamed("raft-election");
  const first = experiment.run({ trials: 2 }, 1);
  assert.match(first.traceHash, /^[0-9a-f]{16}$/);
  assert.ok(first.events > 1000, `${first.events} events`);
  assert.equal(experiment.run({ trials: 2 }, 1).traceHash, first.traceHash);
  assert.notEqual(experiment.run({ trials: 2 }, 2).traceHash, first.traceHash);
});

Deno.test("a column of mixed types (verdicts true, false and unknown; a figure number or text) is one type in the table", () => {
  const rows = [
    { cell: 0, verdict: true, p99: 5, error: "" },
    { cell: 1, verdict: "unknown", p99: "n/a", error: "" },
    { cell: 2, verdict: false, error: "worker failed" },
    { cell: 3, verdict: true, p99: null, extra: { a: 1 } },
  ];
  const uniform = uniformColumns(rows);
  assert.deepEqual(uniform.map((r) => r.verdict), ["true", "unknown", "false", "true"]);
  assert.deepEqual(uniform.map((r) => r.p99), ["5", "n/a", null, null]);
  assert.deepEqual(uniform.map((r) => r.extra), [null, null, null, '{"a":1}']);
  assert.deepEqual(uniform.map((r) => r.cell), [0, 1, 2, 3], "a column of one type keeps it");
  const table = aq.fromArrow(aq.from(uniform).toArrowIPC());
  assert.equal(table.numRows(), 4);
  assert.deepEqual(table.columnNames(), ["cell", "verdict", "p99", "error", "extra"]);
});

Deno.test("a sweep refuses --out and --cache directories holding files Faultline did not write, and deletes none of them", async () => {
  const base = await Deno.makeTempDir();
  const spec = { experiment: "echo", fixed: quick, seeds: [1] };
  await Deno.mkdir(`${base}/out`);
  await Deno.writeTextFile(`${base}/out/thesis.tmpl.docx`, "mine");
  await assert.rejects(
    runSweep(spec, { dir: `${base}/out`, cacheDir: `${base}/cache`, wallClockMs: clock }, libDir),
    /refusing to write into .*\/out: .*thesis\.tmpl\.docx/,
  );
  await Deno.mkdir(`${base}/cache2`);
  await Deno.writeTextFile(`${base}/cache2/backup.tmp`, "mine");
  await assert.rejects(
    runSweep(spec, { dir: `${base}/s`, cacheDir: `${base}/cache2`, wallClockMs: clock }, libDir),
    /refusing to write into .*\/cache2: .*backup\.tmp/,
  );
  assert.equal(await Deno.readTextFile(`${base}/out/thesis.tmpl.docx`), "mine");
  assert.equal(await Deno.readTextFile(`${base}/cache2/backup.tmp`), "mine");
  // In Faultline's own cache, a file with ".tmp" in its name that Faultline did not name is left alone.
  await runSweep(spec, { dir: `${base}/s`, cacheDir: `${base}/c`, wallClockMs: clock }, libDir);
  await Deno.writeTextFile(`${base}/c/backup.tmp`, "mine");
  await runSweep(spec, { dir: `${base}/s`, cacheDir: `${base}/c`, wallClockMs: clock }, libDir);
  assert.equal(await Deno.readTextFile(`${base}/c/backup.tmp`), "mine");
  assert.ok((await Deno.stat(`${base}/s/${markerName}`)).isFile);
  await Deno.remove(base, { recursive: true });
});

Deno.test("an edited or incomplete cache entry is run again, never reused, and the sweep still writes its table and manifest", async () => {
  const base = await Deno.makeTempDir();
  const spec = { experiment: "echo", fixed: quick, seeds: [1, 2] };
  const options = { dir: `${base}/s`, cacheDir: `${base}/c`, workers: 1, wallClockMs: clock };
  const first = await runSweep(spec, options, libDir);
  const [a, b] = first.rows.map((r) => `${base}/c/${r.key}.json`);
  const entry = JSON.parse(await Deno.readTextFile(a));
  await Deno.writeTextFile(a, JSON.stringify({ ...entry, verdict: false }) + "\n");
  await Deno.writeTextFile(b, JSON.stringify({ key: first.rows[1].key, verdict: true }) + "\n");
  const again = await runSweep(spec, options, libDir);
  assert.equal(again.cached, 0, "neither entry was reused");
  assert.equal(again.discarded.length, 2);
  assert.match(again.discarded[0], /was changed after Faultline wrote it/);
  assert.match(again.discarded[1], /is incomplete \(missing or malformed: figures, checks, traceHash, events, seed/);
  assert.deepEqual(again.rows, first.rows, "the cells ran again and gave the genuine results");
  assert.doesNotMatch(await Deno.readTextFile(`${base}/s/results.csv`), /undefined/);
  assert.equal((await loadResults(`${base}/s`)).rows.length, 2, "the manifest was written and verifies");
  assert.equal((await runSweep(spec, options, libDir)).cached, 2, "the rewritten entries are reused");
  await Deno.remove(base, { recursive: true });
});

Deno.test("report and compare refuse a sweep whose results.csv was edited, naming the file", async () => {
  const base = await Deno.makeTempDir();
  const spec = { experiment: "echo", fixed: quick, seeds: [1, 2] };
  await runSweep(spec, { dir: `${base}/a`, cacheDir: `${base}/c`, wallClockMs: clock }, libDir);
  await runSweep(spec, { dir: `${base}/b`, cacheDir: `${base}/c`, wallClockMs: clock }, libDir);
  assert.match(await writeReport(`${base}/a`), /report\.html$/);
  await compareResults([`${base}/a`, `${base}/b`]);
  const csv = await Deno.readTextFile(`${base}/b/results.csv`);
  await Deno.writeTextFile(`${base}/b/results.csv`, csv.replace(/,1,/, ",2,"));
  await assert.rejects(writeReport(`${base}/b`), /results\.csv was changed after Faultline wrote it/);
  await assert.rejects(compareResults([`${base}/a`, `${base}/b`]), /results\.csv was changed/);
  await Deno.writeTextFile(`${base}/page.html`, "<p>my page</p>");
  await assert.rejects(
    compareResults([`${base}/a`, `${base}/a`], { out: `${base}/page.html` }),
    /refusing to overwrite .*page\.html: it is not a page Faultline wrote/,
  );
  assert.equal(await Deno.readTextFile(`${base}/page.html`), "<p>my page</p>");
  await Deno.remove(base, { recursive: true });
});
