/**
 * The part of Deno's runtime API that the library uses, for Node: files, directories, the
 * environment, child processes and the process's facts. The library stays written for Deno; under
 * Node this module installs `globalThis.Deno` with that subset before any other module runs (the
 * package's entry imports it first). Under Deno it does nothing.
 *
 * Only what `lib/` calls is here, with Deno's semantics where they differ from Node's (errors are
 * `Deno.errors.*`, `readDir` yields entries, `writeTextFile` honours `createNew`). A call outside
 * the subset fails with a TypeError naming the missing function, not with a wrong answer.
 *
 * @module
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import * as threads from "node:worker_threads";
import { createRequire } from "node:module";

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;

/** Whether this process runs under Deno (then nothing is installed). */
export const underDeno: boolean = typeof scope.Deno?.version?.deno === "string";

class NotFound extends Error {}
class AlreadyExists extends Error {}
class PermissionDenied extends Error {}
class IsADirectory extends Error {}
class NotADirectory extends Error {}
class NotEmpty extends Error {}

const errorsByCode: Record<string, new (message: string) => Error> = {
  ENOENT: NotFound,
  EEXIST: AlreadyExists,
  EACCES: PermissionDenied,
  EPERM: PermissionDenied,
  EISDIR: IsADirectory,
  ENOTDIR: NotADirectory,
  ENOTEMPTY: NotEmpty,
};

/** Node's error as the `Deno.errors` class Deno would throw, so `instanceof` checks keep working. */
function denoError(error: unknown): unknown {
  const code = (error as { code?: string })?.code;
  const kind = code === undefined ? undefined : errorsByCode[code];
  if (kind === undefined) return error;
  const converted = new kind((error as Error).message);
  converted.name = kind.name;
  return converted;
}

async function converting<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw denoError(error);
  }
}

function convertingSync<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw denoError(error);
  }
}

function fileInfo(stats: fs.Stats) {
  return {
    isFile: stats.isFile(),
    isDirectory: stats.isDirectory(),
    isSymlink: stats.isSymbolicLink(),
    size: stats.size,
    mtime: stats.mtime,
    atime: stats.atime,
    birthtime: stats.birthtime,
    mode: stats.mode,
  };
}

interface OpenOptions {
  read?: boolean;
  write?: boolean;
  create?: boolean;
  truncate?: boolean;
  append?: boolean;
  createNew?: boolean;
}

function openFlags(options: OpenOptions = { read: true }): string {
  if (options.createNew) return options.read ? "wx+" : "wx";
  if (options.append) return options.read ? "a+" : "a";
  if (options.write && options.truncate !== false && options.create !== false) return options.read ? "w+" : "w";
  if (options.write) return "r+";
  return "r";
}

/** A Deno.FsFile over a Node file descriptor: what the library uses of it. */
class FsFile {
  readonly #fd: number;
  #closed = false;

  constructor(fd: number) {
    this.#fd = fd;
  }

