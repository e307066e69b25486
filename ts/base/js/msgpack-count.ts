/**
 * Counts the values in well-formed msgpack bytes without building them (a
 * skip-scan: headers are read, str/bin/ext payloads jumped over). The sender
 * uses it to check that a compressed frame stays within the receiver's
 * element budget; it only runs on bytes this node encoded or already decoded.
 * Hand-written because no msgpack library exposes such a scan.
 */

/** Byte widths of the length field for each variable-length type byte 0xc4-0xdf. */
const LENGTH_WIDTH: Record<number, number> = { 0xc4: 1, 0xc5: 2, 0xc6: 4, 0xc7: 1, 0xc8: 2, 0xc9: 4, 0xd9: 1, 0xda: 2, 0xdb: 4, 0xdc: 2, 0xdd: 4, 0xde: 2, 0xdf: 4 };
/** Fixed payload sizes after the type byte (numbers, fixext). */
const FIXED_SIZE: Record<number, number> = { 0xca: 4, 0xcb: 8, 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, 0xd4: 2, 0xd5: 3, 0xd6: 5, 0xd7: 9, 0xd8: 17 };

function readLength(buf: Uint8Array, pos: number, width: number): number {
  let n = 0;
  for (let i = 0; i < width; i++) n = n * 256 + buf[pos + i];
  return n;
}

/** Number of values (containers and scalars) in `buf`; stops counting past `stopAt`. */
export function countMsgpackValues(buf: Uint8Array, stopAt = Infinity): number {
  let pos = 0;
  let count = 0;
  let pending = 1; // values still to read
  while (pending > 0 && pos < buf.length && count <= stopAt) {
    const t = buf[pos++];
    pending--;
    count++;
    if (t < 0x80 || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) continue;
    if (t < 0x90) pending += 2 * (t & 0x0f);
    else if (t < 0xa0) pending += t & 0x0f;
    else if (t < 0xc0) pos += t & 0x1f;
    else if (FIXED_SIZE[t] !== undefined) pos += FIXED_SIZE[t];
    else if (LENGTH_WIDTH[t] !== undefined) {
      const w = LENGTH_WIDTH[t];
      const n = readLength(buf, pos, w);
      pos += w;
      if (t === 0xdc || t === 0xdd) pending += n;
      else if (t === 0xde || t === 0xdf) pending += 2 * n;
      else pos += n + (t >= 0xc7 && t <= 0xc9 ? 1 : 0); // ext: one type byte before the data
    }
  }
  return count;
}
