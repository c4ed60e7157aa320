/**
 * Writing results safely. Faultline writes only inside directories it created or that carry its
 * marker file ({@linkcode markerName}); anything else is refused naming the path. Every file is
 * written under a temporary name only Faultline uses (`.faultline-tmp-<pid>-<name>`, or a staging
 * directory `.faultline-staging-<pid>-<name>` for a whole run) and renamed into place, so a killed
 * process never leaves a half-written result, and the temporaries of a process that is no longer
 * alive are removed by the next write into the same directory. Every written file gets a content
 * hash, so a stored result can be verified before it is reused, reported or replayed.
 *
 * @example
 * ```ts
 * import { writeResultDir } from "./files.ts";
 * const dir = `${await Deno.makeTempDir()}/run`;
 * await writeResultDir(dir, { "figures.json": "{}\n" }, { kind: "run" });
 * ```
 * @module
 */
import { InputError } from "../assert.ts";

/** The file that marks a directory as Faultline's: it may write, replace and clean up inside it. */
export const markerName = ".faultline-results";

/** What a marked directory holds. */
export type DirectoryKind = "run" | "sweep" | "cache" | "shrink" | "rca" | "slurm";

/** Names only Faultline uses for files and directories that exist while they are being written. */
const temporaryPattern = /^\.faultline-(tmp|staging|old)-(\d+)-/;

/** Thrown when Faultline is asked to write into a directory it does not own. */
export class ForeignDirectoryError extends InputError {
  constructor(readonly path: string, reason: string) {
    super(
      `refusing to write into ${path}: ${reason}; Faultline writes only in directories it created ` +
        `(they carry a ${markerName} file). Choose another directory (--out), or move that one away yourself`,
    );
  }
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function entryNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name); // order-safe: sorted next
  return names.sort();
}

function parentOf(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const slash = trimmed.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : trimmed.slice(0, slash);
}

function baseOf(path: string): string {
  return path.replace(/\/+$/, "").split("/").pop()!;
}

/** Whether `dir` carries Faultline's marker. */
export async function isMarked(dir: string): Promise<boolean> {
  return (await statOrUndefined(`${dir}/${markerName}`))?.isFile === true;
}

function markerText(kind: DirectoryKind): string {
  return JSON.stringify({ writtenBy: "faultline", kind }) + "\n";
}

/**
 * Makes `dir` Faultline's: creates it (with its parents) and marks it, marks it when it exists
 * but is empty (nothing in it can be lost), accepts it when it is already marked, and refuses it
 * otherwise. Also removes the temporaries that dead processes left in it.
 */
export async function claimDirectory(dir: string, kind: DirectoryKind): Promise<void> {
  const info = await statOrUndefined(dir);
  if (info !== undefined && !info.isDirectory) throw new ForeignDirectoryError(dir, "it is a file, not a directory");
  if (info === undefined) await Deno.mkdir(dir, { recursive: true });
  else if (!await isMarked(dir)) {
    const names = await entryNames(dir);
    if (names.length > 0) {
      throw new ForeignDirectoryError(dir, `it already holds files Faultline did not write (${listed(names)})`);
    }
  }
  if (!await isMarked(dir)) await Deno.writeTextFile(`${dir}/${markerName}`, markerText(kind));
  await removeStaleTemporaries(dir);
}

function listed(names: string[]): string {
  const shown = names.slice(0, 3).join(", ");
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}

function processAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (error) {
    // Not found: no such process (or no /proc, where liveness is unknown and the writer is taken
    // to be gone). Any other error (permissions): better to keep the file than to break a writer.
    return !(error instanceof Deno.errors.NotFound);
  }
}

/**
 * Removes the temporaries (named only as Faultline names them) that processes no longer alive
 * left in `dir`; a live writer's are kept, since it will still rename them. Returns their names.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await entryNames(dir)) {
    const match = name.match(temporaryPattern);
    if (match === null || processAlive(Number(match[2]))) continue;
    await Deno.remove(`${dir}/${name}`, { recursive: true });
    removed.push(name);
  }
  return removed;
}

/** The temporary name `path` is written under before it is renamed into place. */
export function temporaryPathOf(path: string): string {
  return `${parentOf(path)}/.faultline-tmp-${Deno.pid}-${baseOf(path)}`;
}

