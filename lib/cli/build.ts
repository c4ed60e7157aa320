/**
 * `faultline build`: the library as an ESM package for Node and tslab notebooks. TypeScript's own
 * compiler (the npm package, run by Node) compiles `lib/node/mod.ts` and everything it imports to
 * `dist/`, one JavaScript file and one type declaration per source, with the `.ts` of relative
 * imports rewritten to `.js`; `dist/mod.js` is the entry that package.json names.
 *
 * The compiler checks the types against Deno's own declarations (from `deno types`), since the
 * library is written for Deno; Node gets Deno's API at run time from `lib/node/deno_shim.ts`.
 * `dist/` is Faultline's: it carries a stamp file with the digest of the sources it was built
 * from, a directory without one is never replaced, and an up-to-date build is not redone.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import { codeVersion } from "../lab/mod.ts";

/** The stamp file in `dist/`: who wrote it, and from which sources. */
export const buildStampName = ".faultline-build";

/** What a build did: where, from which sources, and whether it compiled anything. */
export interface BuildResult {
  dir: string;
  sources: string;
  built: boolean;
}

const compilerOptions = [
  "--module",
  "nodenext",
  "--moduleResolution",
  "nodenext",
  "--target",
  "es2022",
  "--lib",
  "es2023,dom,dom.iterable",
  "--types",
  "node",
  "--strict",
  "--skipLibCheck",
  "--declaration",
  "--allowImportingTsExtensions",
  "--rewriteRelativeImportExtensions",
  "--rootDir",
  "lib",
];

const entryJs = `// Written by ./faultline build: the package's entry, lib/node/mod.ts compiled.
export * from "./node/mod.js";
`;
const entryDts = `export * from "./node/mod.js";\n`;

async function readStamp(dir: string): Promise<string | undefined> {
  const text = await Deno.readTextFile(`${dir}/${buildStampName}`).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return String(JSON.parse(text).sources);
  } catch {
    return "";
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/**
 * Builds `dist/` under `root` unless it is already built from the current sources (`force`
 * builds anyway). Refuses a `dist/` that Faultline did not write.
 */
export async function buildPackage(root: string, options: { force?: boolean } = {}): Promise<BuildResult> {
  const dir = `${root}/dist`;
  const stamp = await readStamp(dir);
  if (stamp === undefined && await exists(dir)) {
    throw new InputError(
      `${dir} exists but was not written by ./faultline build (it has no ${buildStampName} file); move it away`,
    );
  }
  const sources = await codeVersion(`${root}/lib`);
  if (stamp === sources && options.force !== true) return { dir, sources, built: false };
  const compiler = `${root}/node_modules/typescript/bin/tsc`;
  if (!await exists(compiler)) {
    throw new Error(`TypeScript is not installed in ${root}/node_modules (run npm ci in ${root})`);
  }
  // Per process, so that two builds at once never write into each other's output.
  const staging = `${root}/.faultline/dist-staging-${Deno.pid}`;
  const denoTypes = `${root}/.faultline/deno-types-${Deno.pid}.d.ts`;
  try {
    await Deno.mkdir(staging, { recursive: true });
    await Deno.writeFile(denoTypes, await denoDeclarations());
    await compile(root, [compiler, ...compilerOptions, "--outDir", staging, "lib/node/mod.ts", denoTypes]);
    await rewriteWorkerAddresses(staging);
    await Deno.writeTextFile(`${staging}/mod.js`, entryJs);
    await Deno.writeTextFile(`${staging}/mod.d.ts`, entryDts);
    const stampText = JSON.stringify({ writtenBy: "faultline", sources }) + "\n";
    await Deno.writeTextFile(`${staging}/${buildStampName}`, stampText);
    if (await exists(dir)) await Deno.remove(dir, { recursive: true });
    await Deno.rename(staging, dir);
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    await Deno.remove(denoTypes).catch(() => {});
  }
  return { dir, sources, built: true };
}

/** Deno's own type declarations (`deno types`), which the library's sources are checked against. */
async function denoDeclarations(): Promise<Uint8Array> {
  const { success, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["types"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error("deno types failed");
  return stdout;
}

/** Runs the TypeScript compiler with Node; throws with its first lines of errors. */
async function compile(root: string, args: string[]): Promise<void> {
  const { success, stdout } = await new Deno.Command("node", { args, cwd: root, stdout: "piped", stderr: "inherit" })
    .output()
    .catch((error) => {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error("node was not found on PATH (the build needs Node 20)");
      }
      throw error;
    });
  if (!success) {
    const report = new TextDecoder().decode(stdout).split("\n").slice(0, 30).join("\n");
    throw new Error(`the TypeScript compiler failed:\n${report}`);
  }
}

/**
 * A module that starts a worker names the worker's source, `new URL("./worker.ts", import.meta.url)`;
 * the compiler rewrites imports but not addresses, so the build points them at the `.js` file.
 */
export function rewriteWorkerAddress(source: string): string {
  return source.replace(
    /new URL\((["'])(\.{1,2}\/[^"']+)\.ts\1, import\.meta\.url\)/g,
    "new URL($1$2.js$1, import.meta.url)",
  );
}

async function rewriteWorkerAddresses(dir: string): Promise<void> {
  const entries: { name: string; isDirectory: boolean }[] = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry); // order-safe: each is handled alone
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) await rewriteWorkerAddresses(path);
    else if (entry.name.endsWith(".js")) {
      const source = await Deno.readTextFile(path);
      const rewritten = rewriteWorkerAddress(source);
      if (rewritten !== source) await Deno.writeTextFile(path, rewritten);
    }
  }
}
