/**
 * A small durable value on the simulated disk, written the way databases write a control file:
 * the whole value to `<file>.tmp`, fsync, then an atomic rename over `<file>`. A crash at any point
 * leaves either the old value or the new one, never a torn mix, so recovery reads one file and
 * checks one checksum. Saves requested while one is on its way are combined into the next (group
 * commit), so at most one write and one fsync are in flight.
 *
 * @example
 * ```ts
 * import { durableFile } from "./storage.ts";
 * typeof durableFile; // "function": see server.ts and view_service.ts for its two uses
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { DiskCompletion, NodeDiskApi } from "../../sim/mod.ts";
import { decodeSnapshot, encodeSnapshot } from "./state.ts";

/** A value saved to disk with group commit. */
export interface DurableFile<T> {
  /** The value on disk when the node started (undefined: none yet). */
  readonly recovered: T | undefined;
  /** Saves the value `current()` gives when the write starts; `onDurable` reports it once it is. */
  save(): void;
  /** Routes a disk completion; returns false when it was not this file's. */
  onDisk(completion: DiskCompletion): boolean;
}

/** Options of {@linkcode durableFile}. */
export interface DurableFileOptions<T> {
  disk: NodeDiskApi;
  file: string;
  /** The value to save now (called when a write starts, so later changes join the next save). */
  current: () => T;
  /** Called with the value once it is durable (renamed into place). */
  onDurable: (value: T) => void;
}

/** Opens `options.file` on the node's disk: reads what is durable there and returns the writer. */
export function durableFile<T>(options: DurableFileOptions<T>): DurableFile<T> {
  const { disk, file } = options;
  const temporary = `${file}.tmp`;
  let writing: T | undefined;
  let again = false;
  const start = () => {
    assert(writing === undefined, `${file}: a save started while another is in flight`);
    writing = options.current();
    const bytes = encodeSnapshot(writing);
    if (disk.exists(temporary)) disk.truncate(temporary, 0);
    disk.write(temporary, 0, bytes);
  };
  return {
    recovered: decodeSnapshot<T>(disk.read(file)),
    save() {
      if (writing === undefined) start();
      else again = true;
    },
    onDisk(completion) {
      if (completion.file !== temporary) return false;
      assert(completion.ok, `${temporary}: ${completion.op} failed: ${completion.error}`);
      if (completion.op === "write") {
        disk.fsync(temporary);
        return true;
      }
      disk.rename(temporary, file);
      const saved = writing;
      assert(saved !== undefined, `${file}: an fsync completed with no save in flight`);
      writing = undefined;
      options.onDurable(saved);
      if (again) {
        again = false;
        start();
      }
      return true;
    },
  };
}