/**
 * Writes `contents` to `path` through a temporary file and a rename. The caller owns the directory
 * (it claimed it); a directory in the way is refused.
 */
export async function writeAtomically(path: string, contents: string | Uint8Array): Promise<void> {
  if ((await statOrUndefined(path))?.isDirectory) throw new ForeignDirectoryError(path, "a directory is in the way");
  const temporary = temporaryPathOf(path);
  if (typeof contents === "string") await Deno.writeTextFile(temporary, contents);
  else await Deno.writeFile(temporary, contents);
  await Deno.rename(temporary, path);
}

/** Marks a page as Faultline's, so it may later be replaced by a newer one (and nothing else may). */
export const generatorMeta = '<meta name="generator" content="Faultline">';

/**
 * Refuses to let a page be written at `path` unless nothing is there or a page Faultline wrote
 * (one carrying {@linkcode generatorMeta} near its top).
 */
export async function requireReplaceablePage(path: string): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new InputError(`refusing to write ${path}: ${(error as Error).message}`);
  }
  if (!text.slice(0, 400).includes(generatorMeta)) {
    throw new InputError(`refusing to overwrite ${path}: it is not a page Faultline wrote; choose another path`);
  }
}

/** Options of {@linkcode writeResultDir}. */
export interface ResultDirOptions {
  kind: DirectoryKind;
  /**
   * Names Faultline may have written into an earlier directory at the same path besides `files`
   * (reports written later, say). An earlier directory holding anything else is refused.
   */
  replaceable?: (name: string) => boolean;
}

/**
 * Writes `files` (name to contents) as directory `dir`, replacing an earlier one atomically. The
 * earlier directory must be Faultline's (marked, or empty) and hold only files Faultline writes
 * there; otherwise nothing is written and the path is named.
 */
export async function writeResultDir(
  dir: string,
  files: Record<string, string | Uint8Array>,
  options: ResultDirOptions,
): Promise<void> {
  const parent = parentOf(dir);
  const base = baseOf(dir);
  const hadOld = await checkReplaceable(dir, files, options);
  await Deno.mkdir(parent, { recursive: true });
  await removeStaleTemporaries(parent);
  const staging = `${parent}/.faultline-staging-${Deno.pid}-${base}`;
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  await Deno.mkdir(staging);
  await Deno.writeTextFile(`${staging}/${markerName}`, markerText(options.kind));
  for (const [name, contents] of Object.entries(files)) {
    // A name may sit in a subdirectory (a merged sweep's `histories/<key>.jsonl`).
    if (name.includes("/")) await Deno.mkdir(parentOf(`${staging}/${name}`), { recursive: true });
    if (typeof contents === "string") await Deno.writeTextFile(`${staging}/${name}`, contents);
    else await Deno.writeFile(`${staging}/${name}`, contents);
  }
  // rename() cannot replace a non-empty directory: move the old one aside first, then drop it.
  const old = `${parent}/.faultline-old-${Deno.pid}-${base}`;
  if (hadOld) await Deno.rename(dir, old);
  await Deno.rename(staging, dir);
  if (hadOld) await Deno.remove(old, { recursive: true });
}

async function checkReplaceable(
  dir: string,
  files: Record<string, string | Uint8Array>,
  options: ResultDirOptions,
): Promise<boolean> {
  const info = await statOrUndefined(dir);
  if (info === undefined) return false;
  if (!info.isDirectory) throw new ForeignDirectoryError(dir, "it is a file, not a directory");
  const names = await entryNames(dir);
  if (names.length === 0) return true;
  if (!names.includes(markerName)) {
    throw new ForeignDirectoryError(dir, `it already holds files Faultline did not write (${listed(names)})`);
  }
  const foreign = names.filter((name) =>
    name !== markerName && !(name in files) && !Object.keys(files).some((file) => file.startsWith(`${name}/`)) &&
    !temporaryPattern.test(name) && !(options.replaceable?.(name) ?? false)
  );
  if (foreign.length > 0) {
    throw new ForeignDirectoryError(dir, `it holds files Faultline did not write there (${listed(foreign)})`);
  }
  return true;
}

