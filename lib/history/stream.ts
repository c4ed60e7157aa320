/**
 * Reading and writing a history file as a stream: one event at a time, so a large history is never
 * held as text. Errors name the file and line.
 *
 * @module
 */
import { assert, InputError } from "../assert.ts";
import type { HistorySink, Op } from "./history.ts";
import { formatOp, parseOp } from "./jsonl.ts";

/**
 * Yields the events of the JSON Lines file at `path`, in file order; a file whose name ends in
 * `.gz` (as a run keeps a long history) is gunzipped as it is read.
 */
export async function* readHistory(path: string): AsyncGenerator<Op> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    throw new InputError(`cannot read history file ${path}: ${(error as Error).message}`);
  }
  if (!(await file.stat()).isFile) {
    file.close();
    throw new InputError(`cannot read history file ${path}: it is not a file`);
  }
  const gzipped = path.endsWith(".gz");
  const bytes = gzipped ? file.readable.pipeThrough(new DecompressionStream("gzip")) : file.readable;
  const decoder = new TextDecoder();
  let pending = "";
  let lineNumber = 0;
  try {
    for await (const chunk of bytes) {
      pending += decoder.decode(chunk, { stream: true });
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        lineNumber++;
        if (line.trim() !== "") yield parseOp(line, lineNumber, path);
        newline = pending.indexOf("\n");
      }
    }
    pending += decoder.decode();
    if (pending.trim() !== "") yield parseOp(pending, lineNumber + 1, path);
  } catch (error) {
    if (gzipped && error instanceof TypeError) {
      throw new InputError(
        `cannot read history file ${path}: it is not valid gzip after line ${lineNumber} (${error.message}); ` +
          "a name ending in .gz is read as gzip, any other name as plain JSON Lines",
      );
    }
    throw error;
  } finally {
    try {
      file.close();
    } catch { /* the stream closed it */ }
  }
}

/**
 * The name a file is written under before its rename: one only Faultline uses, so cleaning up
 * after a killed process never touches a user's `notes.tmp`.
 */
function temporaryPath(path: string): string {
  const slash = path.lastIndexOf("/");
  return `${path.slice(0, slash + 1)}.faultline-tmp-${Deno.pid}-${path.slice(slash + 1)}`;
}

/**
 * Writes events to `path` as JSON Lines in chunks, through a temporary file renamed into place,
 * so a large history is never built as one string and a crash leaves no half-written file.
 */
export async function writeHistory(path: string, events: Iterable<Op> | AsyncIterable<Op>): Promise<number> {
  const temporary = temporaryPath(path);
  const file = await Deno.open(temporary, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let chunk = "";
  let count = 0;
  try {
    for await (const op of events) {
      chunk += formatOp(op) + "\n";
      count++;
      if (chunk.length >= 1 << 16) {
        await writeAll(file, encoder.encode(chunk));
        chunk = "";
      }
    }
    if (chunk !== "") await writeAll(file, encoder.encode(chunk));
  } finally {
    file.close();
  }
  await Deno.rename(temporary, path);
  return count;
}

/** Bytes of JSON Lines a {@linkcode HistoryFileSink} gathers before it writes them out. */
const chunkBytes = 1 << 16;

/**
 * A history sink that writes each event to `path` as it happens, in JSON Lines: with a history
 * that keeps only faults, a run of any length is recorded without holding its events in memory.
 * Writes are synchronous (a simulation runs synchronously) and go in chunks to a temporary file
 * that {@linkcode close} renames into place, so a crash leaves no half-written history.
 *
 * @example
 * ```ts ignore
 * import { History } from "./history.ts";
 * import { HistoryFileSink } from "./stream.ts";
 * const sink = new HistoryFileSink("run/history.jsonl");
 * const history = new History({ retain: "faults", sink });
 * // ... run ...
 * sink.close(); // the number of events written
 * ```
 */
export class HistoryFileSink implements HistorySink {
  readonly path: string;
  readonly #temporary: string;
  readonly #encoder = new TextEncoder();
  #file: Deno.FsFile | undefined;
  #chunk = "";
  #count = 0;

  constructor(path: string) {
    this.path = path;
    this.#temporary = temporaryPath(path);
    try {
      this.#file = Deno.openSync(this.#temporary, { write: true, create: true, truncate: true });
    } catch (error) {
      throw new InputError(`cannot write history file ${path}: ${(error as Error).message}`);
    }
  }

  /** Events written so far. */
  get count(): number {
    return this.#count;
  }

  write(op: Op): void {
    assert(this.#file !== undefined, `history file ${this.path} was written after it was closed`);
    this.#chunk += formatOp(op) + "\n";
    this.#count++;
    if (this.#chunk.length >= chunkBytes) this.#flush();
  }

  /** Writes what is left and renames the file into place; returns the number of events written. */
  close(): number {
    const file = this.#file;
    assert(file !== undefined, `history file ${this.path} was closed twice`);
    try {
      this.#flush();
    } finally {
      file.close();
      this.#file = undefined;
    }
    Deno.renameSync(this.#temporary, this.path);
    return this.#count;
  }

  #flush(): void {
    if (this.#chunk === "") return;
    const bytes = this.#encoder.encode(this.#chunk);
    this.#chunk = "";
    let written = 0;
    while (written < bytes.length) written += this.#file!.writeSync(bytes.subarray(written));
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}
