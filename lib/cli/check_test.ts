// Proves `faultline check` as users run it: verdicts and exit codes 0/1/2/3, JSON output, an
// offline HTML page marking the counterexample, and clear errors for bad input.
import assert from "node:assert/strict";
import { cli } from "./_cli_testing.ts";

const corpus = new URL("../../datasets/porcupine/", import.meta.url).pathname;

Deno.test("check exits 0 on a linearizable history and 1 on a violation, with the counterexample", async () => {
  const ok = await cli(["check", `${corpus}c10-ok.jsonl`, "--model", "kv", "--init", '""']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /linearizable as kv/);
  const bad = await cli(["check", `${corpus}etcd_000.jsonl`, "--model", "cas-register"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /NOT linearizable[\s\S]*cannot take effect: the state is/);
});

Deno.test("check --json prints the verdict as one object, and --steps 1 makes it unknown (exit 3)", async () => {
  const { code, stdout } = await cli([
    "check",
    `${corpus}etcd_002.jsonl`,
    "--model",
    "cas-register",
    "--json",
    "--steps",
    "1",
  ]);
  assert.equal(code, 3);
  const result = JSON.parse(stdout);
  assert.equal(result.valid, "unknown");
  assert.equal(result.model, "cas-register");
});

Deno.test("check --html writes an offline page with one timeline per process and the stuck operation marked", async () => {
  const dir = await Deno.makeTempDir();
  const { code } = await cli([
    "check",
    `${corpus}etcd_000.jsonl`,
    "--model",
    "cas-register",
    "--html",
    `${dir}/v.html`,
  ]);
  assert.equal(code, 1);
  const page = await Deno.readTextFile(`${dir}/v.html`);
  assert.match(page, /<svg/);
  assert.match(page, /class="ok stuck"/);
  assert.match(page, /process 11/);
  assert.doesNotMatch(page, /<script|https?:\/\/(?!www\.w3\.org)/, "no script and no external resource");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("check refuses bad input with exit 2: unknown model, missing file, malformed line", async () => {
  const unknownModel = await cli(["check", `${corpus}c01-ok.jsonl`, "--model", "graph"]);
  assert.equal(unknownModel.code, 2);
  assert.match(unknownModel.stderr, /unknown model "graph"; allowed: register, cas-register/);
  const missing = await cli(["check", "/nonexistent.jsonl", "--model", "register"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read history file \/nonexistent.jsonl/);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/bad.jsonl`, '{"process":0,"type":"invoke","f":"read","value":null}\n{broken\n');
  const malformed = await cli(["check", `${dir}/bad.jsonl`, "--model", "register"]);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /bad\.jsonl:2: not valid JSON/);
  const noModel = await cli(["check", `${dir}/bad.jsonl`]);
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr, /check needs --model/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("check with an isolation model prints the anomaly's cycle: write skew passes SI (exit 0), fails serializable (exit 1)", async () => {
  const skew = new URL("../check/testdata/write_skew_list_append.jsonl", import.meta.url).pathname;
  const serializable = await cli(["check", skew, "--model", "serializable", "--workload", "list-append"]);
  assert.equal(serializable.code, 1);
  assert.match(serializable.stdout, /G2: T1 -rw\(y\)-> T2 -rw\(x\)-> T1/);
  const si = await cli(["check", skew, "--model", "snapshot-isolation", "--workload", "list-append", "--json"]);
  assert.equal(si.code, 0);
  assert.equal(JSON.parse(si.stdout).models.serializable, false);
  const noWorkload = await cli(["check", skew, "--model", "serializable"]);
  assert.equal(noWorkload.code, 2);
  assert.match(noWorkload.stderr, /needs --workload list-append or --workload rw-register/);
});

Deno.test("check refuses, with exit 2 and one line, input it cannot judge: a bad cas, a function the model lacks, an empty or unordered history", async () => {
  const dir = await Deno.makeTempDir();
  const write = async (name: string, ...events: string[]) => {
    await Deno.writeTextFile(`${dir}/${name}`, events.join("\n") + "\n");
    return `${dir}/${name}`;
  };
  const cases: [string, string, RegExp][] = [
    [
      await write(
        "cas.jsonl",
        '{"process":0,"type":"invoke","f":"cas","value":5}',
        '{"process":0,"type":"ok","f":"cas","value":5}',
      ),
      "cas-register",
      /event 1: process 0 cas: cas takes \[expected, new\]/,
    ],
    [
      await write(
        "typo.jsonl",
        '{"process":0,"type":"invoke","f":"wirte","value":5}',
        '{"process":0,"type":"ok","f":"wirte","value":5}',
      ),
      "register",
      /no function "wirte" \(did you mean write\?\); allowed: read, write/,
    ],
    [await write("empty.jsonl"), "register", /holds no client operations: nothing to check/],
    [
      await write(
        "unordered.jsonl",
        '{"process":0,"type":"invoke","f":"write","value":1,"time":10}',
        '{"process":0,"type":"ok","f":"write","value":1,"time":5}',
      ),
      "register",
      /event 2: time 5 is before the previous event's time 10/,
    ],
  ];
  for (const [file, model, message] of cases) {
    const { code, stderr } = await cli(["check", file, "--model", model]);
    assert.equal(code, 2, `${file}: ${stderr}`);
    assert.match(stderr, message);
    assert.equal(stderr.trim().split("\n").length, 1);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("check --html refuses a missing directory and a file Faultline did not write, before checking", async () => {
  const dir = await Deno.makeTempDir();
  const missing = await cli([
    "check",
    `${corpus}c01-ok.jsonl`,
    "--model",
    "kv",
    "--init",
    '""',
    "--html",
    `${dir}/no/x.html`,
  ]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--html .*\/no\/x\.html: the directory .*\/no does not exist/);
  await Deno.writeTextFile(`${dir}/mine.html`, "my notes");
  const theirs = await cli([
    "check",
    `${corpus}c01-ok.jsonl`,
    "--model",
    "kv",
    "--init",
    '""',
    "--html",
    `${dir}/mine.html`,
  ]);
  assert.equal(theirs.code, 2);
  assert.match(theirs.stderr, /refusing to overwrite .*mine\.html: it is not a page Faultline wrote/);
  assert.equal(await Deno.readTextFile(`${dir}/mine.html`), "my notes");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("check says why a verdict is unknown, in text and in --json", async () => {
  const args = ["check", `${corpus}etcd_002.jsonl`, "--model", "cas-register", "--steps", "1"];
  const text = await cli(args);
  assert.equal(text.code, 3);
  assert.match(text.stdout, /unknown as cas-register[\s\S]*used its budget of \d+ steps; a larger one \(--steps\)/);
  const json = JSON.parse((await cli([...args, "--json"])).stdout);
  assert.equal(json.unknownReason, "steps");
  assert.match(json.reason, /--steps/);
});

Deno.test("check --timeout ends a search that has not finished with unknown (stopped), exit 3; a timeout must be whole seconds", async () => {
  const args = ["check", `${corpus}etcd_002.jsonl`, "--model", "cas-register"];
  const stopped = await cli([...args, "--timeout", "0", "--json"]);
  assert.equal(stopped.code, 3);
  const json = JSON.parse(stopped.stdout);
  assert.equal(json.unknownReason, "stopped");
  assert.match(json.reason, /was stopped after \d+ steps, before a verdict \(--timeout/);
  for (const bad of ["-1", "1.5", "soon"]) {
    const refused = await cli([...args, `--timeout=${bad}`]);
    assert.equal(refused.code, 2, bad);
    assert.match(refused.stderr, /--timeout must be an integer >= 0/);
  }
});
