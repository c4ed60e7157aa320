/**
 * A run's history as the file it is kept in: plain JSON Lines, or gzipped once long. Kept apart
 * from `run.ts` so a sweep worker packs histories without loading the run reports' modules.
 *
 * @module
 */
import { formatOp, type Op } from "../history/mod.ts";

/** Histories longer than this are written compressed. */
export const historyCompressBytesMin = 8 << 20;

/** A history packed for a file: its name says whether the content is plain or gzipped. */
export type PackedHistory = { name: "history.jsonl"; content: string } | {
  name: "history.jsonl.gz";
  content: Uint8Array;
};

/**
 * A history as the file a run keeps: `history.jsonl`, or `history.jsonl.gz` when its text is
 * longer than `compressBytesMin`, which readRunHistory, `zcat` or `gunzip -c` read. A long history
 * is gzipped as it is written, never held as one text: a run of many clients reading long lists
 * has more text than the longest string JavaScript can hold (2^29 characters).
 */
export async function packHistory(
  events: Iterable<Op>,
  compressBytesMin = historyCompressBytesMin,
): Promise<PackedHistory> {
  let text = "";
  let packer: ReturnType<typeof gzipper> | undefined;
  for (const op of events) {
    text += formatOp(op) + "\n";
    // Once compressing, lines go to the compressor a megabyte or so at a time.
    if (text.length > (packer === undefined ? compressBytesMin : 1 << 20)) {
      packer ??= gzipper();
      await packer.write(text);
      text = "";
    }
  }
  if (packer === undefined) return { name: "history.jsonl", content: text };
  await packer.write(text);
  return { name: "history.jsonl.gz", content: await packer.finish() };
}

/** A gzip stream written a text at a time. */
function gzipper() {
  const compression = new CompressionStream("gzip");
  // Read while writing, or the compressor's queue fills and a write never finishes.
  const packed = new Response(compression.readable).arrayBuffer();
  const writer = compression.writable.getWriter();
  const encoder = new TextEncoder();
  return {
    write: (text: string) => writer.write(encoder.encode(text)),
    finish: async () => {
      await writer.close();
      return new Uint8Array(await packed);
    },
  };
}

/** Gzips `text`. */
export async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The text `gzip` packed. */
export async function gunzip(packed: Uint8Array): Promise<string> {
  const stream = new Blob([packed as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}
