/**
 * `faultline k8s sweep`: the Kubernetes manifests that run a sweep's shards as an Indexed Job
 * (one pod per shard, `--shard $((JOB_COMPLETION_INDEX+1))/N`) on a shared volume, and a merge
 * Job that waits for every shard's manifest and merges them. The output is JSON, which is valid
 * YAML, so `kubectl apply -f` takes it and Faultline needs no YAML library.
 *
 * @example
 * ```ts
 * import { k8sSweepManifest } from "./k8s.ts";
 * const list = k8sSweepManifest({
 *   name: "faultline-echo", sweepArgs: ["echo", "--seeds", "1..3"], image: "faultline:dev", claim: "results",
 *   shards: 3, parallelism: 3,
 * });
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import { digestText } from "../base/mod.ts";
import { writeAtomically } from "../lab/mod.ts";
import { integerOption } from "./options.ts";
import { acceptViolations, shardedSweep, shellQuote } from "./_cluster_sweep.ts";

/** What the manifests run. */
export interface K8sSweepOptions {
  /** The Jobs' name prefix (a DNS label): `<name>-shards` and `<name>-merge`. */
  name: string;
  /** `EXPERIMENT` and the sweep's options, as `./faultline sweep` takes them (no --out, --cache, --shard). */
  sweepArgs: string[];
  /** The container image; its working directory holds `./faultline`. */
  image: string;
  /** The PersistentVolumeClaim every pod mounts (ReadWriteMany when shards run on several nodes). */
  claim: string;
  shards: number;
  parallelism: number;
}

/** Where the claim is mounted in every pod. */
const mountPath = "/results";

/** Marks the Jobs as Faultline's, so `--out` may replace a file it wrote and nothing else. */
const generatedBy = { "faultline/generated-by": "faultline k8s sweep" };

/** How long the merge Job waits for the shards' manifests: 8640 polls of 10 s, a day. */
const mergeWaitPollsMax = 8640;

/** A Kubernetes List of the shards' Indexed Job and the merge Job. */
export function k8sSweepManifest(options: K8sSweepOptions): Record<string, unknown> {
  const root = `${mountPath}/${options.name}`;
  const count = options.shards;
  const sweep = [
    "shard=$((JOB_COMPLETION_INDEX + 1))",
    `./faultline sweep ${options.sweepArgs.map(shellQuote).join(" ")} --shard "$shard/${count}" ` +
    // Each shard caches into its own directory: pods share no process ids, so one pod must never
    // take another's temporaries for a dead process's and clean them up.
    `--out "${root}/shard-$shard-of-${count}" --cache "${root}/cache-$shard"`,
    `code=$?; ${acceptViolations}`,
  ].join("\n");
  const dirs = Array.from({ length: count }, (_, i) => `${root}/shard-${i + 1}-of-${count}`);
  const merge = [
    `for dir in ${dirs.map(shellQuote).join(" ")}; do`,
    "  polls=0",
    `  until [ -f "$dir/manifest.json" ]; do`,
    `    polls=$((polls + 1)); if [ "$polls" -gt ${mergeWaitPollsMax} ]; then echo "no $dir/manifest.json" >&2; exit 2; fi`,
    "    sleep 10",
    "  done",
    "done",
    `./faultline merge ${dirs.map(shellQuote).join(" ")} --out ${shellQuote(`${root}/merged`)}`,
    `code=$?; ${acceptViolations}`,
  ].join("\n");
  const shardsJob = job(`${options.name}-shards`, options, sweep, {
    completionMode: "Indexed",
    completions: count,
    parallelism: options.parallelism,
    backoffLimit: 2 * count,
  });
  const mergeJob = job(`${options.name}-merge`, options, merge, { completions: 1, parallelism: 1, backoffLimit: 2 });
  return { apiVersion: "v1", kind: "List", items: [shardsJob, mergeJob] };
}

function job(
  name: string,
  options: K8sSweepOptions,
  script: string,
  spec: Record<string, unknown>,
): Record<string, unknown> {
  const labels = { "app.kubernetes.io/name": "faultline", "app.kubernetes.io/instance": options.name };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels, annotations: generatedBy },
    spec: {
      ...spec,
      // Bad input (exit 2) fails the same way on every retry: fail the Job at once.
      podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [2] } }] },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          containers: [{
            name: "faultline",
            image: options.image,
            command: ["/bin/sh", "-c", script],
            env: [{ name: "FAULTLINE_RESULTS", value: `${mountPath}/${options.name}` }],
            volumeMounts: [{ name: "results", mountPath }],
          }],
          volumes: [{ name: "results", persistentVolumeClaim: { claimName: options.claim } }],
        },
      },
    },
  };
}

type Values = Record<string, string | boolean | string[] | undefined>;

/** Runs `k8s sweep`: validates the sweep here, then prints (or writes with --out) the manifests. */
export async function k8sSweepCommand(experiment: string, values: Values): Promise<number> {
  const { spec, sweepArgs } = shardedSweep(experiment, values);
  const shards = integerOption("shards", values.shards as string | undefined, { fallback: 4, min: 1, max: 10_000 });
  const parallelism = integerOption("parallelism", values.parallelism as string | undefined, {
    fallback: shards,
    min: 1,
    max: 10_000,
  });
  const name = (values.name as string | undefined) ??
    `faultline-${experiment.toLowerCase().replace(/[^a-z0-9-]/g, "-")}-${digestText(JSON.stringify(spec)).slice(0, 8)}`;
  if (!/^[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$/.test(name)) {
    throw new InputError(
      `--name ${JSON.stringify(name)}: a Job name must be lower-case letters, digits and '-', start and end ` +
        `with a letter or digit, at most 52 characters`,
    );
  }
  const manifest = k8sSweepManifest({
    name,
    sweepArgs,
    image: values.image as string,
    claim: values.volume as string,
    shards,
    parallelism,
  });
  const text = JSON.stringify(manifest, null, 2) + "\n";
  const out = values.out as string | undefined;
  if (out === undefined) {
    console.log(text.trimEnd());
    return 0;
  }
  await requireReplaceableManifest(out);
  await writeAtomically(out, text);
  console.log(`wrote ${out}: kubectl apply -f ${out}; the merged sweep lands in ${mountPath}/${name}/merged`);
  return 0;
}

/** Refuses to overwrite `path` unless nothing is there or manifests this command wrote. */
async function requireReplaceableManifest(path: string): Promise<void> {
  const text = await Deno.readTextFile(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new InputError(`refusing to write ${path}: ${(error as Error).message}`);
  });
  if (text === undefined) return;
  let items: { metadata?: { annotations?: Record<string, string> } }[] | undefined;
  try {
    items = JSON.parse(text).items;
  } catch {
    items = undefined;
  }
  const ours = Array.isArray(items) && items.length > 0 &&
    items.every((item) =>
      item?.metadata?.annotations?.["faultline/generated-by"] === generatedBy["faultline/generated-by"]
    );
  if (!ours) {
    throw new InputError(`refusing to overwrite ${path}: it is not a manifest Faultline wrote; choose another path`);
  }
}
