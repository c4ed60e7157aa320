/**
 * Reading a history file as a stream: one event at a time, so a large history is never held as
 * text. Errors name the file and line.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import type { Op } from "./history.ts";
import { parseOp } from "./jsonl.ts";

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
