/**
 * `faultline slurm sweep`: a sweep run on a Slurm cluster as a job array of one task per shard
 * (each `./faultline sweep --shard I/N`) and a merge job that runs after the array (`afterany`)
 * and writes the merged sweep. Everything but the merged sweep goes to `<out>.slurm/`: the two
 * job scripts, `slurm.json` (the job ids), every shard's directory and cache, each task's exit code
 * in `status/` and its log in `logs/`. Without accounting (sacct), the recorded exit codes are how
 * `--resume` knows which tasks failed and `--wait` knows the sweep's code.
 *
 * @example
 * ```ts
 * import { slurmShardsScript } from "./slurm.ts";
 * const script = slurmShardsScript({
 *   sweepArgs: ["echo", "--seeds", "1..3", "--workers", "1"], launcher: "/home/me/faultline/faultline",
 *   out: "/shared/echo", workDir: "/shared/echo.slurm", arraySize: 3, cpusPerTask: 1,
 *   resumeCommand: "./faultline slurm sweep echo --seeds 1..3 --out /shared/echo --resume",
 * });
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import { claimDirectory, isMarked, writeAtomically } from "../lab/mod.ts";
import { integerOption } from "./options.ts";
import { acceptViolations, shardedSweep, shellQuote } from "./_cluster_sweep.ts";
import { installDebianPackages, onPath, succeeds } from "./debian.ts";

/** What the job scripts run, and where. Every path is absolute, on a file system every node sees. */
export interface SlurmSweepPlan {
  /** `EXPERIMENT` and the sweep's options, as `./faultline sweep` takes them (no --out, --cache, --shard). */
  sweepArgs: string[];
  /** The project's `./faultline` launcher. */
  launcher: string;
  /** The merged sweep's directory. */
  out: string;
  /** Scripts, job ids, shards, caches, exit codes and logs: `<out>.slurm`. */
  workDir: string;
  /** How many shards, one array task each. */
  arraySize: number;
  cpusPerTask: number;
  /** The partition; the cluster's default when undefined. */
  partition?: string;
  /** Each job's time limit as sbatch takes it; the partition's when undefined. */
  time?: string;
  /** `FAULTLINE_RESULTS` as the submitting shell has it, handed on to every job when set. */
  results?: string;
  /** The command that re-submits failed tasks, which the merge job prints when shards are missing. */
  resumeCommand: string;
}

/** The largest array: Slurm's default MaxArraySize is 1001, so indices 1..1000. */
const arraySizeMax = 1000;

/** How often `--wait` asks Slurm about the merge job. */
const waitPollMs = 2000;

/** How many failed squeue calls in a row (a minute of them) `--wait` takes for Slurm being gone. */
const squeueFailuresMax = 30;

/** What `slurm.json` says it is, so `--resume` takes only a directory this command wrote. */
const generatedBy = "faultline slurm sweep";

/** The `#SBATCH` lines both jobs share. */
function commonDirectives(plan: SlurmSweepPlan): string[] {
  return [
    ...(plan.partition === undefined ? [] : [`#SBATCH --partition=${plan.partition}`]),
    ...(plan.time === undefined ? [] : [`#SBATCH --time=${plan.time}`]),
    `#SBATCH --chdir=${plan.workDir}`,
  ];
}

/** Shell lines that hand the submitting shell's results directory on, and say why there is none. */
function environmentLines(plan: SlurmSweepPlan): string[] {
  // Jobs may start without the submitting shell's environment (SBATCH_EXPORT=NONE on some clusters).
  return plan.results === undefined ? [] : [`export FAULTLINE_RESULTS=${shellQuote(plan.results)}`];
}

/** Shell lines that record `$code` in `status/NAME`, by rename so a reader never sees half of it. */
function recordCode(plan: SlurmSweepPlan, name: string): string[] {
  const status = `${shellQuote(`${plan.workDir}/status`)}/"${name}"`;
  return [`echo "$code" > ${status}.tmp."$$"`, `mv ${status}.tmp."$$" ${status}`];
}