  get readable(): ReadableStream<Uint8Array> {
    const stream = fs.createReadStream("", { fd: this.#fd, autoClose: false });
    return Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
  }

  async stat() {
    return fileInfo(
      await converting(() =>
        new Promise<fs.Stats>((resolve, reject) => {
          fs.fstat(this.#fd, (error, stats) => error ? reject(error) : resolve(stats));
        })
      ),
    );
  }

  write(bytes: Uint8Array): Promise<number> {
    return converting(() =>
      new Promise<number>((resolve, reject) => {
        fs.write(this.#fd, bytes, (error, written) => error ? reject(error) : resolve(written));
      })
    );
  }

  writeSync(bytes: Uint8Array): number {
    return convertingSync(() => fs.writeSync(this.#fd, bytes));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.#fd);
  }
}

interface CommandOptions {
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  stdin?: "null" | "inherit" | "piped";
  stdout?: "null" | "inherit" | "piped";
  stderr?: "null" | "inherit" | "piped";
}

const stdio = (mode: string | undefined, fallback: "pipe" | "inherit") =>
  mode === "null" ? "ignore" : mode === "inherit" ? "inherit" : mode === "piped" ? "pipe" : fallback;

/** Deno.Command's `output()`: enough for the library's calls of git and the like. */
class Command {
  readonly #command: string;
  readonly #options: CommandOptions;

  constructor(command: string | URL, options: CommandOptions = {}) {
    this.#command = String(command);
    this.#options = options;
  }

  output(): Promise<{ success: boolean; code: number; stdout: Uint8Array; stderr: Uint8Array }> {
    const options = this.#options;
    return converting(() =>
      new Promise((resolve, reject) => {
        const child = spawn(this.#command, options.args ?? [], {
          cwd: options.cwd,
          env: options.env === undefined ? process.env : { ...process.env, ...options.env },
          stdio: [stdio(options.stdin, "inherit"), stdio(options.stdout, "pipe"), stdio(options.stderr, "pipe")],
        });
        const out: Uint8Array[] = [];
        const err: Uint8Array[] = [];
        child.stdout?.on("data", (chunk: Uint8Array) => out.push(chunk));
        child.stderr?.on("data", (chunk: Uint8Array) => err.push(chunk));
        child.on("error", reject);
        child.on("close", (code) =>
          resolve({
            success: code === 0,
            code: code ?? 1,
            stdout: new Uint8Array(Buffer.concat(out)),
            stderr: new Uint8Array(Buffer.concat(err)),
          }));
      })
    );
  }
}

async function* readDir(path: string | URL) { // order-safe: Deno.readDir itself, as unordered as Deno's; callers sort
  const entries = await converting(() => fsp.readdir(path, { withFileTypes: true }));
  for (const entry of entries) {
    yield {
      name: entry.name,
      isFile: entry.isFile(),
      isDirectory: entry.isDirectory(),
      isSymlink: entry.isSymbolicLink(),
    };
  }
}

function writeOptions(options: { createNew?: boolean; append?: boolean; mode?: number } = {}) {
  return { flag: options.createNew ? "wx" : options.append ? "a" : "w", mode: options.mode };
}

/** What tslab's kernel module exports while it runs a cell: the writer of display messages. */
type DisplayWriter = (content: Record<string, unknown>, update: boolean) => void;

/**
 * Deno's `Deno.jupyter` (the `broadcast` and `display` the library's notebook helpers call) on
 * tslab's kernel, when this process is one: the kernel module is then loaded, and its writer is
 * taken from Node's module cache, never loaded by this shim. Undefined elsewhere, as under Deno
 * outside a kernel, so the helpers show nothing.
 */
function tslabJupyter() {
  const cache = createRequire(import.meta.url).cache;
  const kernel = Object.keys(cache).find((path) => path.endsWith("/tslab/dist/jupyter.js"));
  const write = kernel === undefined ? undefined : cache[kernel]?.exports?.lastWriteDisplayData as DisplayWriter | null;
  if (typeof write !== "function") return undefined;
  return {
    broadcast: (type: string, content: Record<string, unknown>) =>
      Promise.resolve(write({ metadata: {}, transient: {}, ...content }, type === "update_display_data")),
    display: (bundle: Record<string, unknown>) =>
      Promise.resolve(write({ data: bundle, metadata: {}, transient: {} }, false)),
  };
}

/** The Deno subset, as one object. */
function nodeDeno() {
  return {
    get jupyter() {
      return tslabJupyter();
    },
    version: { deno: "", v8: process.versions.v8, typescript: "", node: process.versions.node },
    pid: process.pid,
    args: process.argv.slice(2),
    errors: { NotFound, AlreadyExists, PermissionDenied, IsADirectory, NotADirectory, NotEmpty },
    env: {
      get: (name: string) => process.env[name],
      set: (name: string, value: string) => void (process.env[name] = value),
      delete: (name: string) => void delete process.env[name],
      toObject: () => ({ ...process.env }),
    },
    cwd: () => process.cwd(),
    execPath: () => process.execPath,
    uid: () => process.getuid?.() ?? null,
    memoryUsage: () => process.memoryUsage(),
    exit: (code?: number) => process.exit(code),
    readTextFile: (path: string | URL) => converting(() => fsp.readFile(path, "utf8")),
    readFile: (path: string | URL) => converting(async () => new Uint8Array(await fsp.readFile(path))),
    writeTextFile: (path: string | URL, text: string, options?: { createNew?: boolean; append?: boolean }) =>
      converting(() => fsp.writeFile(path, text, writeOptions(options))),
    writeFile: (path: string | URL, bytes: Uint8Array, options?: { createNew?: boolean; append?: boolean }) =>
      converting(() => fsp.writeFile(path, bytes, writeOptions(options))),
    mkdir: (path: string | URL, options: { recursive?: boolean } = {}) =>
      converting(async () => void await fsp.mkdir(path, { recursive: options.recursive ?? false })),
    makeTempDir: (options: { prefix?: string; dir?: string } = {}) =>
      converting(() => fsp.mkdtemp(`${options.dir ?? os.tmpdir()}/${options.prefix ?? ""}`)),
    remove: (path: string | URL, options: { recursive?: boolean } = {}) =>
      converting(async () => {
        const stats = await fsp.lstat(path);
        if (stats.isDirectory()) await fsp.rm(path, { recursive: options.recursive ?? false });
        else await fsp.unlink(path);
      }),
    rename: (from: string | URL, to: string | URL) => converting(() => fsp.rename(from, to)),
    renameSync: (from: string | URL, to: string | URL) => convertingSync(() => fs.renameSync(from, to)),
    stat: (path: string | URL) => converting(async () => fileInfo(await fsp.stat(path))),
    statSync: (path: string | URL) => convertingSync(() => fileInfo(fs.statSync(path))),
    lstat: (path: string | URL) => converting(async () => fileInfo(await fsp.lstat(path))),
    readDir,
    open: (path: string | URL, options?: OpenOptions) =>
      converting(() =>
        new Promise<FsFile>((resolve, reject) => {
          fs.open(path, openFlags(options), (error, fd) => error ? reject(error) : resolve(new FsFile(fd)));
        })
      ),
    openSync: (path: string | URL, options?: OpenOptions) =>
      convertingSync(() => new FsFile(fs.openSync(path, openFlags(options)))),
    Command,
    stdout: {
      write: (bytes: Uint8Array) =>
        new Promise<number>((resolve) => process.stdout.write(bytes, () => resolve(bytes.length))),
    },
  };
}

/** What a worker thread gets in its `workerData`, marking it as one of ours. */
const workerMark = "faultline-worker";

/**
 * A web Worker on Node's worker threads: the sweep's calls (`postMessage`, `onmessage`,
 * `onerror`, `terminate`). The thread loads this shim first, then the worker's module.
 */
class NodeWorker {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: { message: string; preventDefault(): void }) => void) | null = null;
  readonly #thread: threads.Worker;

  constructor(module: string | URL, _options?: unknown) {
    const load = `import(${JSON.stringify(import.meta.url)}).then(() => import(${JSON.stringify(String(module))}))`;
    this.#thread = new threads.Worker(load, { eval: true, workerData: workerMark });
    this.#thread.on("message", (data) => this.onmessage?.({ data }));
    this.#thread.on("error", (error: Error) => this.onerror?.({ message: error.message, preventDefault() {} }));
  }

  postMessage(data: unknown): void {
    this.#thread.postMessage(data);
  }

  terminate(): void {
    void this.#thread.terminate();
  }
}

/** Inside one of our worker threads, the web worker's global scope: `postMessage` and `onmessage`. */
function becomeWorkerScope(port: threads.MessagePort): void {
  scope.WorkerGlobalScope = class WorkerGlobalScope {
    static [Symbol.hasInstance](value: unknown) {
      return value === globalThis;
    }
  };
  scope.postMessage = (data: unknown) => port.postMessage(data);
  // Requests can arrive while the worker's module still loads, before it sets `onmessage`: they
  // wait for the handler instead of being dropped.
  const waiting: unknown[] = [];
  let handler: ((event: { data: unknown }) => void) | null = null;
  Object.defineProperty(scope, "onmessage", {
    configurable: true,
    get: () => handler,
    set: (value: ((event: { data: unknown }) => void) | null) => {
      handler = value;
      while (handler !== null && waiting.length > 0) handler({ data: waiting.shift() });
    },
  });
  port.on("message", (data) => handler === null ? waiting.push(data) : handler({ data }));
}

if (!underDeno && scope.Deno === undefined) {
  scope.Deno = nodeDeno();
  // Node 20 has neither web workers nor `navigator` (the sweep asks it for the core count).
  scope.navigator ??= { hardwareConcurrency: os.availableParallelism() };
  scope.Worker ??= NodeWorker;
  if (!threads.isMainThread && threads.workerData === workerMark && threads.parentPort !== null) {
    becomeWorkerScope(threads.parentPort);
  }
}