/** The SHA-256 of `contents` (text as UTF-8), as 64 hex digits. */
export async function contentHash(contents: string | Uint8Array): Promise<string> {
  const bytes = typeof contents === "string" ? new TextEncoder().encode(contents) : contents;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The content hash of each file, by name. */
export async function contentHashes(files: Record<string, string | Uint8Array>): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const [name, contents] of Object.entries(files)) hashes[name] = await contentHash(contents);
  return hashes;
}

/**
 * The hash of a JSON record with its own `hashField` left out, so the record can carry the hash of
 * the rest of itself: any edited field shows as a mismatch.
 */
export async function recordHash(record: Record<string, unknown>, hashField: string): Promise<string> {
  const rest = { ...record };
  delete rest[hashField];
  return await contentHash(JSON.stringify(rest));
}

/**
 * What differs between the files in `dir` and the hashes recorded when they were written: one
 * line per file that is missing or was changed. Empty when everything matches.
 */
export async function changedFiles(dir: string, hashes: Record<string, string>): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, expected] of Object.entries(hashes).sort(([a], [b]) => a.localeCompare(b))) {
    const bytes = await Deno.readFile(`${dir}/${name}`).catch(() => undefined);
    if (bytes === undefined) problems.push(`${name} is missing`);
    else if (await contentHash(bytes) !== expected) problems.push(`${name} was changed after Faultline wrote it`);
  }
  return problems;
}

/**
 * What does not match in a stored result directory: the manifest's own hash (`manifestHash`),
 * then each file listed in its `files`. One line per problem, naming the file; empty when the
 * directory is as Faultline wrote it.
 */
export async function verifyStored(dir: string, manifest: Record<string, unknown>): Promise<string[]> {
  const files = manifest.files;
  if (typeof manifest.manifestHash !== "string" || typeof files !== "object" || files === null) {
    return ["manifest.json records no content hashes (written by an older Faultline, or edited)"];
  }
  const problems: string[] = [];
  if (await recordHash(manifest, "manifestHash") !== manifest.manifestHash) {
    problems.push("manifest.json was changed after Faultline wrote it");
  }
  return [...problems, ...await changedFiles(dir, files as Record<string, string>)];
}

/**
 * Where results go by default: `results/` in the project, or the directory named by the
 * environment variable `FAULTLINE_RESULTS` (the test suite points it at a temporary directory,
 * so tests never fill the user's `results/`).
 */
export function resultsRoot(projectRoot: string): string {
  const override = Deno.env.get("FAULTLINE_RESULTS");
  return override === undefined || override === "" ? `${projectRoot}/results` : override.replace(/\/+$/, "");
}

/** The project's git commit and whether the work tree is dirty, when git is available. */
export async function gitVersion(): Promise<{ commit: string; dirty: boolean } | undefined> {
  try {
    const head = await new Deno.Command("git", { args: ["rev-parse", "HEAD"], stderr: "null" }).output();
    if (!head.success) return undefined;
    const status = await new Deno.Command("git", { args: ["status", "--porcelain"], stderr: "null" }).output();
    return {
      commit: new TextDecoder().decode(head.stdout).trim(),
      dirty: new TextDecoder().decode(status.stdout).trim() !== "",
    };
  } catch {
    return undefined;
  }
}

/**
 * Rows as CSV with a header: the columns of every row, in the order first seen; a value a row
 * lacks (or holds as null) is an empty field. Values are numbers, booleans or plain strings.
 */
export function toCsv(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "";
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const quote = (v: unknown) => {
    if (v === undefined || v === null) return "";
    const text = String(v);
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [columns.join(","), ...rows.map((r) => columns.map((c) => quote(r[c])).join(","))].join("\n") + "\n";
}
