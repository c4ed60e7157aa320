/**
 * CRC-32 (IEEE 802.3, the zlib and PNG checksum): reflected polynomial 0xEDB88320, initial value
 * and final XOR 0xFFFFFFFF. Table-driven, one byte per step.
 *
 * Private to the Raft system: the WAL frames each record with it.
 *
 * @module
 */

/** The reflected IEEE polynomial. */
const polynomialReflected = 0xedb88320;

/** One entry per byte value: the CRC of that byte, computed once at load. */
const table: Uint32Array = buildTable();

function buildTable(): Uint32Array {
  const result = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ polynomialReflected : crc >>> 1;
    result[byte] = crc >>> 0;
  }
  return result;
}

/**
 * The CRC-32 of `bytes[start, end)`, as an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * import { crc32 } from "./_crc32.ts";
 * crc32(new TextEncoder().encode("123456789")); // 0xCBF43926
 * ```
 */
export function crc32(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
  if (!(0 <= start && start <= end && end <= bytes.length)) {
    throw new RangeError(`crc32: range [${start}, ${end}) is outside a buffer of ${bytes.length} bytes`);
  }
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
