// Proves `k8s sweep` prints Jobs with the fields Kubernetes needs, of the right types (an Indexed
// Job of N completions whose pods run `sweep --shard $((JOB_COMPLETION_INDEX+1))/N` on a shared
// volume, and a merge Job), and that the pods' shell scripts, run as Kubernetes would run them,
// produce the merged sweep one machine would have written.
import assert from "node:assert/strict";
import { cli } from "./_cli_testing.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const sweepOptions = ["--grid", "clients=2,5", "--param", "durationUs=300000", "--seeds", "1..2"];

type Json = Record<string, unknown>;

// deno-lint-ignore no-explicit-any
function podSpec(job: any): any {
  return job.spec.template.spec;
}

Deno.test("k8s sweep prints an Indexed Job of N shards and a merge Job, with every field of the right type", async () => {
  const args = ["k8s", "sweep", "echo", ...sweepOptions, "--image", "faultline:dev", "--volume", "sweeps"];
  const { code, stdout, stderr } = await cli([...args, "--shards", "3", "--parallelism", "2", "--name", "demo"]);
  assert.equal(code, 0, stderr);
  const list = JSON.parse(stdout);
  assert.equal(list.kind, "List");
  const [shards, merge] = list.items;
  for (const job of [shards, merge]) {
    assert.equal(job.apiVersion, "batch/v1");
    assert.equal(job.kind, "Job");
    assert.equal(typeof job.metadata.name, "string");
    const pod = podSpec(job);
    assert.equal(pod.restartPolicy, "Never");
    const container = pod.containers[0];
    assert.equal(container.image, "faultline:dev");
    assert.ok(Array.isArray(container.command) && container.command.every((c: unknown) => typeof c === "string"));
    assert.ok(Array.isArray(container.env) && container.env.every((e: Json) => typeof e.name === "string"));
    assert.deepEqual(pod.volumes, [{ name: "results", persistentVolumeClaim: { claimName: "sweeps" } }]);
    assert.equal(container.volumeMounts[0].name, "results");
    assert.equal(Number.isInteger(job.spec.parallelism) && Number.isInteger(job.spec.completions), true);
  }
  assert.equal(shards.spec.completionMode, "Indexed");
  assert.equal(shards.spec.completions, 3);
  assert.equal(shards.spec.parallelism, 2);
  assert.match(podSpec(shards).containers[0].command[2], /--shard "\$shard\/3"/);
  assert.match(podSpec(shards).containers[0].command[2], /shard=\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/);
  assert.match(podSpec(merge).containers[0].command[2], /\.\/faultline merge .* --out '\/results\/demo\/merged'/);

  const bad = await cli([...args, "--grid", "client=1"]);
  assert.equal(bad.code, 2, "a bad sweep is refused here, not in N pods");
  assert.match(bad.stderr, /unknown parameter "client"/);
  assert.equal((await cli([...args, "--shards", "0"])).code, 2);
  assert.match((await cli(["k8s", "sweep", "echo", "--volume", "v"])).stderr, /needs --image/);
});

Deno.test("k8s sweep --out writes the manifests and replaces only a file it wrote", async () => {
  const dir = await Deno.makeTempDir();
  const args = ["k8s", "sweep", "echo", "--image", "i", "--volume", "v", "--out", `${dir}/jobs.json`];
  assert.equal((await cli(args)).code, 0);
  assert.equal((await cli(args)).code, 0, "its own file is replaced");
  await Deno.writeTextFile(`${dir}/mine.json`, '{"kind": "List", "items": []}');
  const refused = await cli([...args.slice(0, -1), `${dir}/mine.json`]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /refusing to overwrite .*mine\.json: it is not a manifest Faultline wrote/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the pods' scripts, run as an Indexed Job runs them, merge into the sweep one machine writes", async () => {
  const base = await Deno.makeTempDir();
  const printed = await cli(["k8s", "sweep", "echo", ...sweepOptions, "--image", "i", "--volume", "v", "--name", "t"]);
  // The volume is mounted at /results in a pod; here it is a temporary directory.
  const list = JSON.parse(printed.stdout.replaceAll("/results/", `${base}/`));
  const [shards, merge] = list.items;
  const run = async (job: Json, env: Record<string, string>) => {
    const [shell, flag, script] = podSpec(job).containers[0].command as string[];
    const output = await new Deno.Command(shell, { args: [flag, script], cwd: root, env }).output();
    return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
  };
  for (let index = 0; index < shards.spec.completions; index++) {
    const pod = await run(shards, { JOB_COMPLETION_INDEX: String(index), FAULTLINE_RESULTS: `${base}/t` });
    assert.equal(pod.code, 0, pod.stderr);
  }
  const merged = await run(merge, { FAULTLINE_RESULTS: `${base}/t` });
  assert.equal(merged.code, 0, merged.stderr);
  const whole = await cli(["sweep", "echo", ...sweepOptions, "--out", `${base}/whole`, "--cache", `${base}/cache`]);
  assert.equal(whole.code, 0, whole.stderr);
  assert.deepEqual(
    await Deno.readFile(`${base}/t/merged/results.csv`),
    await Deno.readFile(`${base}/whole/results.csv`),
  );
  await Deno.remove(base, { recursive: true });
});
