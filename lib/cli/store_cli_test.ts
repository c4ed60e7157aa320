// Proves, as users run the commands, that Faultline never deletes or overwrites what it did not
// write (exit 2 naming the path, the user's files intact) and never passes off an edited result
// as genuine: run, report and replay refuse it naming the file.
import assert from "node:assert/strict";
import { cli } from "./_cli_testing.ts";

const corpus = new URL("../../datasets/porcupine/", import.meta.url).pathname;

Deno.test("run --out on a directory holding other files exits 2 naming it and deletes nothing", async () => {
  const base = await Deno.makeTempDir();
  await Deno.mkdir(`${base}/mine`);
  await Deno.writeTextFile(`${base}/mine/thesis.docx`, "precious");
  const { code, stderr } = await cli(["run", "echo", "--param", "durationUs=300000", "--out", `${base}/mine`]);
  assert.equal(code, 2);
  assert.match(stderr, new RegExp(`refusing to write into ${base}/mine: .*thesis\\.docx`));
  assert.equal(await Deno.readTextFile(`${base}/mine/thesis.docx`), "precious");
  const entries = [];
  for await (const entry of Deno.readDir(base)) entries.push(entry.name);
  assert.deepEqual(entries, ["mine"], "no staging directory was left beside it");
  await Deno.remove(base, { recursive: true });
});

Deno.test("an edited figures.json is not reused by run, reported or replayed: each exits 2 naming the file", async () => {
  const dir = `${await Deno.makeTempDir()}/run`;
  const args = ["run", "echo", "--param", "durationUs=300000", "--out", dir];
  assert.equal((await cli(args)).code, 0);
  const figures = await Deno.readTextFile(`${dir}/figures.json`);
  await Deno.writeTextFile(`${dir}/figures.json`, figures.replace(/"latencyUsP50": [\d.]+/, '"latencyUsP50": 1'));
  for (const command of [args, ["report", dir], ["replay", dir]]) {
    const { code, stdout, stderr } = await cli(command);
    assert.equal(code, 2, command[0]);
    assert.doesNotMatch(stdout, /reused|matches/);
    assert.match(stderr, /figures\.json was changed after Faultline wrote it/, command[0]);
  }
  assert.equal((await cli([...args, "--force"])).code, 0, "--force runs again and replaces it");
  assert.match((await cli(["replay", dir])).stdout, /matches/);
});

Deno.test("check --html does not overwrite a file Faultline did not write, and replaces its own page", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/notes.html`, "<p>mine</p>");
  const check = (out: string) =>
    cli(["check", `${corpus}c10-ok.jsonl`, "--model", "kv", "--init", '""', "--html", out]);
  const refused = await check(`${dir}/notes.html`);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /refusing to overwrite .*notes\.html: it is not a page Faultline wrote/);
  assert.equal(await Deno.readTextFile(`${dir}/notes.html`), "<p>mine</p>");
  assert.equal((await check(`${dir}/page.html`)).code, 0);
  assert.equal((await check(`${dir}/page.html`)).code, 0, "its own page is replaced");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("FAULTLINE_RESULTS moves the default results directory (the test suite points it at a temporary one)", async () => {
  const results = await Deno.makeTempDir();
  Deno.env.set("FAULTLINE_RESULTS", results);
  try {
    const { code, stdout } = await cli(["run", "echo", "--param", "durationUs=300000", "--seed", "5"]);
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`wrote ${results}/echo/seed-5-[0-9a-f]+/`));
  } finally {
    Deno.env.delete("FAULTLINE_RESULTS");
  }
  await Deno.remove(results, { recursive: true });
});
