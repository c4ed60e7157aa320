/**
 * Jupyter set-up: Jupyter itself comes from Debian packages (PyPI is not reachable where
 * Faultline runs), and Deno's kernel is registered pointing at the project's own Deno.
 *
 * @module
 */
import { installDebianPackages, run, succeeds } from "./debian.ts";

const debianPackages = ["jupyter-notebook", "jupyter-nbconvert", "python3-nbclient", "python3-ipykernel"];

/** Makes sure `jupyter nbconvert` works, installing Debian's packages when root; explains otherwise. */
export async function ensureJupyter(): Promise<void> {
  if (await succeeds("jupyter", ["nbconvert", "--version"])) return;
  await installDebianPackages("Jupyter (with nbconvert)", debianPackages);
}

/** Registers Deno's Jupyter kernel (name `deno`) for this project's Deno binary. */
export async function ensureDenoKernel(): Promise<void> {
  await run(Deno.execPath(), ["jupyter", "--install", "--force"]).catch(async () => {
    await run(Deno.execPath(), ["jupyter", "--install"]);
  });
}

/** The tslab version package.json pins (an optional dependency: npm ci skips it if it cannot install). */
async function pinnedTslab(root: string): Promise<string> {
  const manifest = JSON.parse(await Deno.readTextFile(`${root}/package.json`));
  const version = manifest.optionalDependencies?.tslab ?? manifest.dependencies?.tslab;
  if (typeof version !== "string") throw new Error(`${root}/package.json names no tslab version`);
  return version;
}

/**
 * Makes sure tslab (the Node kernel) is in the project's node_modules, installing the pinned
 * version with npm when the optional install left it out, and registers its kernel (name
 * `tslab`) for the current user, started by the project's own tslab and Debian's Python.
 */
export async function ensureTslabKernel(root: string): Promise<void> {
  const tslab = `${root}/node_modules/.bin/tslab`;
  if (!(await succeeds(tslab, ["--version"]))) {
    const version = await pinnedTslab(root);
    console.error(`faultline: installing tslab ${version} into ${root}/node_modules (npm)...`);
    await run("npm", ["install", "--prefix", root, "--no-save", "--no-audit", "--no-fund", `tslab@${version}`])
      .catch((error) => {
        throw new Error(`tslab could not be installed with npm: ${(error as Error).message}`);
      });
    if (!(await succeeds(tslab, ["--version"]))) throw new Error(`tslab was installed but ${tslab} does not run`);
  }
  const python = (await succeeds("/usr/bin/python3", ["--version"])) ? "/usr/bin/python3" : "python3";
  await run(tslab, ["install", `--python=${python}`, `--binary=${tslab}`, "--user"]);
}

/**
 * Executes a notebook headless into `outputDir`; returns the executed copy's path. Throws with
 * nbconvert's output if a cell fails.
 */
export async function executeNotebook(path: string, outputDir: string): Promise<string> {
  const { success, stderr } = await new Deno.Command("jupyter", {
    args: [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      "--ExecutePreprocessor.timeout=900",
      "--output-dir",
      outputDir,
      path,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(new TextDecoder().decode(stderr).split("\n").slice(-40).join("\n"));
  return `${outputDir}/${path.slice(path.lastIndexOf("/") + 1)}`;
}

/**
 * Exports a notebook (already executed: exporting does not run it again) to HTML in `outputDir`
 * with nbconvert's default template; returns the page's path. Throws with nbconvert's output if it fails.
 */
export async function exportNotebookHtml(path: string, outputDir: string): Promise<string> {
  const { success, stderr } = await new Deno.Command("jupyter", {
    args: ["nbconvert", "--to", "html", "--output-dir", outputDir, path],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(new TextDecoder().decode(stderr).split("\n").slice(-40).join("\n"));
  const name = path.slice(path.lastIndexOf("/") + 1).replace(/\.ipynb$/, "");
  return `${outputDir}/${name}.html`;
}

/** Starts the classic notebook server in `notebooks/`. */
export async function startNotebook(directory: string, extraArgs: string[]): Promise<void> {
  // The classic server refuses to run as root without this flag; root is the norm in containers.
  const rootFlag = Deno.uid() === 0 && !extraArgs.includes("--allow-root") ? ["--allow-root"] : [];
  await run("jupyter", ["notebook", `--notebook-dir=${directory}`, ...rootFlag, ...extraArgs]);
}
