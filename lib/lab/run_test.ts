// How a run keeps its history: plain JSON Lines when short, gzipped when long, and a history whose
// text is longer than the longest string JavaScript holds is kept all the same.
import assert from "node:assert/strict";
import { formatHistory, formatOp, type Op } from "../history/mod.ts";
import { gunzip, packHistory } from "./run.ts";

function reads(count: number, value: string): Op[] {
  return Array.from({ length: count }, (_, i): Op => ({
    process: i % 7,
    type: i % 2 === 0 ? "invoke" : "ok",
    f: "get",
    key: "k",
    value: i % 2 === 0 ? null : value,
    time: i,
  }));
}

Deno.test("a short history is kept as plain JSON Lines, a long one gzipped, with the same text", async () => {
  const events = reads(5000, "0:1;2:3;");
  const plain = await packHistory(events, 1 << 20);
  assert.equal(plain.name, "history.jsonl");
  assert.equal(plain.content, formatHistory(events));
  const packed = await packHistory(events, 1000);
  assert.equal(packed.name, "history.jsonl.gz");
  assert.equal(await gunzip(packed.content as Uint8Array), formatHistory(events));
});

Deno.test("a history longer than the longest string is gzipped without ever being one string", async () => {
  // 513 reads of one 1 MiB list: more text than V8's 2^29 characters, which formatHistory cannot build.
  const events = reads(1026, "7;".repeat(1 << 19));
  const textBytes = events.reduce((sum, op) => sum + formatOp(op).length + 1, 0);
  assert.ok(textBytes > 2 ** 29, `${textBytes} bytes`);
  const packed = await packHistory(events);
  assert.equal(packed.name, "history.jsonl.gz");
  // Gzip's last four bytes are the length of what it packed (modulo 2^32), little-endian.
  const content = packed.content as Uint8Array;
  const packedBytes = new DataView(content.buffer, content.byteOffset).getUint32(content.length - 4, true);
  assert.equal(packedBytes, textBytes);
});
