// Proves, as users run the commands, that a sweep split into shards (`sweep --shard I/N`, each on
// its own cache, as on separate machines) merges into a results.csv and results.arrow
// byte-identical to the same sweep on one machine; that merge refuses an edited shard naming the
// file, a missing shard naming the cells it should hold, and a shard given twice, each with exit 2
// and nothing written; that bad --shard values are refused; and that --resume on a shard re-runs
// only the cells that shard is missing.
import assert from "node:assert/strict";
import { cli } from "./_cli_testing.ts";

const sweepArgs = ["sweep", "echo", "--grid", "clients=2,5", "--param", "durationUs=300000", "--seeds", "1..3"];

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("three shards of an echo sweep merge byte-identically to the sweep on one machine; bad merges exit 2", async (t) => {
  const base = await Deno.makeTempDir();
  const whole = await cli([...sweepArgs, "--out", `${base}/whole`, "--cache", `${base}/cache-whole`]);
  assert.equal(whole.code, 0, whole.stderr);
  const shards = [1, 2, 3].map((i) => `${base}/shard-${i}`);
  for (const [i, dir] of shards.entries()) {
    const run = await cli([...sweepArgs, "--shard", `${i + 1}/3`, "--out", dir, "--cache", `${base}/cache-${i + 1}`]);
    assert.equal(run.code, 0, run.stderr);
  }

  await t.step("the merged tables are the single machine's, byte for byte", async () => {
    const merged = await cli(["merge", ...shards, "--out", `${base}/merged`]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.match(merged.stdout, /merged 3 shards: 6 cells/);
    for (const name of ["results.csv", "results.arrow", "sweep.json"]) {
      assert.deepEqual(
        await Deno.readFile(`${base}/merged/${name}`),
        await Deno.readFile(`${base}/whole/${name}`),
        name,
      );
    }
    const manifest = JSON.parse(await Deno.readTextFile(`${base}/shard-2/manifest.json`));
    assert.equal(manifest.cells, 6, "a shard's manifest gives the whole sweep's cell count");
    assert.deepEqual(manifest.shard, { index: 2, count: 3, cells: [1, 4] });
    assert.equal(typeof manifest.files["results.csv"], "string");
    assert.equal((await cli(["report", `${base}/merged`])).code, 0, "the merged sweep is a sweep like any other");
  });

  await t.step("a missing shard names the cells and the shard that should hold them, and writes nothing", async () => {
    const { code, stderr } = await cli(["merge", shards[0], shards[2], "--out", `${base}/partial`]);
    assert.equal(code, 2);
    assert.match(stderr, /missing 2 of 6 cells: shard 2\/3 should hold cells 1, 4/);
    assert.equal(await exists(`${base}/partial`), false);
  });

  await t.step("a shard given twice is refused as duplicated cells", async () => {
    const copy = `${base}/shard-1-again`;
    assert.equal((await cli([...sweepArgs, "--shard", "1/3", "--out", copy, "--cache", `${base}/cache-1`])).code, 0);
    const { code, stderr } = await cli(["merge", ...shards, copy, "--out", `${base}/twice`]);
    assert.equal(code, 2);
    assert.match(stderr, /duplicated cells: shard 1\/3 is given twice/);
    assert.equal(await exists(`${base}/twice`), false);
  });

  await t.step("an edited shard is refused naming the file", async () => {
    const rows = `${shards[1]}/rows.json`;
    const text = await Deno.readTextFile(rows);
    await Deno.writeTextFile(rows, text.replace(/"verdict":true/, '"verdict":false'));
    const { code, stderr } = await cli(["merge", ...shards, "--out", `${base}/edited`]);
    assert.equal(code, 2);
    assert.match(stderr, /shard-2: rows\.json was changed after Faultline wrote it; refusing to merge it/);
    assert.equal(await exists(`${base}/edited`), false);
    await Deno.writeTextFile(rows, text);
  });

  await t.step("shards of another sweep or a whole sweep are refused", async () => {
    const other = `${base}/other-3`;
    const args = [...sweepArgs.slice(0, -1), "1..2", "--shard", "3/3", "--out", other, "--cache", `${base}/cache-o`];
    assert.equal((await cli(args)).code, 0);
    const mixed = await cli(["merge", shards[0], shards[1], other, "--out", `${base}/mixed`]);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /other-3 is not a shard of the same sweep .*: the sweep specs differ/);
    const plain = await cli(["merge", `${base}/whole`, "--out", `${base}/plain`]);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /is a whole sweep, not a shard/);
  });
  await Deno.remove(base, { recursive: true });
});

Deno.test("bad --shard values (0/3, 4/3, x) exit 2 naming the allowed form, and merge needs --out", async () => {
  for (const value of ["0/3", "4/3", "x"]) {
    const { code, stderr } = await cli([...sweepArgs, "--shard", value]);
    assert.equal(code, 2, value);
    assert.match(stderr, new RegExp(`--shard takes I/N with 1 <= I <= N .*got "${value}"`), value);
  }
  const { code, stderr } = await cli(["merge", "somewhere"]);
  assert.equal(code, 2);
  assert.match(stderr, /merge needs --out/);
});

Deno.test("--resume on a shard re-runs only the cells that shard is missing, and refuses another shard", async () => {
  const base = await Deno.makeTempDir();
  const args = [...sweepArgs, "--shard", "2/3", "--out", `${base}/shard`, "--cache", `${base}/cache`, "--json"];
  const first = await cli(args);
  assert.equal(first.code, 0, first.stderr);
  const firstResult = JSON.parse(first.stdout);
  assert.deepEqual(firstResult.rows.map((r: { cell: number }) => r.cell), [1, 4]);
  await Deno.remove(`${base}/cache/${firstResult.rows[1].key}.json`);
  const resumed = JSON.parse((await cli([...args, "--resume"])).stdout);
  assert.equal(resumed.cached, 1, "one of its two cells was cached; only the other ran");
  assert.deepEqual(await Deno.readTextFile(`${base}/shard/rows.json`), JSON.stringify(resumed.rows) + "\n");
  const wrong = await cli([...sweepArgs, "--shard", "1/3", "--out", `${base}/shard`, "--resume"]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--resume: .* holds shard 2\/3, not shard 1\/3/);
  await Deno.remove(base, { recursive: true });
});
