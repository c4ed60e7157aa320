// Proves the eight-bytes-a-step CRC-32 gives what the one-bit-at-a-time definition gives, for every
// length and alignment of a range (the check values themselves are in Raft's wal_test.ts).
import assert from "node:assert/strict";
import { Rng } from "./rng.ts";
import { crc32 } from "./crc32.ts";

/** The CRC-32 by its definition: one bit per step. */
function crc32Bitwise(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i];
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

Deno.test("crc32 agrees with the bitwise definition for every length and offset up to 70 bytes", () => {
  const rng = Rng.fromSeed(3).fork("crc");
  const bytes = Uint8Array.from({ length: 80 }, () => Math.floor(rng.next() * 256));
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= start + 70; end++) {
      assert.equal(crc32(bytes, start, end), crc32Bitwise(bytes, start, end), `range [${start}, ${end})`);
    }
  }
  const ones = new Uint8Array(1000).fill(0xff);
  assert.equal(crc32(ones), crc32Bitwise(ones, 0, ones.length));
});
