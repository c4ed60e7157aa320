// Proves report, compare and replay as users run them on real result directories, and that a
// directory that is not a result is refused with exit 2.
import assert from "node:assert/strict";
import { cli } from "./_cli_testing.ts";

Deno.test("report writes an offline HTML page for a run; replay confirms its trace hash", async () => {
  const dir = `${await Deno.makeTempDir()}/run`;
  assert.equal((await cli(["run", "echo", "--param", "durationUs=500000", "--out", dir])).code, 0);
  assert.equal((await cli(["report", dir])).code, 0);
  const html = await Deno.readTextFile(`${dir}/report.html`);
  assert.match(html, /acknowledged-durable/);
  assert.match(html, /<svg/);
  assert.match(html, /\.\/faultline run echo --seed 1 --param durationUs=500000/);
  assert.doesNotMatch(html, /<script/);
  const replay = await cli(["replay", dir]);
  assert.equal(replay.code, 0);
  assert.match(replay.stdout, /matches/);
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify({ ...manifest, traceHash: "0000000000000000" }));
  const edited = await cli(["replay", dir]);
  assert.equal(edited.code, 2, "an edited manifest is refused, not replayed");
  assert.match(edited.stderr, /manifest\.json was changed after Faultline wrote it/);
});

Deno.test("a sweep's progress says when its ETA will come, and its report charts its figures against the swept parameter", async () => {
  const dir = `${await Deno.makeTempDir()}/sweep`;
  const args = ["--grid", "clients=2,6", "--param", "durationUs=300000", "--seeds", "1..2", "--out", dir];
  const sweep = await cli(["sweep", "echo", ...args, "--cache", `${dir}-cache`]);
  assert.equal(sweep.code, 0);
  const lines = sweep.stderr.trim().split("\n");
  assert.match(lines[0], /^0\/4 cells .* ETA after the first cell$/, "before any cell is done");
  assert.match(lines.at(-1)!, /^4\/4 cells .* done in \d+/);
  assert.doesNotMatch(sweep.stderr, /ETA \?/);
  assert.equal((await cli(["report", dir])).code, 0);
  const html = await Deno.readTextFile(`${dir}/report.html`);
  for (const figure of ["latencyUsP99", "throughputPerS", "availability"]) {
    const chart = html.match(new RegExp(`<h2>${figure} vs clients</h2>(<svg.*?</svg>)`, "s"));
    assert.ok(chart !== null, `a chart of ${figure} against clients`);
    assert.match(chart[1], /<path/, "with marks drawn inline, so the page needs no network");
    assert.match(chart[1], />clients</, "the swept parameter on the axis");
  }
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, "no script and no external resource");
  await Deno.remove(`${dir}-cache`, { recursive: true });
});

Deno.test("compare of two sweeps flags a slower server as a latency regression (exit 1) and writes HTML", async () => {
  const base = await Deno.makeTempDir();
  const sweep = (out: string, service: number) =>
    cli([
      "sweep",
      "echo",
      "--grid",
      "clients=4,8",
      "--param",
      "durationUs=800000",
      "--param",
      `serviceTimeUsMean=${service}`,
      "--seeds",
      "1..4",
      "--out",
      `${base}/${out}`,
      "--cache",
      `${base}/cache`,
    ]);
  assert.equal((await sweep("a", 100)).code, 0);
  assert.equal((await sweep("b", 600)).code, 0);
  const compared = await cli(["compare", `${base}/a`, `${base}/b`, "--json"]);
  assert.equal(compared.code, 1);
  const [result] = JSON.parse(compared.stdout);
  const p50 = result.rows.filter((r: { metric: string }) => r.metric === "latencyUsP50");
  assert.equal(p50.length, 2, "one row per swept client count");
  assert.ok(p50.every((r: { regression: boolean }) => r.regression));
  assert.match(await Deno.readTextFile(`${base}/b/comparison.html`), /significant regressions/);
  await Deno.remove(base, { recursive: true });
});

Deno.test("report, compare and replay refuse a directory that holds no results, with exit 2", async () => {
  const empty = await Deno.makeTempDir();
  for (const args of [["report", empty], ["replay", empty], ["compare", empty, empty]]) {
    const { code, stderr } = await cli(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, /is not a results directory: no manifest.json/);
  }
});
