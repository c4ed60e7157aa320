// Proves `slurm sweep` on a real Slurm cluster (one node on this machine, started by the test):
// a sweep submitted as an array of 4 tasks and a merge job, waited for with --wait, merges into
// the table a single machine writes, byte for byte; and --resume re-submits only the task whose
// shard was lost, and the merge after it. Skipped, saying why, where Slurm is not installed.
import assert from "node:assert/strict";
import { cli } from "./_cli_testing.ts";
import { slurmClusterUnavailable, startSlurmCluster } from "./_slurm_cluster_testing.ts";

const sweepOptions = ["--grid", "clients=2,5", "--param", "durationUs=300000", "--seeds", "1..3"];

/** The longest a submission may take before the test gives up on it (and kills the CLI). */
const submissionMs = 300_000;

const unavailable = await slurmClusterUnavailable();
if (unavailable !== undefined) console.log(`slurm_cluster_test.ts: skipped: ${unavailable}`);

Deno.test({
  name: "slurm sweep on a one-node cluster: 4 array tasks and the merge give the single machine's table, " +
    `and --resume re-runs a lost shard${unavailable === undefined ? "" : ` (skipped: ${unavailable})`}`,
  ignore: unavailable !== undefined,
  fn: async () => {
    const base = await Deno.makeTempDir({ prefix: "faultline-slurm-test-" });
    const cluster = await startSlurmCluster();
    const submit = async (extra: string[]) => {
      const args = ["slurm", "sweep", "echo", ...sweepOptions, "--out", `${base}/merged`, "--array-size", "4"];
      return await cli([...args, ...extra, "--wait"], {
        env: cluster.env,
        signal: AbortSignal.timeout(submissionMs),
      });
    };
    try {
      const whole = await cli(["sweep", "echo", ...sweepOptions, "--out", `${base}/whole`, "--cache", `${base}/c`]);
      assert.equal(whole.code, 0, whole.stderr);
      const first = await submit([]);
      assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
      assert.match(first.stdout, /submitted job array \d+ \(tasks 1-4 of 4 shards\) and merge job \d+/);
      assert.match(first.stdout, /watch: +squeue -j \d+,\d+/);
      for (const name of ["results.csv", "results.arrow", "sweep.json"]) {
        assert.deepEqual(await Deno.readFile(`${base}/merged/${name}`), await Deno.readFile(`${base}/whole/${name}`));
      }

      // A task whose shard is lost (its node died before it recorded a verdict) is what --resume re-submits.
      const work = `${base}/merged.slurm`;
      await Deno.remove(`${work}/shard-3-of-4`, { recursive: true });
      await Deno.remove(`${work}/status/shard-3`);
      const resumed = await submit(["--resume"]);
      assert.equal(resumed.code, 0, `${resumed.stdout}\n${resumed.stderr}`);
      assert.match(resumed.stdout, /submitted job array \d+ \(tasks 3 of 4 shards\)/);
      assert.deepEqual(
        await Deno.readFile(`${base}/merged/results.csv`),
        await Deno.readFile(`${base}/whole/results.csv`),
      );
      const again = await submit(["--resume"]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /nothing to re-submit/);
    } finally {
      await cluster.stop();
      await Deno.remove(base, { recursive: true });
    }
  },
});
