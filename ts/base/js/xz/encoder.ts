/**
 * The .xz encoder: emits a valid single-block `.xz` stream (CRC64 check, LZMA2
 * filter, like Python's `lzma.compress(data)` container) whose LZMA2 data
 * consists of *uncompressed* LZMA2 chunks only — i.e. no actual compression
 * (the output is ~0.05% larger than the input plus ~60 bytes of framing).
 * Python's lzma, xz-utils/liblzma and the Rust backend decode it fine. A real
 * LZMA encoder could replace lzma2Uncompressed() later without touching the
 * container.
 */
import { crc32, crc64 } from './crc';
import { FILTER_LZMA2, FOOTER_MAGIC, HEADER_MAGIC, dictSizeFromByte } from './format';

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

/** LZMA2 data made of uncompressed chunks (see the file comment). */
function lzma2Uncompressed(data: Uint8Array): Buffer {
  const CHUNK = 65536;
  const n = Math.ceil(data.length / CHUNK);
  const out = Buffer.alloc(data.length + n * 3 + 1);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const start = i * CHUNK;
    const size = Math.min(CHUNK, data.length - start);
    out[o++] = i === 0 ? 0x01 : 0x02; // 0x01 = dictionary reset + uncompressed chunk
    out[o++] = (size - 1) >>> 8;
    out[o++] = (size - 1) & 0xff;
    out.set(data.subarray(start, start + size), o);
    o += size;
  }
  out[o] = 0x00; // end of LZMA2 data
  return out;
}

export function xzCompress(data: Uint8Array): Buffer {
  const CHECK_CRC64 = 0x04;
  const parts: Buffer[] = [];
  const streamFlags = Buffer.from([0x00, CHECK_CRC64]);
  parts.push(Buffer.from(HEADER_MAGIC), streamFlags, u32le(crc32(streamFlags)));

  const records: Array<[number, number]> = [];
  if (data.length > 0) {
    // dictionary size: smallest encodable size >= input length, max 8 MiB (preset 6)
    let dictByte = 0;
    while (dictByte < 22 && dictSizeFromByte(dictByte) < data.length) dictByte++;
    // block header: size, flags (1 filter, no sizes), LZMA2 filter flags, padding, CRC32
    const hdr = Buffer.from([0x02, 0x00, FILTER_LZMA2, 0x01, dictByte, 0x00, 0x00, 0x00]);
    hdr[0] = (hdr.length + 4) / 4 - 1;
    const hdrFull = Buffer.concat([hdr, u32le(crc32(hdr))]);
    const body = lzma2Uncompressed(data);
    const pad = (4 - (body.length & 3)) & 3;
    parts.push(hdrFull, body, Buffer.alloc(pad), crc64(data));
    records.push([hdrFull.length + body.length + 8, data.length]);
  }

  const idx: number[] = [0x00, ...varint(records.length)];
  for (const [unpadded, unc] of records) idx.push(...varint(unpadded), ...varint(unc));
  while (idx.length & 3) idx.push(0);
  const index = Buffer.from(idx);
  const indexFull = Buffer.concat([index, u32le(crc32(index))]);
  parts.push(indexFull);

  const footerBody = Buffer.concat([u32le(indexFull.length / 4 - 1), streamFlags]);
  parts.push(u32le(crc32(footerBody)), footerBody, Buffer.from(FOOTER_MAGIC));
  return Buffer.concat(parts);
}
