/**
 * LZMA2 chunk framing: control bytes, dictionary/state/property resets and
 * uncompressed chunks around the LZMA decoder. Output is bounded: each chunk's
 * unpacked size is reserved (DecompressLimitError) before it is decoded.
 */
import { fail } from './fail';
import { LzmaDecoder } from './lzma-decoder';
import { Output } from './output';

/** Decode the LZMA2 data of one block starting at data[pos]; returns the new pos. */
export function decodeLzma2(data: Uint8Array, pos: number, limit: number, out: Output, dictSize: number): number {
  const lz = new LzmaDecoder();
  let needDictReset = true;
  let needProps = true;
  let dictStart = out.pos;
  for (;;) {
    if (pos >= limit) fail('truncated LZMA2 data');
    const control = data[pos++];
    if (control === 0x00) return pos;
    if (control >= 0xe0 || control === 0x01) {
      needProps = true;
      needDictReset = false;
      dictStart = out.pos;
    } else if (needDictReset) {
      fail('corrupt LZMA2 data (first chunk does not reset the dictionary)');
    }
    if (control >= 0x80) {
      if (pos + 4 > limit) fail('truncated LZMA2 chunk header');
      const unpacked = (control & 0x1f) * 65536 + (data[pos] << 8) + data[pos + 1] + 1;
      const packed = (data[pos + 2] << 8) + data[pos + 3] + 1;
      pos += 4;
      if (control >= 0xc0) {
        if (pos >= limit) fail('truncated LZMA2 chunk header');
        lz.setProps(data[pos++]);
        needProps = false;
        lz.resetState();
      } else if (needProps) {
        fail('corrupt LZMA2 data (missing properties)');
      } else if (control >= 0xa0) {
        lz.resetState();
      }
      if (pos + packed > limit) fail('truncated LZMA2 chunk');
      out.reserve(unpacked);
      lz.initRange(data, pos, pos + packed);
      lz.decodeChunk(out, unpacked, dictStart, dictSize);
      pos += packed;
    } else {
      if (control > 0x02) fail(`invalid LZMA2 control byte ${control}`);
      if (pos + 2 > limit) fail('truncated LZMA2 chunk header');
      const size = (data[pos] << 8) + data[pos + 1] + 1;
      pos += 2;
      if (pos + size > limit) fail('truncated LZMA2 uncompressed chunk');
      out.reserve(size);
      out.buf.set(data.subarray(pos, pos + size), out.pos);
      out.pos += size;
      pos += size;
    }
  }
}
