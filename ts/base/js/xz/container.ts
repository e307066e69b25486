/**
 * The .xz container decoder: stream header/footer, blocks, index, stream
 * padding and concatenated streams. The LZMA2 filter is the only one
 * supported (anything else is rejected with "unsupported xz filter"); checks
 * none, CRC32, CRC64 (verified) and SHA-256 (verified via node:crypto); other
 * (reserved) check ids are skipped unverified, as the xz spec allows.
 *
 * Strictness: data after the last stream (other than stream padding, i.e.
 * zero bytes in multiples of four) is rejected as corrupt.
 */
import { createHash } from 'crypto';
import { DecompressError, DecompressLimitError } from '../../errors';
import { crc32, crc64 } from './crc';
import { fail } from './fail';
import { CHECK_SIZES, FILTER_LZMA2, FOOTER_MAGIC, HEADER_MAGIC, dictSizeFromByte } from './format';
import { decodeLzma2 } from './lzma2-decoder';
import { Output } from './output';

/** Bounds-checked reader of block-header and index fields (bytes and xz varints). */
class Reader {
  constructor(
    readonly data: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}
  byte(what: string): number {
    if (this.pos >= this.end) fail(`truncated ${what}`);
    return this.data[this.pos++];
  }
  varint(what: string): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 9; i++) {
      const b = this.byte(what);
      if (b === 0 && i > 0) fail(`invalid variable-length integer in ${what}`);
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (v > Number.MAX_SAFE_INTEGER) fail(`${what}: integer too large`);
        return v;
      }
      mul *= 128;
    }
    return fail(`invalid variable-length integer in ${what}`);
  }
}

function verifyCheck(checkType: number, data: Uint8Array, pos: number, out: Output, start: number): void {
  const n = CHECK_SIZES[checkType];
  if (pos + n > data.length) fail('truncated block check');
  const stored = data.subarray(pos, pos + n);
  let ok = true;
  if (checkType === 1) {
    const c = crc32(out.buf, start, out.pos);
    ok = (stored[0] | (stored[1] << 8) | (stored[2] << 16) | (stored[3] << 24)) >>> 0 === c;
  } else if (checkType === 4) {
    ok = crc64(out.buf, start, out.pos).equals(stored);
  } else if (checkType === 10) {
    const h = createHash('sha256').update(out.buf.subarray(start, out.pos)).digest();
    ok = h.equals(stored);
  }
  if (!ok) fail('block check mismatch (data is corrupt)');
}

