// Proves the command line behaves for users: the demo writes a complete result directory, bad
// input exits 2 with a message naming what is allowed and leaves earlier results intact, and
// result directories are replaced atomically.
import assert from "node:assert/strict";
import { cli } from "./_cli_testing.ts";
import { InputError } from "../assert.ts";
import { errorOutcome, internalErrorExitCode } from "./main.ts";
import { commandNamed, commands, helpFor, integerOption, parseCommandLine } from "./options.ts";
import { progressText } from "./sweep.ts";
import { toCsv, writeResultDir } from "../lab/files.ts";

Deno.test("parseCommandLine reads --key value, --key=value, flags and a repeated --param", () => {
  assert.deepEqual(
    parseCommandLine(commandNamed("run")!, [
      "echo",
      "--seed",
      "3",
      "--out=d",
      "--param",
      "a=1",
      "--param",
      "b=2",
      "--json",
    ]),
    { values: { seed: "3", out: "d", param: ["a=1", "b=2"], json: true }, positionals: ["echo"] },
  );
});

Deno.test("parseCommandLine refuses an unknown option and suggests the closest declared one", () => {
  const cases: [string, string[], RegExp][] = [
    ["run", ["echo", "--params", "clients=3"], /run: unknown option --params \(did you mean --param\?\)/],
    ["run", ["echo", "--sed", "5"], /unknown option --sed \(did you mean --seed\?\)/],
    ["sweep", ["echo", "--seed", "7"], /unknown option --seed \(did you mean --seeds\?\)/],
    ["sweep", ["echo", "--worker", "1"], /unknown option --worker \(did you mean --workers\?\)/],
    ["check", ["f", "--modle=kv"], /unknown option --modle \(did you mean --model\?\)/],
  ];
  for (const [name, args, message] of cases) {
    assert.throws(() => parseCommandLine(commandNamed(name)!, args), (e: Error) => {
      assert.ok(e instanceof InputError, `${args.join(" ")}: ${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("parseCommandLine refuses a missing value, a value on a flag, a repeated single option and extra positionals", () => {
  const run = commandNamed("run")!;
  assert.throws(() => parseCommandLine(run, ["echo", "--seed"]), /--seed needs a value \(N\)/);
  assert.throws(() => parseCommandLine(run, ["echo", "--seed", "--json"]), /--seed needs a value/);
  assert.throws(() => parseCommandLine(run, ["echo", "--json=yes"]), /--json is a flag and takes no value/);
  assert.throws(() => parseCommandLine(run, ["echo", "--seed", "1", "--seed", "2"]), /--seed given 2 times/);
  assert.throws(
    () => parseCommandLine(run, ["echo", "raft"]),
    /usage: \.\/faultline run EXPERIMENT.*unexpected "raft"/,
  );
  assert.throws(() => parseCommandLine(run, []), /usage: \.\/faultline run EXPERIMENT/);
});

Deno.test("integerOption takes digits only: empty, words, exponents and hex are refused, naming the value", () => {
  assert.equal(integerOption("seed", "12", { fallback: 1 }), 12);
  assert.equal(integerOption("seed", undefined, { fallback: 1 }), 1);
  for (const text of ["", "abc", "1e3", "0x10", "-1", "1.5"]) {
    assert.throws(
      () => integerOption("seed", text, { fallback: 1 }),
      new RegExp(`--seed must be an integer >= 0, got ${JSON.stringify(JSON.stringify(text)).slice(1, -1)}`),
    );
  }
  assert.throws(() => integerOption("workers", "0", { fallback: 1, min: 1, max: 256 }), /from 1 to 256, got "0"/);
});

Deno.test("help for every command is generated from its options", () => {
  for (const command of commands) {
    const help = helpFor(command.name)!;
    for (const option of Object.keys(command.options)) assert.match(help, new RegExp(`--${option}\\b`));
  }
  assert.match(helpFor("bench")!, /bench kernel[\s\S]*bench raft/);
});

Deno.test("run writes a result directory and --json prints manifest, figures and checks", async () => {
  const out = `${await Deno.makeTempDir()}/run`;
  const { code, stdout } = await cli([
    "run",
    "echo",
    "--seed",
    "2",
    "--param",
    "durationUs=400000",
    "--param",
    "bug=none",
    "--out",
    out,
    "--json",
  ]);
  assert.equal(code, 0);
  const printed = JSON.parse(stdout);
  assert.equal(printed.manifest.seed, 2);
  assert.ok(printed.checks.some((c: { checker: string }) => c.checker === "acknowledged-durable"));
  assert.ok(printed.figures.requestsAcked > 10);
  const manifest = JSON.parse(await Deno.readTextFile(`${out}/manifest.json`));
  assert.equal(manifest.traceHash, printed.manifest.traceHash);
});

Deno.test("run with a violated invariant exits 1; an unknown experiment or parameter exits 2 with a suggestion", async () => {
  const out = `${await Deno.makeTempDir()}/run`;
  const bug = await cli([
    "run",
    "echo",
    "--param",
    "bug=ackBeforeFsync",
    "--param",
    "clients=40",
    "--param",
    "durationUs=2000000",
    "--param",
    "thinkTimeUsMean=1000",
    "--out",
    out,
  ]);
  assert.equal(bug.code, 1);
  assert.match(bug.stdout, /acknowledged-durable: INVALID/);
  const typo = await cli(["run", "ecoh"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown experiment "ecoh" \(did you mean echo\?\)/);
  const param = await cli(["run", "echo", "--param", "client=3"]);
  assert.equal(param.code, 2);
  assert.match(param.stderr, /unknown parameter "client" \(did you mean clients\?\)/);
});

Deno.test("demo writes manifest, summary, requests, chart and report, and exits 0 on a valid run", async () => {
  const results = await Deno.makeTempDir();
  const { code, stdout } = await cli(["demo", "--seed", "4", "--durationUs", "500000", "--results", results]);
  assert.equal(code, 0, stdout);
  const dir = `${results}/demo/seed-4`;
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  assert.deepEqual(names.sort(), [
    ".faultline-results",
    "checks.json",
    "coverage.json",
    "figures.json",
    "history.jsonl",
    "latency.svg",
    "manifest.json",
    "report.md",
    "requests.csv",
    "results.csv",
    "schedule.json",
  ]);
  const coverage = JSON.parse(await Deno.readTextFile(`${dir}/coverage.json`));
  assert.equal(coverage.faults[0].kind, "crash");
  assert.equal(coverage.vacuous, false, "the crash of server0 touched the run");
  const history = (await Deno.readTextFile(`${dir}/history.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(history.some((op) => op.process === "nemesis" && op.f === "crash"));
  assert.ok(history.filter((op) => op.type === "ok" && op.f === "write").length > 100);
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  assert.equal(manifest.seed, 4);
  assert.equal(manifest.params.durationUs, 500000);
  assert.match(manifest.traceHash, /^[0-9a-f]{16}$/);
  assert.match(manifest.command, /--seed 4 --param durationUs=500000/);
  assert.equal(manifest.verdict, true);
  assert.match(await Deno.readTextFile(`${dir}/latency.svg`), /^<svg/);
  const csv = (await Deno.readTextFile(`${dir}/requests.csv`)).trim().split("\n");
  assert.equal(csv[0], "timeUs,client,requestId,latencyUs,attempts");
  assert.ok(csv.length > 100);
  await Deno.remove(results, { recursive: true });
});

Deno.test("demo with an unknown parameter exits 2, names what is allowed and keeps the earlier result", async () => {
  const results = await Deno.makeTempDir();
  assert.equal((await cli(["demo", "--seed", "2", "--durationUs", "300000", "--results", results])).code, 0);
  const before = await Deno.readTextFile(`${results}/demo/seed-2/manifest.json`);
  const { code, stderr } = await cli(["demo", "--seed", "2", "--replicas", "3", "--results", results]);
  assert.equal(code, 2);
  assert.match(stderr, /demo: unknown option --replicas; allowed: --seed, --results, --servers, --clients/);
  assert.equal(await Deno.readTextFile(`${results}/demo/seed-2/manifest.json`), before);
  await Deno.remove(results, { recursive: true });
});

Deno.test("an unknown command exits 2 and lists the commands", async () => {
  const { code, stderr } = await cli(["frobnicate"]);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /unknown command "frobnicate"; allowed: demo, run, sweep, campaign, shrink, regress, rca, report, compare, replay, list, check, test, bench/,
  );
});

Deno.test("writeResultDir replaces a result directory whole and leaves no staging behind", async () => {
  const parent = await Deno.makeTempDir();
  await writeResultDir(`${parent}/run`, { "a.txt": "one", "b.txt": "two" }, { kind: "run" });
  await writeResultDir(`${parent}/run`, { "a.txt": "three" }, { kind: "run", replaceable: (name) => name === "b.txt" });
  const names = [];
  for await (const entry of Deno.readDir(parent)) names.push(entry.name);
  assert.deepEqual(names, ["run"]);
  assert.equal(await Deno.readTextFile(`${parent}/run/a.txt`), "three");
  await assert.rejects(Deno.readTextFile(`${parent}/run/b.txt`), "files of the old result must not linger");
  await Deno.remove(parent, { recursive: true });
});

Deno.test("toCsv quotes fields with commas, quotes and newlines", () => {
  assert.equal(toCsv([{ a: 1, b: 'say "hi", ok' }]), 'a,b\n1,"say ""hi"", ok"\n');
  assert.equal(toCsv([]), "");
});

Deno.test("help COMMAND prints that command's usage; an unknown one exits 2", async () => {
  const sweep = await cli(["help", "sweep"]);
  assert.equal(sweep.code, 0);
  assert.match(sweep.stdout, /^sweep EXPERIMENT/);
  assert.match(sweep.stdout, /--resume/);
  assert.doesNotMatch(sweep.stdout, /report DIR/);
  assert.equal((await cli(["help", "nope"])).code, 2);
});

Deno.test("run reuses a stored run of the same experiment, parameters, seed and code, unless --force", async () => {
  const out = `${await Deno.makeTempDir()}/run`;
  const args = ["run", "echo", "--param", "durationUs=300000", "--out", out];
  assert.equal((await cli(args)).code, 0);
  const first = await Deno.readTextFile(`${out}/manifest.json`);
  const again = await cli(args);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /reused/);
  assert.equal(await Deno.readTextFile(`${out}/manifest.json`), first, "nothing was rewritten");
  const forced = await cli([...args, "--force"]);
  assert.match(forced.stdout, /wrote/);
  const other = await cli(["run", "echo", "--param", "durationUs=300000", "--seed", "2", "--out", out]);
  assert.match(other.stdout, /wrote/, "another seed is another run");
});

Deno.test("misspelled options exit 2 with the closest valid one instead of being ignored", async () => {
  const cases: [string[], RegExp][] = [
    [["run", "echo", "--params", "clients=3"], /unknown option --params \(did you mean --param\?\)/],
    [["run", "echo", "--sed", "5"], /unknown option --sed \(did you mean --seed\?\)/],
    [["sweep", "echo", "--seed", "7"], /unknown option --seed \(did you mean --seeds\?\)/],
    [["sweep", "--worker", "1"], /unknown option --worker \(did you mean --workers\?\)/],
    [["run", "echo", "--seed", "abc"], /--seed must be an integer >= 0, got "abc"/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await cli(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, message);
    assert.equal(stderr.trim().split("\n").length, 1, "one line");
  }
});

Deno.test("sweep refuses empty or repeated seeds, a parameter given twice and an impossible combination, running nothing", async () => {
  const out = `${await Deno.makeTempDir()}/s`;
  const cases: [string[], RegExp][] = [
    [["--seeds", ""], /--seeds takes A\.\.B or a comma list/],
    [["--seeds", "1,1,1"], /seed 1 is listed twice/],
    [["--param", "clients=2", "--grid", "clients=1,2"], /clients is given by both --param and --grid/],
    [["--grid", "clients=1,2", "--grid", "clients=3"], /--grid clients given twice/],
  ];
  for (const [extra, message] of cases) {
    const { code, stderr } = await cli(["sweep", "echo", ...extra, "--out", out]);
    assert.equal(code, 2, extra.join(" "));
    assert.match(stderr, message);
  }
  const impossible = await cli(["sweep", "raft-faults", "--grid", "faultAtUs=1000000,10000000", "--out", out]);
  assert.equal(impossible.code, 2);
  assert.match(impossible.stderr, /must heal before the run ends .*; no cell was run/);
  await assert.rejects(Deno.stat(out), "no sweep directory was made");
});

Deno.test("errors that escape a command are one line: bad paths exit 2, anything else exits 4 (never 1)", async () => {
  const directory = await cli(["check", await Deno.makeTempDir(), "--model", "register"]);
  assert.equal(directory.code, 2);
  assert.match(directory.stderr, /cannot read history file .*: it is not a file/);
  assert.doesNotMatch(directory.stderr, /\n\s+at /, "no stack trace");
  assert.deepEqual(errorOutcome(new TypeError("x is undefined")), {
    code: internalErrorExitCode,
    message: "faultline: internal error (TypeError: x is undefined); set FAULTLINE_DEBUG=1 for the stack trace",
  });
  assert.notEqual(internalErrorExitCode, 1);
  assert.equal(errorOutcome(new Deno.errors.NotFound("open 'x'")).code, 2);
});

Deno.test("the sweep's progress line says when an estimate will come before any cell is done, never 'ETA ?'", () => {
  const starting = { done: 0, total: 4, cached: 0, failures: 0, elapsedMs: 0, etaMs: NaN };
  assert.equal(progressText(starting), "0/4 cells (0 cached, 0 failed), 0s elapsed, ETA after the first cell");
  // Cells taken from the cache finish without a pace to extrapolate from either.
  const cachedOnly = { ...starting, done: 2, cached: 2, elapsedMs: 40 };
  assert.match(progressText(cachedOnly), /ETA after the first cell$/);
  assert.match(progressText({ ...starting, done: 1, elapsedMs: 2_000, etaMs: 61_000 }), /2s elapsed, ETA 1m01s$/);
  assert.equal(
    progressText({ ...starting, done: 4, elapsedMs: 5_400, etaMs: 0 }),
    "4/4 cells (0 cached, 0 failed), done in 5s",
  );
  for (const p of [starting, cachedOnly]) assert.doesNotMatch(progressText(p), /\?/);
});

Deno.test("faultline campaign refuses an unknown bug, a seed list and a bad --time before running anything", async () => {
  const cases: [string[], RegExp][] = [
    [["campaign", "raft", "--bug", "forgetVotes"], /no planted bug "forgetVotes" \(did you mean forgetVote\?\)/],
    [["campaign", "raft", "--seeds", "1,5"], /campaign --seeds takes a range A..B/],
    [["campaign", "raft", "--time", "10 minutes"], /--time takes a duration such as 30s, 10m or 1h/],
    [["campaign", "raftt"], /no swarm campaign for system "raftt" \(did you mean raft\?\); allowed: raft, kv/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});
