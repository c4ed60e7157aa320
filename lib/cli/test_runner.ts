/**
 * `faultline test`: the whole suite. Format check, lint, type check, unit tests, then every
 * notebook executed headless and its executed copy exported to HTML, where every chart must still
 * be visible. A notebook for the tslab kernel runs on `dist/`, built first, and must print the
 * trace hashes Deno gets; it is skipped, saying why, only where tslab cannot be set up. Ends with
 * the plain line `N passed, N failed` that CI reads; each static check and each notebook counts as
 * one test, and unit tests count one each.
 *
 * @module
 */
import { ensureDenoKernel, ensureJupyter, ensureTslabKernel, executeNotebook, exportNotebookHtml } from "./jupyter.ts";
import { chartsLost } from "./notebook_export.ts";
import { buildPackage } from "./build.ts";
import { compareWithDeno, hashClaims, kernelOf } from "./node_notebook.ts";

interface Tally {
  passed: number;
  failed: number;
  failures: string[];
  /** Notebooks that could not run here, each with its reason printed where it was skipped. */
  skipped: string[];
}

async function runStreaming(args: string[]): Promise<{ success: boolean; tail: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  let tail = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-8192);
  }
  const { success } = await child.status;
  return { success, tail };
}

async function check(tally: Tally, name: string, args: string[]): Promise<void> {
  console.log(`\n== ${name}: deno ${args.join(" ")}`);
  const { success } = await runStreaming(args);
  console.log(`== ${name}: ${success ? "passed" : "FAILED"}`);
  if (success) tally.passed++;
  else {
    tally.failed++;
    tally.failures.push(name);
  }
}

async function unitTests(tally: Tally, filter: string[]): Promise<void> {
  const args = ["test", "--allow-all", "--parallel", ...filter];
  console.log(`\n== unit tests: deno ${args.join(" ")}`);
  const { success, tail } = await runStreaming(args);
  const match = tail.match(/(\d+) passed[^|]*\|\s*(\d+) failed/);
  if (match === null) {
    tally.failed++;
    tally.failures.push("unit tests (no summary line: the test run itself failed)");
    return;
  }
  tally.passed += Number(match[1]);
  tally.failed += Number(match[2]);
  if (!success && Number(match[2]) === 0) {
    tally.failed++;
    tally.failures.push("unit tests (exit code non-zero)");
  } else if (Number(match[2]) > 0) tally.failures.push(`${match[2]} unit tests`);
}

async function notebooks(tally: Tally, root: string): Promise<void> {
  const directory = `${root}/notebooks`;
  const names = [];
  for await (const entry of Deno.readDir(directory)) {
    if (entry.isFile && entry.name.endsWith(".ipynb")) names.push(entry.name);
  }
  names.sort();
  if (names.length === 0) return;
  console.log(`\n== notebooks: executing ${names.length} headless`);
  try {
    await ensureJupyter();
    await ensureDenoKernel();
  } catch (error) {
    console.log(`== notebooks: cannot run: ${(error as Error).message}`);
    tally.failed += names.length;
    tally.failures.push(...names);
    return;
  }
  const outputDir = await Deno.makeTempDir({ prefix: "faultline-notebooks-" });
  let node: Promise<NodeReadiness> | undefined;
  for (const name of names) {
    try {
      const kernel = kernelOf(await Deno.readTextFile(`${directory}/${name}`));
      if (kernel === "tslab") {
        const readiness = await (node ??= prepareNode(root));
        if (readiness.skip !== undefined) {
          console.log(`notebook ${name} ... SKIPPED: ${readiness.skip}`);
          tally.skipped.push(name);
          continue;
        }
      }
      const executed = await executeAndExport(`${directory}/${name}`, outputDir);
      if (kernel === "tslab") await requireDenoHashes(executed);
      console.log(`notebook ${name} ... ok`);
      tally.passed++;
    } catch (error) {
      console.log(`notebook ${name} ... FAILED\n${(error as Error).message}`);
      tally.failed++;
      tally.failures.push(`notebook ${name}`);
    }
  }
  await Deno.remove(outputDir, { recursive: true });
}

/** Whether Node notebooks can run: a reason to skip them, when tslab cannot be set up. */
interface NodeReadiness {
  skip?: string;
}

/**
 * Builds `dist/` (a failure is a failure: the library must build) and sets up the tslab kernel;
 * only a tslab that cannot be installed or registered skips the Node notebooks, with the reason.
 */
async function prepareNode(root: string): Promise<NodeReadiness> {
  const build = await buildPackage(root);
  console.log(`== notebooks: dist/ ${build.built ? "built" : "up to date"} for the tslab kernel`);
  try {
    await ensureTslabKernel(root);
    return {};
  } catch (error) {
    return { skip: `the tslab kernel cannot be set up (${(error as Error).message.split("\n")[0]})` };
  }
}

/** A Node notebook must report the trace hashes Deno gets for the same runs. */
async function requireDenoHashes(executed: string): Promise<void> {
  const claims = hashClaims(await Deno.readTextFile(executed));
  const mismatch = await compareWithDeno(claims);
  if (mismatch !== undefined) throw new Error(`not the run Deno makes: ${mismatch}`);
  for (const claim of claims) {
    console.log(`  ${claim.experiment} seed ${claim.seed}: trace hash ${claim.traceHash} under Node and Deno`);
  }
}

/**
 * Runs a notebook, then exports the executed copy to HTML (cheap: nothing runs twice) and
 * requires every chart of the notebook to be visible in the page, as the README promises.
 */
async function executeAndExport(path: string, outputDir: string): Promise<string> {
  const executed = await executeNotebook(path, outputDir);
  const html = await exportNotebookHtml(executed, outputDir);
  const lost = chartsLost(await Deno.readTextFile(executed), await Deno.readTextFile(html));
  if (lost !== undefined) throw new Error(`exported to HTML: ${lost}`);
  return executed;
}

/** Runs the suite; returns the exit code (0 when nothing failed). */
export async function runTestSuite(options: { root: string; quick: boolean; filter: string[] }): Promise<number> {
  // Tests and notebooks write their results to a temporary directory (every child process
  // inherits this), never into the user's results/, and it is removed at the end.
  const results = await Deno.makeTempDir({ prefix: "faultline-test-results-" });
  const previous = Deno.env.get("FAULTLINE_RESULTS");
  Deno.env.set("FAULTLINE_RESULTS", results);
  try {
    return await runSuite(options);
  } finally {
    if (previous === undefined) Deno.env.delete("FAULTLINE_RESULTS");
    else Deno.env.set("FAULTLINE_RESULTS", previous);
    await Deno.remove(results, { recursive: true });
  }
}

async function runSuite(options: { root: string; quick: boolean; filter: string[] }): Promise<number> {
  const tally: Tally = { passed: 0, failed: 0, failures: [], skipped: [] };
  if (!options.quick) {
    await check(tally, "format", ["fmt", "--check"]);
    await check(tally, "lint", ["lint"]);
    await check(tally, "type check", ["check", "lib/"]);
  }
  await unitTests(tally, options.filter);
  if (!options.quick) await notebooks(tally, options.root);
  if (tally.skipped.length > 0) console.log(`\nskipped: ${tally.skipped.join(", ")}`);
  if (tally.failures.length > 0) console.log(`\nfailed: ${tally.failures.join(", ")}`);
  console.log(`\n${tally.passed} passed, ${tally.failed} failed`);
  return tally.failed === 0 ? 0 : 1;
}
