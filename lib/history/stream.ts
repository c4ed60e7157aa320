/**
 * Reading a history file as a stream: one event at a time, so a large history is never held as
 * text. Errors name the file and line.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import type { Op } from "./history.ts";
import { formatOp, parseOp } from "./jsonl.ts";

/** Yields the events of the JSON Lines file at `path`, in file order. */
export async function* readHistory(path: string): AsyncGenerator<Op> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    throw new InputError(`cannot read history file ${path}: ${(error as Error).message}`);
  }
  const decoder = new TextDecoder();
  let pending = "";
  let lineNumber = 0;
  try {
    for await (const chunk of file.readable) {
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
  } finally {
    try {
      file.close();
    } catch { /* the stream closed it */ }
  }
}

/**
 * Writes events to `path` as JSON Lines in chunks, through a temporary file renamed into place,
 * so a large history is never built as one string and a crash leaves no half-written file.
 */
export async function writeHistory(path: string, events: Iterable<Op> | AsyncIterable<Op>): Promise<number> {
  const temporary = `${path}.tmp-${Deno.pid}`;
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

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}