/** The little-endian 32-bit field at data[at]. */
function u32le(data: Uint8Array, at: number): number {
  return (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0;
}

/** Decode one stream starting at data[pos]; returns the position after its footer. */
function decodeStream(data: Uint8Array, pos: number, out: Output): number {
  if (pos + 12 > data.length) fail('truncated stream header');
  for (let i = 0; i < 6; i++) if (data[pos + i] !== HEADER_MAGIC[i]) fail('not an xz stream (bad magic)');
  const flags = data.subarray(pos + 6, pos + 8);
  if (crc32(data, pos + 6, pos + 8) !== u32le(data, pos + 8)) fail('stream header CRC mismatch');
  if (flags[0] !== 0 || (flags[1] & 0xf0) !== 0) fail('unsupported stream flags');
  const checkType = flags[1] & 0x0f;
  pos += 12;
  const records: BlockRecord[] = [];
  for (;;) {
    if (pos >= data.length) fail('truncated stream (missing index)');
    if (data[pos] === 0) break; // index indicator
    const block = decodeBlock(data, pos, out, checkType);
    records.push(block.record);
    pos = block.end;
  }
  const indexStart = pos;
  pos = readIndex(data, pos, records);
  return readFooter(data, pos, pos - indexStart, flags);
}

/** What the index says of a block: its unpadded size and its uncompressed size. */
type BlockRecord = [number, number];

/** What a block header says (sizes -1 when absent). */
interface BlockHeader {
  size: number;
  compSize: number;
  uncSize: number;
  dictSize: number;
}

function readBlockHeader(data: Uint8Array, pos: number): BlockHeader {
  const size = (data[pos] + 1) * 4;
  if (pos + size > data.length) fail('truncated block header');
  if (crc32(data, pos, pos + size - 4) !== u32le(data, pos + size - 4)) fail('block header CRC mismatch');
  const r = new Reader(data, pos + 2, pos + size - 4);
  const bflags = data[pos + 1];
  if (bflags & 0x3c) fail('unsupported block header flags');
  const numFilters = (bflags & 3) + 1;
  const compSize = bflags & 0x40 ? r.varint('block header') : -1;
  const uncSize = bflags & 0x80 ? r.varint('block header') : -1;
  if (compSize === 0) fail('invalid compressed size in block header');
  let dictSize = -1;
  for (let f = 0; f < numFilters; f++) {
    const id = r.varint('block header');
    const propSize = r.varint('block header');
    if (propSize > r.end - r.pos) fail('truncated filter properties');
    if (id !== FILTER_LZMA2) {
      throw new DecompressError(`xz: unsupported xz filter 0x${id.toString(16)}`);
    }
    if (f !== numFilters - 1) throw new DecompressError('xz: unsupported xz filter chain (LZMA2 not last)');
    if (propSize !== 1) fail('invalid LZMA2 filter properties');
    dictSize = dictSizeFromByte(r.byte('filter properties'));
  }
  while (r.pos < r.end) if (data[r.pos++] !== 0) fail('non-zero block header padding');
  return { size, compSize, uncSize, dictSize };
}

/** Decode the block at data[pos] into out, checked against its header and its check; returns its end and its index record. */
function decodeBlock(data: Uint8Array, pos: number, out: Output, checkType: number): { end: number; record: BlockRecord } {
  const blockStart = pos;
  const header = readBlockHeader(data, pos);
  const { compSize, uncSize } = header;
  pos += header.size;
  const outStart = out.pos;
  if (uncSize >= 0 && out.pos + uncSize > out.max) {
    throw new DecompressLimitError(`xz: decompressed data exceeds the limit of ${out.max} bytes`);
  }
  const limit = compSize >= 0 ? Math.min(data.length, pos + compSize) : data.length;
  const dataStart = pos;
  pos = decodeLzma2(data, pos, limit, out, header.dictSize);
  const actualComp = pos - dataStart;
  if (compSize >= 0 && actualComp !== compSize) fail('compressed size does not match block header');
  const actualUnc = out.pos - outStart;
  if (uncSize >= 0 && actualUnc !== uncSize) fail('uncompressed size does not match block header');
  while ((pos - blockStart) & 3) {
    if (pos >= data.length) fail('truncated block padding');
    if (data[pos++] !== 0) fail('non-zero block padding');
  }
  verifyCheck(checkType, data, pos, out, outStart);
  const checkSize = CHECK_SIZES[checkType];
  return { end: pos + checkSize, record: [header.size + actualComp + checkSize, actualUnc] };
}

/** The index at data[pos], checked against the blocks decoded; returns the position after it. */
function readIndex(data: Uint8Array, pos: number, records: BlockRecord[]): number {
  const indexStart = pos;
  const r = new Reader(data, pos + 1, data.length);
  const count = r.varint('index');
  if (count !== records.length) fail('index does not match the blocks (record count)');
  for (let i = 0; i < count; i++) {
    const unpadded = r.varint('index');
    const unc = r.varint('index');
    if (unpadded !== records[i][0] || unc !== records[i][1]) fail('index does not match the blocks');
  }
  pos = r.pos;
  while ((pos - indexStart) & 3) {
    if (pos >= data.length) fail('truncated index');
    if (data[pos++] !== 0) fail('non-zero index padding');
  }
  if (pos + 4 > data.length) fail('truncated index');
  if (crc32(data, indexStart, pos) !== u32le(data, pos)) fail('index CRC mismatch');
  return pos + 4;
}

/** The stream footer at data[pos], checked against the index's size and the header's flags; returns the position after it. */
function readFooter(data: Uint8Array, pos: number, indexSize: number, flags: Uint8Array): number {
  if (pos + 12 > data.length) fail('truncated stream footer');
  if (crc32(data, pos + 4, pos + 10) !== u32le(data, pos)) fail('stream footer CRC mismatch');
  if ((u32le(data, pos + 4) + 1) * 4 !== indexSize) fail('stream footer backward size mismatch');
  if (data[pos + 8] !== flags[0] || data[pos + 9] !== flags[1]) fail('stream footer flags do not match header');
  if (data[pos + 10] !== FOOTER_MAGIC[0] || data[pos + 11] !== FOOTER_MAGIC[1]) fail('bad stream footer magic');
  return pos + 12;
}

/** Decode all streams of `data`; throws DecompressError / DecompressLimitError. */
export function decompress(data: Uint8Array, maxOutput: number): Buffer {
  // NaN/negative caps mean "nothing may be output"; Infinity means no cap.
  const max = maxOutput === Infinity ? Infinity : maxOutput > 0 ? Math.floor(maxOutput) : 0;
  const out = new Output(max, Math.max(1024, data.length * 4));
  let pos = 0;
  if (data.length === 0) fail('empty input');
  let streams = 0;
  while (pos < data.length) {
    if (streams > 0) {
      // stream padding: zero bytes, a multiple of four in total
      const padStart = pos;
      while (pos < data.length && data[pos] === 0) pos++;
      if ((pos - padStart) & 3) fail('invalid stream padding');
      if (pos >= data.length) break;
    }
    pos = decodeStream(data, pos, out);
    streams++;
  }
  return Buffer.from(out.buf.buffer, out.buf.byteOffset, out.pos);
}
