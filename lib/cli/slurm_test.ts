// Proves, without Slurm, that `slurm sweep` writes the job scripts a cluster needs (an array of one
// `sweep --shard I/N` task per shard calling this project's launcher by absolute path, and a merge
// job), refuses bad options with exit 2 before anything is written, and that its scripts, run as
// Slurm runs them (sbatch and squeue stand-ins on PATH record what is submitted), merge into the
// single machine's table; that the merge job names the tasks that did not finish; and that
// --resume re-submits only those, and refuses while jobs are queued or with other options.
import assert from "node:assert/strict";
import { cli } from "./_cli_testing.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const sweepOptions = ["--grid", "clients=2,5", "--param", "durationUs=300000", "--seeds", "1..3"];

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("slurm sweep --dry-run prints an array of one shard per task and a merge job, and writes nothing", async () => {
  const base = await Deno.makeTempDir();
  const args = ["slurm", "sweep", "echo", ...sweepOptions, "--out", `${base}/merged`, "--array-size", "3"];
  const { code, stdout, stderr } = await cli(
    [...args, "--partition", "short", "--time", "0-01:30", "--cpus-per-task", "2", "--dry-run"],
    { env: { FAULTLINE_RESULTS: `${base}/results` } },
  );
  assert.equal(code, 0, stderr);
  const [shards, merge] = stdout.split(/^# \/.*\.sbatch .*\n/m).slice(1);
  assert.match(shards, /^#!\/bin\/sh\n/);
  for (
    const line of [
      "#SBATCH --array=1-3",
      "#SBATCH --cpus-per-task=2",
      "#SBATCH --partition=short",
      "#SBATCH --time=0-01:30",
      `#SBATCH --output=${base}/merged.slurm/logs/shard-%a.out`,
      `export FAULTLINE_RESULTS='${base}/results'`,
    ]
  ) assert.ok(shards.includes(`${line}\n`), line);
  assert.ok(shards.includes(`'${root}/faultline' sweep 'echo' '--grid' 'clients=2,5'`), "the launcher, by path");
  assert.match(shards, /'--workers' '2' --shard "\$shard\/3" --out "\$dir"/, "a task runs as many workers as CPUs");
  assert.match(merge, /^#!\/bin\/sh\n/);
  assert.ok(merge.includes(`'${root}/faultline' merge "$@" --out '${base}/merged'`));
  assert.ok(merge.includes("#SBATCH --partition=short\n") && !merge.includes("#SBATCH --array"));
  assert.equal(await exists(`${base}/merged.slurm`), false, "a dry run writes nothing");
  await Deno.remove(base, { recursive: true });
});

Deno.test("slurm sweep refuses bad options with exit 2 naming what is allowed", async () => {
  const args = ["slurm", "sweep", "echo", "--out", "/tmp/faultline-never-written", "--dry-run"];
  const refusals: [string[], RegExp][] = [
    [["--array-size", "0"], /--array-size must be an integer from 1 to 1000, got "0"/],
    [["--array-size", "1001"], /--array-size must be an integer from 1 to 1000/],
    [["--array-size", "four"], /--array-size must be an integer from 1 to 1000, got "four"/],
    [["--arraysize", "4"], /unknown option --arraysize \(did you mean --array-size\?\)/],
    [["--cpus-per-task", "0"], /--cpus-per-task must be an integer from 1 to 1024/],
    [["--time", "1h"], /--time "1h": a time limit as sbatch takes it: MINUTES, .*UNLIMITED/],
    [["--partition", "a b"], /--partition "a b": a partition name/],
    [["--grid", "client=1"], /unknown parameter "client"/],
  ];
  for (const [extra, message] of refusals) {
    const { code, stderr } = await cli([...args, ...extra]);
    assert.equal(code, 2, extra.join(" "));
    assert.match(stderr, message, extra.join(" "));
  }
  const noOut = await cli(["slurm", "sweep", "echo"]);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /slurm sweep needs --out/);
  const spaced = await cli(["slurm", "sweep", "echo", "--out", "/tmp/a b", "--dry-run"]);
  assert.equal(spaced.code, 2);
  assert.match(spaced.stderr, /--out "\/tmp\/a b": a path for Slurm's job scripts may not hold white space/);
  assert.match((await cli(["slurm", "swep"])).stderr, /unknown slurm command "swep"; allowed: sweep/);
});

/** sbatch and squeue stand-ins: sbatch logs its arguments and prints the next job id from 101. */
async function fakeSlurm(dir: string): Promise<Record<string, string>> {
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(
    `${dir}/bin/sbatch`,
    `#!/bin/sh\necho "$*" >> '${dir}/sbatch.log'\nid=$(cat '${dir}/next' 2>/dev/null || echo 101)\n` +
      `echo $((id + 1)) > '${dir}/next'\necho "$id"\n`,
  );
  await Deno.writeTextFile(`${dir}/bin/squeue`, `#!/bin/sh\ncat '${dir}/queue' 2>/dev/null\nexit 0\n`);
  for (const name of ["sbatch", "squeue"]) await Deno.chmod(`${dir}/bin/${name}`, 0o755);
  return { PATH: `${dir}/bin:${Deno.env.get("PATH")}` };
}

/** Runs a job script as Slurm would: `sh SCRIPT` with the array task's index in the environment. */
async function runJob(script: string, task?: number): Promise<{ code: number; stderr: string }> {
  const env: Record<string, string> = task === undefined ? {} : { SLURM_ARRAY_TASK_ID: String(task) };
  const output = await new Deno.Command("sh", { args: [script], env, stdout: "null", stderr: "piped" }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("the job scripts, run as Slurm runs them, merge into the single machine's table; --resume re-submits the failed task", async () => {
  const base = await Deno.makeTempDir();
  const env = await fakeSlurm(base);
  const args = ["slurm", "sweep", "echo", ...sweepOptions, "--out", `${base}/merged`, "--array-size", "4"];
  const work = `${base}/merged.slurm`;
  const submitted = await cli(args, { env });
  assert.equal(submitted.code, 0, submitted.stderr);
  assert.match(submitted.stdout, /submitted job array 101 \(tasks 1-4 of 4 shards\) and merge job 102/);
  assert.match(submitted.stdout, /watch: +squeue -j 101,102/);
  assert.deepEqual((await Deno.readTextFile(`${base}/sbatch.log`)).trim().split("\n"), [
    `--parsable ${work}/shards.sbatch`,
    `--parsable --dependency=afterany:101 ${work}/merge.sbatch`,
  ]);

  const early = await runJob(`${work}/merge.sbatch`);
  assert.equal(early.code, 2, "a merge after failed tasks fails");
  assert.match(early.stderr, /array tasks 1 2 3 4 of 4 did not finish .*re-submit them with: .*--resume/);
  // Task 3 fails (never runs); the others finish.
  for (const task of [1, 2, 4]) assert.equal((await runJob(`${work}/shards.sbatch`, task)).code, 0);
  assert.match((await runJob(`${work}/merge.sbatch`)).stderr, /array tasks 3 of 4 did not finish/);

  await Deno.writeTextFile(`${base}/queue`, "101\n");
  const busy = await cli([...args, "--resume"], { env });
  assert.equal(busy.code, 2);
  assert.match(busy.stderr, /jobs 101 of .* are still queued or running; wait for them/);
  await Deno.writeTextFile(`${base}/queue`, "");
  const other = await cli([...args.slice(0, -1), "2", "--resume"], { env });
  assert.equal(other.code, 2);
  assert.match(other.stderr, /was submitted with other options \(its job scripts differ\)/);
  const again = await cli(args, { env });
  assert.equal(again.code, 2, "a second submission without --resume is refused");
  assert.match(again.stderr, /holds an earlier submission of this sweep; --resume re-submits its failed tasks/);

  // Another results directory in the environment is not another sweep: the jobs are handed the new one.
  const elsewhere = { ...env, FAULTLINE_RESULTS: `${base}/elsewhere` };
  const resumed = await cli([...args, "--resume"], { env: elsewhere });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(
    (await Deno.readTextFile(`${work}/shards.sbatch`)).includes(`export FAULTLINE_RESULTS='${base}/elsewhere'`),
  );
  assert.match(resumed.stdout, /submitted job array 103 \(tasks 3 of 4 shards\) and merge job 104/);
  assert.deepEqual((await Deno.readTextFile(`${base}/sbatch.log`)).trim().split("\n").slice(2), [
    `--parsable --array=3 ${work}/shards.sbatch`,
    `--parsable --dependency=afterany:103 ${work}/merge.sbatch`,
  ]);
  assert.equal((await runJob(`${work}/shards.sbatch`, 3)).code, 0);
  const merged = await runJob(`${work}/merge.sbatch`);
  assert.equal(merged.code, 0, merged.stderr);
  const whole = await cli(["sweep", "echo", ...sweepOptions, "--out", `${base}/whole`, "--cache", `${base}/cache`]);
  assert.equal(whole.code, 0, whole.stderr);
  assert.deepEqual(await Deno.readFile(`${base}/merged/results.csv`), await Deno.readFile(`${base}/whole/results.csv`));
  const done = await cli([...args, "--resume"], { env });
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /nothing to re-submit: every array task and the merge finished/);
  await Deno.remove(base, { recursive: true });
});

Deno.test("slurm sweep refuses an --out holding files Faultline did not write, before submitting", async () => {
  const base = await Deno.makeTempDir();
  const env = await fakeSlurm(base);
  await Deno.mkdir(`${base}/mine`);
  await Deno.writeTextFile(`${base}/mine/notes.txt`, "mine");
  const { code, stderr } = await cli(["slurm", "sweep", "echo", "--out", `${base}/mine`], { env });
  assert.equal(code, 2);
  assert.match(stderr, /refusing to merge into .*mine: it holds files Faultline did not write/);
  assert.equal(await exists(`${base}/sbatch.log`), false, "nothing was submitted");
  await Deno.remove(base, { recursive: true });
});

Deno.test("--wait reports a merge job that left the queue without merging, and --resume needs a submission", async () => {
  const base = await Deno.makeTempDir();
  const env = await fakeSlurm(base);
  const args = ["slurm", "sweep", "echo", "--seeds", "1", "--out", `${base}/merged`, "--array-size", "1"];
  const fresh = await cli([...args, "--resume"], { env });
  assert.equal(fresh.code, 2);
  assert.match(fresh.stderr, /--resume: .*merged\.slurm holds no submission of slurm sweep to resume/);
  // The stand-in squeue lists nothing: the merge job is gone (cancelled, say) and recorded no code.
  const waited = await cli([...args, "--wait"], { env });
  assert.equal(waited.code, 2, waited.stderr);
  assert.match(waited.stderr, /merge job 102 ended without merging .*re-submit it with: .*--resume/);
  await Deno.remove(base, { recursive: true });
});
