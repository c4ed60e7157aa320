// Proves slab copies are independent copies: of their source, and of one another, across slabs.
import assert from "node:assert/strict";
import { ByteSlab, slabBytes, slabCopyBytesMax } from "./byte_slab.ts";

Deno.test("ByteSlab copies are equal to their sources and change with neither the source nor other copies", () => {
  const slab = new ByteSlab();
  const copies: { source: Uint8Array; copy: Uint8Array }[] = [];
  // Enough copies to fill several slabs, with sizes up to and past the largest a slab takes.
  for (let i = 0; copies.length < 200; i++) {
    const length = [0, 1, 100, slabCopyBytesMax, slabCopyBytesMax + 1, 3_000][i % 6];
    const source = new Uint8Array(length).fill(i % 251);
    copies.push({ source: source.slice(), copy: slab.copy(source) });
    source.fill(255); // the caller reuses its buffer
  }
  const total = copies.reduce((n, c) => n + c.copy.length, 0);
  assert.ok(total > 3 * slabBytes, `${total} bytes copied: several slabs`);
  for (const { source, copy } of copies) assert.deepEqual(copy, source);
  copies[2].copy.fill(7); // 100 bytes amid others in the first slab
  for (const [i, { source, copy }] of copies.entries()) if (i !== 2) assert.deepEqual(copy, source);
});