/** The array job's script: task I runs shard I of N into `shard-I-of-N/` with its own cache. */
export function slurmShardsScript(plan: SlurmSweepPlan): string {
  const n = plan.arraySize;
  const work = shellQuote(plan.workDir);
  return [
    "#!/bin/sh",
    `# Written by faultline slurm sweep: array task I runs shard I/${n} of the sweep into`,
    `# shard-I-of-${n}/ (with its own cache, cache-I/) and records its exit code in status/shard-I.`,
    `#SBATCH --job-name=faultline-${plan.sweepArgs[0]}-shards`,
    `#SBATCH --array=1-${n}`,
    `#SBATCH --cpus-per-task=${plan.cpusPerTask}`,
    ...commonDirectives(plan),
    `#SBATCH --output=${plan.workDir}/logs/shard-%a.out`,
    ...environmentLines(plan),
    `shard="$SLURM_ARRAY_TASK_ID"`,
    `dir=${work}/"shard-$shard-of-${n}"`,
    "# A task re-submitted by --resume continues its shard: the cells it finished come from its cache.",
    `resume=""`,
    `if [ -f "$dir/sweep.json" ]; then resume="--resume"; fi`,
    `${shellQuote(plan.launcher)} sweep ${plan.sweepArgs.map(shellQuote).join(" ")} --shard "$shard/${n}" ` +
    `--out "$dir" --cache ${work}/"cache-$shard" $resume`,
    "code=$?",
    ...recordCode(plan, "shard-$shard"),
    acceptViolations,
    "",
  ].join("\n");
}

/**
 * The merge job's script: it runs after the whole array, whatever became of its tasks, merges the
 * shards into `out` when every task recorded a verdict (0 or 1), and otherwise names the tasks
 * that did not and exits 2, saying how to re-submit them.
 */
export function slurmMergeScript(plan: SlurmSweepPlan): string {
  const n = plan.arraySize;
  const work = shellQuote(plan.workDir);
  const missing = `faultline: array tasks$missing of ${n} did not finish (their logs: ${plan.workDir}/logs/` +
    `shard-I.out); re-submit them with: ${plan.resumeCommand}`;
  return [
    "#!/bin/sh",
    `# Written by faultline slurm sweep: after the array, merges shard-1-of-${n}/ ... shard-${n}-of-${n}/`,
    `# into ${plan.out} and records its exit code in status/merge.`,
    `#SBATCH --job-name=faultline-${plan.sweepArgs[0]}-merge`,
    ...commonDirectives(plan),
    `#SBATCH --output=${plan.workDir}/logs/merge.out`,
    ...environmentLines(plan),
    `missing=""`,
    "set --",
    "shard=1",
    `while [ "$shard" -le ${n} ]; do`,
    `  code="$(cat ${work}/"status/shard-$shard" 2>/dev/null)"`,
    `  if [ "$code" != 0 ] && [ "$code" != 1 ]; then missing="$missing $shard"; fi`,
    `  set -- "$@" ${work}/"shard-$shard-of-${n}"`,
    "  shard=$((shard + 1))",
    "done",
    `if [ -n "$missing" ]; then`,
    `  echo ${shellQuote(missing).replace("$missing", `'"$missing"'`)} >&2`,
    "  code=2",
    "else",
    `  ${shellQuote(plan.launcher)} merge "$@" --out ${shellQuote(plan.out)}`,
    "  code=$?",
    "fi",
    ...recordCode(plan, "merge"),
    acceptViolations,
    "",
  ].join("\n");
}

type Values = Record<string, string | boolean | string[] | undefined>;

