/**
 * CRC-32 (IEEE 802.3, the zlib and PNG checksum): reflected polynomial 0xEDB88320, initial value
 * and final XOR 0xFFFFFFFF. Table-driven, eight bytes per step ("slicing-by-8", Intel's method:
 * eight tables, where table k gives the CRC of a byte followed by k zero bytes), then one byte per
 * step for the tail. Every WAL frame is checksummed on write and on replay, so this is hot.
 *
 * Shared by the storage formats that frame their records with it (Raft's WAL, the key-value
 * store's log).
 *
 * @module
 */

/** The reflected IEEE polynomial. */
const polynomialReflected = 0xedb88320;

/** Eight tables of 256 entries, one after another: entry `k * 256 + b` is table k's for byte b. */
const tables: Int32Array = buildTables();

function buildTables(): Int32Array {
  const result = new Int32Array(8 * 256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ polynomialReflected : crc >>> 1;
    result[byte] = crc;
  }
  for (let k = 1; k < 8; k++) {
    for (let byte = 0; byte < 256; byte++) {
      const previous = result[(k - 1) * 256 + byte];
      result[k * 256 + byte] = (previous >>> 8) ^ result[previous & 0xff];
    }
  }
  return result;
}

/**
 * The CRC-32 of `bytes[start, end)`, as an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * import { crc32 } from "./crc32.ts";
 * crc32(new TextEncoder().encode("123456789")); // 0xCBF43926
 * ```
 */
export function crc32(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
  if (!(0 <= start && start <= end && end <= bytes.length)) {
    throw new RangeError(`crc32: range [${start}, ${end}) is outside a buffer of ${bytes.length} bytes`);
  }
  const t = tables;
  let crc = ~0;
  let i = start;
  for (const stop = end - 7; i < stop; i += 8) {
    crc ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    crc = t[1792 + (crc & 0xff)] ^ t[1536 + ((crc >>> 8) & 0xff)] ^ t[1280 + ((crc >>> 16) & 0xff)] ^
      t[1024 + (crc >>> 24)] ^ t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
  }
  for (; i < end; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