/** `word` as typed: quoted only when a shell would take it otherwise. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_.,:=\/+@-]+$/.test(word) ? word : shellQuote(word);
}

/** Characters that sbatch's `#SBATCH` lines, its `%` file patterns or the scripts' quoting would mangle. */
const unsafePathCharacters = /[\s'"%$\\`]/;

function absolute(path: string): string {
  const joined = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  return joined.replace(/\/+$/, "").replace(/\/(\.\/)+/g, "/") || "/";
}

function validatedPartition(partition: string | undefined): string | undefined {
  if (partition === undefined || /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/.test(partition)) return partition;
  throw new InputError(
    `--partition ${JSON.stringify(partition)}: a partition name (or a comma-separated list of them) of letters, ` +
      `digits, '_', '.' and '-'`,
  );
}

/** sbatch's forms of a time limit. */
const timeForms = /^(UNLIMITED|INFINITE|\d+(:\d{1,2}){0,2}|\d+-\d+(:\d{1,2}){0,2})$/;

function validatedTime(time: string | undefined): string | undefined {
  if (time === undefined || timeForms.test(time)) return time;
  const forms = "MINUTES, MINUTES:SECONDS, HOURS:MINUTES:SECONDS, DAYS-HOURS, DAYS-HOURS:MINUTES, " +
    "DAYS-HOURS:MINUTES:SECONDS or UNLIMITED";
  throw new InputError(`--time ${JSON.stringify(time)}: a time limit as sbatch takes it: ${forms}`);
}

function requireScriptSafe(what: string, path: string): void {
  if (!unsafePathCharacters.test(path)) return;
  throw new InputError(
    `${what} ${JSON.stringify(path)}: a path for Slurm's job scripts may not hold white space, quotes, '%', ` +
      `'$', '\\' or '\`'; choose another`,
  );
}

/** The job scripts' plan from the command line, every option validated. */
function planOf(experiment: string, values: Values, root: string): SlurmSweepPlan {
  const arraySize = integerOption("array-size", values["array-size"] as string | undefined, {
    fallback: 4,
    min: 1,
    max: arraySizeMax,
  });
  const cpusPerTask = integerOption("cpus-per-task", values["cpus-per-task"] as string | undefined, {
    fallback: 1,
    min: 1,
    max: 1024,
  });
  integerOption("workers", values.workers as string | undefined, { fallback: 1, min: 1, max: 256 });
  // A task owns only its CPUs: one worker per core of the whole node would oversubscribe them.
  const workers = (values.workers as string | undefined) ?? String(cpusPerTask);
  const { sweepArgs } = shardedSweep(experiment, { ...values, workers });
  const partition = validatedPartition(values.partition as string | undefined);
  const time = validatedTime(values.time as string | undefined);
  const out = absolute(values.out as string);
  const launcher = `${root}/faultline`;
  requireScriptSafe("--out", out);
  requireScriptSafe("the project's directory", root);
  const results = Deno.env.get("FAULTLINE_RESULTS");
  const resumeCommand = [
    launcher,
    "slurm sweep",
    ...sweepArgs.map(shellWord),
    "--out",
    out,
    "--array-size",
    String(arraySize),
    "--cpus-per-task",
    String(cpusPerTask),
    ...(partition === undefined ? [] : ["--partition", partition]),
    ...(time === undefined ? [] : ["--time", time]),
    "--resume",
  ].join(" ");
  return {
    sweepArgs,
    launcher,
    out,
    workDir: `${out}.slurm`,
    arraySize,
    cpusPerTask,
    partition,
    time,
    results: results === undefined ? undefined : absolute(results),
    resumeCommand,
  };
}

/** The job ids of one submission: the array and the merge that runs after it. */
interface Submission {
  array?: string;
  tasks: number[];
  merge: string;
}

interface SlurmRecord {
  generatedBy: string;
  submissions: Submission[];
}

/** Runs `slurm sweep`; returns the exit code (with --wait, the sweep's). */
export async function slurmSweepCommand(experiment: string, values: Values, root: string): Promise<number> {
  const plan = planOf(experiment, values, root);
  const shards = slurmShardsScript(plan);
  const merge = slurmMergeScript(plan);
  const shardsPath = `${plan.workDir}/shards.sbatch`;
  const mergePath = `${plan.workDir}/merge.sbatch`;
  if (values["dry-run"] === true) {
    console.log(`# ${shardsPath} (sbatch --parsable ${shardsPath})\n${shards}`);
    console.log(`# ${mergePath} (sbatch --parsable --dependency=afterany:ARRAY_JOB_ID ${mergePath})\n${merge}`);
    return 0;
  }
  await requireNotForeign(plan.out);
  const resume = values.resume === true;
  const record = resume ? await resumableRecord(plan, shards, merge) : await freshRecord(plan, shards, merge);
  const tasks = resume ? await failedTasks(plan) : Array.from({ length: plan.arraySize }, (_, i) => i + 1);
  if (resume && tasks.length === 0) {
    const code = await recordedCode(`${plan.workDir}/status/merge`);
    if (code === 0 || code === 1) {
      console.log(`nothing to re-submit: every array task and the merge finished; the merged sweep is in ${plan.out}`);
      return code;
    }
  }
  for (const task of tasks) await Deno.remove(`${plan.workDir}/status/shard-${task}`).catch(() => {});
  await Deno.remove(`${plan.workDir}/status/merge`).catch(() => {});
  const submission = await submit(plan, tasks);
  record.submissions.push(submission);
  await writeAtomically(`${plan.workDir}/slurm.json`, JSON.stringify(record, null, 2) + "\n");
  printSubmission(plan, submission);
  if (values.wait !== true) return 0;
  return await waitForMerge(plan, submission.merge);
}

/** Submits the array tasks `tasks` (none: only the merge) and the merge job after them. */
async function submit(plan: SlurmSweepPlan, tasks: number[]): Promise<Submission> {
  const shardsPath = `${plan.workDir}/shards.sbatch`;
  const mergePath = `${plan.workDir}/merge.sbatch`;
  if (tasks.length === 0) return { tasks, merge: await sbatch([mergePath]) };
  const every = tasks.length === plan.arraySize;
  // A command-line --array overrides the script's, so a resumed array holds the failed tasks only.
  const array = await sbatch([...(every ? [] : [`--array=${tasks.join(",")}`]), shardsPath]);
  const merge = await sbatch([`--dependency=afterany:${array}`, mergePath]);
  return { array, tasks, merge };
}

function printSubmission(plan: SlurmSweepPlan, submission: Submission): void {
  const ids = [submission.array, submission.merge].filter((id) => id !== undefined).join(",");
  const array = submission.array === undefined
    ? "no array tasks (every one had finished)"
    : `job array ${submission.array} (tasks ${compactList(submission.tasks)} of ${plan.arraySize} shards)`;
  console.log(`submitted ${array} and merge job ${submission.merge}, which runs after it`);
  console.log(`  watch:   squeue -j ${ids}`);
  console.log(`  logs:    ${plan.workDir}/logs/`);
  console.log(`  merged:  ${plan.out} (when merge job ${submission.merge} is done)`);
  console.log(`  a task failed? ${plan.resumeCommand}`);
}

/** `1-4` for 1,2,3,4; `2,5` otherwise. */
function compactList(tasks: number[]): string {
  const contiguous = tasks.every((task, i) => task === tasks[0] + i);
  return contiguous && tasks.length > 1 ? `${tasks[0]}-${tasks[tasks.length - 1]}` : tasks.join(",");
}

/** Claims the work directory for a first submission and writes its scripts. */
async function freshRecord(plan: SlurmSweepPlan, shards: string, merge: string): Promise<SlurmRecord> {
  if (await Deno.stat(plan.workDir).then(() => true, () => false)) {
    throw new InputError(
      `${plan.workDir} holds an earlier submission of this sweep; --resume re-submits its failed tasks, ` +
        `or remove it to start again`,
    );
  }
  await claimDirectory(plan.workDir, "slurm");
  for (const dir of ["logs", "status"]) await Deno.mkdir(`${plan.workDir}/${dir}`, { recursive: true });
  await writeAtomically(`${plan.workDir}/shards.sbatch`, shards);
  await writeAtomically(`${plan.workDir}/merge.sbatch`, merge);
  return { generatedBy, submissions: [] };
}

/**
 * The record of an earlier submission to the same `out` with the same options, none of whose
 * jobs is still queued or running (re-submitting those would run shards twice at once).
 */
async function resumableRecord(plan: SlurmSweepPlan, shards: string, merge: string): Promise<SlurmRecord> {
  const text = await Deno.readTextFile(`${plan.workDir}/slurm.json`).catch(() => undefined);
  let record: SlurmRecord | undefined;
  try {
    record = text === undefined ? undefined : JSON.parse(text);
  } catch {
    record = undefined;
  }
  if (record?.generatedBy !== generatedBy || !Array.isArray(record.submissions)) {
    throw new InputError(`--resume: ${plan.workDir} holds no submission of slurm sweep to resume (no slurm.json)`);
  }
  const same = async (name: string, script: string) =>
    sweepOf(await Deno.readTextFile(`${plan.workDir}/${name}`).catch(() => "")) === sweepOf(script);
  if (!await same("shards.sbatch", shards) || !await same("merge.sbatch", merge)) {
    throw new InputError(
      `--resume: ${plan.workDir} was submitted with other options (its job scripts differ); give the same ` +
        `options as then, or another --out`,
    );
  }
  const ours = record.submissions.flatMap((s) => [s.array, s.merge]).filter((id) => id !== undefined);
  const queued = await queuedJobs();
  const live = ours.filter((id) => queued.has(id!));
  if (live.length > 0) {
    throw new InputError(
      `--resume: jobs ${live.join(", ")} of ${plan.workDir} are still queued or running; wait for them ` +
        `(squeue -j ${live.join(",")}) or cancel them (scancel ${live.join(" ")}), then resume`,
    );
  }
  // The environment handed on may have changed since (another FAULTLINE_RESULTS): the jobs get today's.
  await writeAtomically(`${plan.workDir}/shards.sbatch`, shards);
  await writeAtomically(`${plan.workDir}/merge.sbatch`, merge);
  return record;
}

/** What a job script runs, without the environment it hands on. */
function sweepOf(script: string): string {
  return script.split("\n").filter((line) => !line.startsWith("export ")).join("\n");
}

/** The array tasks that recorded no verdict: killed, timed out, failed, or never run. */
async function failedTasks(plan: SlurmSweepPlan): Promise<number[]> {
  const failed: number[] = [];
  for (let task = 1; task <= plan.arraySize; task++) {
    const code = await recordedCode(`${plan.workDir}/status/shard-${task}`);
    if (code !== 0 && code !== 1) failed.push(task);
  }
  return failed;
}

/** The exit code a job script recorded at `path`, or undefined when there is none. */
async function recordedCode(path: string): Promise<number | undefined> {
  const text = await Deno.readTextFile(path).catch(() => undefined);
  return text !== undefined && /^\d+\n?$/.test(text) ? Number(text) : undefined;
}

/** Refuses an `out` that holds files Faultline did not write, before a whole sweep runs into it. */
async function requireNotForeign(out: string): Promise<void> {
  const entries: string[] = [];
  try {
    for await (const entry of Deno.readDir(out)) entries.push(entry.name); // order-safe: only counted
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (entries.length > 0 && !await isMarked(out)) {
    throw new InputError(
      `refusing to merge into ${out}: it holds files Faultline did not write; choose another --out`,
    );
  }
}

/** Runs a Slurm client command; its output, or a one-line error naming the command. */
async function slurmCommand(command: string, args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  let output;
  try {
    output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new InputError(
      `${command} was not found: Slurm's commands must be on PATH (on Debian, slurm-client); --dry-run prints ` +
        `the job scripts without Slurm`,
    );
  }
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { ok: output.success, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** Submits a job script; its job id. */
async function sbatch(args: string[]): Promise<string> {
  const { ok, stdout, stderr } = await slurmCommand("sbatch", ["--parsable", ...args]);
  // --parsable prints "ID" or "ID;CLUSTER".
  const id = stdout.split(";")[0];
  if (!ok || !/^\d+$/.test(id)) {
    throw new InputError(`sbatch ${args.join(" ")} failed: ${(stderr || stdout).split("\n").join("; ")}`);
  }
  return id;
}

/** The ids of the user's jobs still in the queue (an array's tasks all go by the array's id). */
async function queuedJobs(): Promise<Set<string>> {
  const { ok, stdout, stderr } = await slurmCommand("squeue", ["--me", "--noheader", "--format=%F"]);
  if (!ok) throw new InputError(`squeue failed: ${stderr.split("\n").join("; ")}`);
  return new Set(stdout.split("\n").map((line) => line.trim()).filter((line) => line !== ""));
}

/**
 * Waits for the merge job's recorded exit code and returns it, reporting on stderr as the job
 * and the array's tasks move on. It waits as long as the jobs take (their --time bounds them);
 * interrupting it leaves the jobs running.
 */
async function waitForMerge(plan: SlurmSweepPlan, merge: string): Promise<number> {
  const codePath = `${plan.workDir}/status/merge`;
  let reported = "";
  let squeueFailures = 0;
  for (;;) {
    const code = await recordedCode(codePath);
    if (code !== undefined) return reportMerge(plan, code);
    const { ok, stdout, stderr } = await slurmCommand("squeue", ["--noheader", "--format=%T", `--jobs=${merge}`]);
    const gone = (ok && stdout === "") || /Invalid job id/i.test(stderr);
    if (gone) {
      const last = await recordedCode(codePath);
      if (last !== undefined) return reportMerge(plan, last);
      console.error(
        `faultline: merge job ${merge} ended without merging (cancelled, timed out or its node failed; see ` +
          `${plan.workDir}/logs/merge.out); re-submit it with: ${plan.resumeCommand}`,
      );
      return 2;
    }
    if (!ok) {
      squeueFailures++;
      if (squeueFailures >= squeueFailuresMax) {
        throw new InputError(`squeue failed ${squeueFailures} times in a row: ${stderr.split("\n").join("; ")}`);
      }
    } else squeueFailures = 0;
    const finished = (await failedTasks(plan)).length;
    const now = `merge job ${merge} ${stdout.toLowerCase() || "unknown"}; ${plan.arraySize - finished}/` +
      `${plan.arraySize} array tasks finished`;
    if (ok && now !== reported) console.error(`faultline: ${now}`);
    if (ok) reported = now;
    await new Promise((resolve) => setTimeout(resolve, waitPollMs));
  }
}

async function reportMerge(plan: SlurmSweepPlan, code: number): Promise<number> {
  const log = await Deno.readTextFile(`${plan.workDir}/logs/merge.out`).catch(() => "");
  const last = log.trim().split("\n").slice(-3).join("\n");
  if (last !== "") console.error(last);
  console.log(`merge finished with exit code ${code}${code <= 1 ? `; the merged sweep is in ${plan.out}` : ""}`);
  return code;
}

/** The Debian packages of a one-node Slurm cluster: the controller, the node daemon, the client, munge. */
const slurmPackages = ["slurm-wlm", "munge"];

/** Whether Slurm's daemons and client and munge's daemon are installed. */
export async function slurmInstalled(): Promise<boolean> {
  const checks = [["slurmctld", "-V"], ["slurmd", "-V"], ["munged", "--version"], ["mungekey", "--version"]];
  for (const [command, flag] of checks) if (!await succeeds(command, [flag])) return false;
  for (const command of ["sbatch", "squeue", "sinfo", "scancel"]) if (!await onPath(command)) return false;
  return true;
}

/**
 * Installs Slurm and munge from Debian packages when root, for the Slurm test; never throws, since
 * only that test needs them (and it says so when they are missing). Returns what became of it.
 */
export async function ensureSlurm(): Promise<string> {
  if (await slurmInstalled()) return "Slurm and munge are installed";
  try {
    await installDebianPackages("Slurm and munge", slurmPackages);
  } catch (error) {
    return `Slurm was not installed, so its test will be skipped: ${(error as Error).message.split("\n")[0]}`;
  }
  return await slurmInstalled()
    ? "Slurm and munge are installed"
    : "Slurm's packages were installed but its commands do not run, so its test will be skipped";
}
