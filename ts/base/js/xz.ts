/**
 * Pure-TypeScript `.xz` container codec (compression flag 0x12), the fallback
 * for when the native addon is unavailable.
 *
 * Decoder: a full `.xz` reader — stream header/footer, blocks, index, stream
 * padding and concatenated streams; the LZMA2 filter (the only one supported:
 * anything else is rejected with "unsupported xz filter"); checks none,
 * CRC32, CRC64 (verified) and SHA-256 (verified via node:crypto); other
 * (reserved) check ids are skipped unverified, as the xz spec allows. The LZMA
 * decoder follows the structure of the public-domain LzmaSpec.cpp /
 * xz-embedded. The decoder's window is the output buffer itself, so memory is
 * bounded by maxOutput (min(dict size, maxOutput) of window, never more);
 * match distances are still checked against the dictionary size declared in
 * the block header. Output is bounded while decoding: DecompressLimitError is
 * thrown before any chunk that would take the output past maxOutput is decoded.
 *
 * Encoder: emits a valid single-block `.xz` stream (CRC64 check, LZMA2 filter,
 * like Python's `lzma.compress(data)` container) whose LZMA2 data consists of
 * *uncompressed* LZMA2 chunks only — i.e. no actual compression (the output is
 * ~0.05% larger than the input plus ~60 bytes of framing). Python's lzma,
 * xz-utils/liblzma and the Rust backend decode it fine. A real LZMA encoder
 * could replace lzma2Uncompressed() later without touching the container.
 *
 * Strictness: data after the last stream (other than stream padding, i.e.
 * zero bytes in multiples of four) is rejected as corrupt.
 */
import { createHash } from 'crypto';
import { DecompressError, DecompressLimitError } from '../errors';

// ---------------------------------------------------------------- checksums

const CRC32_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC32_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// CRC64/XZ (ECMA-182 polynomial, reflected), kept as two 32-bit halves.
const CRC64_LO = new Uint32Array(256);
const CRC64_HI = new Uint32Array(256);
(() => {
  const polyLo = 0xd7870f42;
  const polyHi = 0xc96c5795;
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    CRC64_LO[n] = lo;
    CRC64_HI[n] = hi;
  }
})();

/** CRC64 of data[start, end) as 8 little-endian bytes. */
function crc64(data: Uint8Array, start = 0, end = data.length): Buffer {
  let lo = 0xffffffff;
  let hi = 0xffffffff;
  for (let i = start; i < end; i++) {
    const idx = (lo ^ data[i]) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ CRC64_LO[idx]) >>> 0;
    hi = ((hi >>> 8) ^ CRC64_HI[idx]) >>> 0;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32LE((lo ^ 0xffffffff) >>> 0, 0);
  out.writeUInt32LE((hi ^ 0xffffffff) >>> 0, 4);
  return out;
}

function fail(msg: string): never {
  throw new DecompressError('xz: ' + msg);
}

// ---------------------------------------------------------------- output

/** Growable output buffer that never grows past `max` bytes. */
class Output {
  buf: Uint8Array;
  pos = 0;
  constructor(readonly max: number, hint: number) {
    this.buf = new Uint8Array(Math.max(0, Math.min(max, hint)));
  }
  /** Make room for n more bytes, or throw DecompressLimitError. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need > this.max) {
      throw new DecompressLimitError(`xz: decompressed data exceeds the limit of ${this.max} bytes`);
    }
    if (need > this.buf.length) {
      const cap = Math.min(this.max, Math.max(need, this.buf.length * 2, 65536));
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(0, this.pos));
      this.buf = nb;
    }
  }
}

// ---------------------------------------------------------------- LZMA

const LIT_STATES = 7;
const MATCH_MIN_LEN = 2;
const END_POS_MODEL_INDEX = 14;
const NUM_FULL_DISTANCES = 128;
const PROB_INIT = 1024;

// Offsets in the shared probability array.
const P_IS_MATCH = 0; // 12 * 16
const P_IS_REP = P_IS_MATCH + 192; // 12
const P_IS_REP_G0 = P_IS_REP + 12;
const P_IS_REP_G1 = P_IS_REP_G0 + 12;
const P_IS_REP_G2 = P_IS_REP_G1 + 12;
const P_IS_REP0_LONG = P_IS_REP_G2 + 12; // 12 * 16
const P_POS_SLOT = P_IS_REP0_LONG + 192; // 4 * 64
const P_POS_SPECIAL = P_POS_SLOT + 256; // 1 + 128 - 14 = 115
const P_ALIGN = P_POS_SPECIAL + (1 + NUM_FULL_DISTANCES - END_POS_MODEL_INDEX); // 16
// Length coder layout: choice, choice2, low[16*8], mid[16*8], high[256]
const LEN_CHOICE = 0;
const LEN_CHOICE2 = 1;
const LEN_LOW = 2;
const LEN_MID = LEN_LOW + 128;
const LEN_HIGH = LEN_MID + 128;
const LEN_SIZE = LEN_HIGH + 256;
const P_LEN = P_ALIGN + 16;
const P_REP_LEN = P_LEN + LEN_SIZE;
const P_LITERAL = P_REP_LEN + LEN_SIZE;

class LzmaDecoder {
  lc = 0;
  lp = 0;
  pb = 0;
  probs = new Uint16Array(P_LITERAL + (0x300 << 4));
  state = 0;
  rep0 = 0;
  rep1 = 0;
  rep2 = 0;
  rep3 = 0;
  // range decoder
  range = 0;
  code = 0;
  inp: Uint8Array = new Uint8Array(0);
  inPos = 0;
  inEnd = 0;

  setProps(props: number): void {
    if (props >= 9 * 5 * 5) fail('invalid LZMA properties byte');
    this.lc = props % 9;
    const rest = (props / 9) | 0;
    this.lp = rest % 5;
    this.pb = (rest / 5) | 0;
    if (this.lc + this.lp > 4) fail('invalid LZMA2 properties (lc + lp > 4)');
    if (this.pb > 4) fail('invalid LZMA properties byte');
  }

  resetState(): void {
    const n = P_LITERAL + (0x300 << (this.lc + this.lp));
    this.probs.fill(PROB_INIT, 0, n);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
  }

  private nextByte(): number {
    if (this.inPos >= this.inEnd) fail('truncated or corrupt LZMA chunk');
    return this.inp[this.inPos++];
  }

  initRange(inp: Uint8Array, start: number, end: number): void {
    this.inp = inp;
    this.inPos = start;
    this.inEnd = end;
    if (end - start < 5) fail('LZMA chunk too short');
    if (this.nextByte() !== 0) fail('corrupt LZMA range coder header');
    let c = 0;
    for (let i = 0; i < 4; i++) c = ((c << 8) | this.nextByte()) >>> 0;
    this.code = c;
    this.range = 0xffffffff;
    if (c === 0xffffffff) fail('corrupt LZMA range coder header');
  }

  private bit(idx: number): number {
    const probs = this.probs;
    const p = probs[idx];
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      probs[idx] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      this.range = (this.range - bound) >>> 0;
      this.code = (this.code - bound) >>> 0;
      probs[idx] = p - (p >>> 5);
      b = 1;
    }
    if (this.range < 0x1000000) {
      this.range = (this.range * 256) >>> 0;
      this.code = ((this.code * 256) + this.nextByte()) >>> 0;
    }
    return b;
  }

  private direct(numBits: number): number {
    let res = 0;
    for (let i = 0; i < numBits; i++) {
      this.range = this.range >>> 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code = (this.code - this.range) >>> 0;
        b = 1;
      }
      res = res * 2 + b;
      if (this.range < 0x1000000) {
        this.range = (this.range * 256) >>> 0;
        this.code = ((this.code * 256) + this.nextByte()) >>> 0;
      }
    }
    return res;
  }

  private bitTree(base: number, numBits: number): number {
    let m = 1;
    for (let i = 0; i < numBits; i++) m = (m << 1) + this.bit(base + m);
    return m - (1 << numBits);
  }

  private bitTreeReverse(base: number, numBits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < numBits; i++) {
      const b = this.bit(base + m);
      m = (m << 1) + b;
      sym |= b << i;
    }
    return sym;
  }

  private len(base: number, posState: number): number {
    if (this.bit(base + LEN_CHOICE) === 0) return this.bitTree(base + LEN_LOW + (posState << 3), 3);
    if (this.bit(base + LEN_CHOICE2) === 0) return 8 + this.bitTree(base + LEN_MID + (posState << 3), 3);
    return 16 + this.bitTree(base + LEN_HIGH, 8);
  }

  private distance(len: number): number {
    const lenState = len > 3 ? 3 : len;
    const posSlot = this.bitTree(P_POS_SLOT + (lenState << 6), 6);
    if (posSlot < 4) return posSlot;
    const numDirect = (posSlot >>> 1) - 1;
    let dist = (2 | (posSlot & 1)) * Math.pow(2, numDirect);
    if (posSlot < END_POS_MODEL_INDEX) {
      dist += this.bitTreeReverse(P_POS_SPECIAL + dist - posSlot, numDirect);
    } else {
      dist += this.direct(numDirect - 4) * 16;
      dist += this.bitTreeReverse(P_ALIGN, 4);
    }
    return dist >>> 0;
  }

  /**
   * Decode exactly `unpacked` bytes into out (already reserved), with the
   * dictionary starting at out.buf[dictStart] and limited to dictSize bytes.
   * The chunk's compressed bytes are inp[inPos, inEnd) (set by initRange).
   */
  decodeChunk(out: Output, unpacked: number, dictStart: number, dictSize: number): void {
    const buf = out.buf;
    let pos = out.pos;
    const end = pos + unpacked;
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    const lc = this.lc;
    while (pos < end) {
      const rel = pos - dictStart;
      const posState = rel & pbMask;
      let state = this.state;
      if (this.bit(P_IS_MATCH + (state << 4) + posState) === 0) {
        // literal
        const prev = rel > 0 ? buf[pos - 1] : 0;
        const base = P_LITERAL + 0x300 * (((rel & lpMask) << lc) + (prev >>> (8 - lc)));
        let sym = 1;
        if (state >= LIT_STATES) {
          if (this.rep0 >= rel) fail('corrupt LZMA data (distance beyond dictionary)');
          let matchByte = buf[pos - this.rep0 - 1];
          do {
            const matchBit = (matchByte >>> 7) & 1;
            matchByte <<= 1;
            const b = this.bit(base + ((1 + matchBit) << 8) + sym);
            sym = (sym << 1) | b;
            if (matchBit !== b) break;
          } while (sym < 0x100);
        }
        while (sym < 0x100) sym = (sym << 1) | this.bit(base + sym);
        buf[pos++] = sym & 0xff;
        this.state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let len: number;
      if (this.bit(P_IS_REP + state) !== 0) {
        if (rel === 0) fail('corrupt LZMA data (repeat match at dictionary start)');
        if (this.bit(P_IS_REP_G0 + state) === 0) {
          if (this.bit(P_IS_REP0_LONG + (state << 4) + posState) === 0) {
            // short rep: one byte at rep0
            if (this.rep0 >= rel || this.rep0 >= dictSize) fail('corrupt LZMA data (distance beyond dictionary)');
            this.state = state < LIT_STATES ? 9 : 11;
            buf[pos] = buf[pos - this.rep0 - 1];
            pos++;
            continue;
          }
        } else {
          let dist: number;
          if (this.bit(P_IS_REP_G1 + state) === 0) {
            dist = this.rep1;
          } else {
            if (this.bit(P_IS_REP_G2 + state) === 0) {
              dist = this.rep2;
            } else {
              dist = this.rep3;
              this.rep3 = this.rep2;
            }
            this.rep2 = this.rep1;
          }
          this.rep1 = this.rep0;
          this.rep0 = dist;
        }
        len = this.len(P_REP_LEN, posState);
        this.state = state < LIT_STATES ? 8 : 11;
      } else {
        this.rep3 = this.rep2;
        this.rep2 = this.rep1;
        this.rep1 = this.rep0;
        len = this.len(P_LEN, posState);
        this.state = state < LIT_STATES ? 7 : 10;
        this.rep0 = this.distance(len);
        if (this.rep0 === 0xffffffff) fail('unexpected LZMA end marker in LZMA2 chunk');
      }
      len += MATCH_MIN_LEN;
      const dist = this.rep0;
      if (dist >= rel || dist >= dictSize) fail('corrupt LZMA data (distance beyond dictionary)');
      if (pos + len > end) fail('corrupt LZMA data (match crosses chunk end)');
      let src = pos - dist - 1;
      if (dist + 1 >= len) {
        buf.copyWithin(pos, src, src + len);
        pos += len;
      } else {
        for (let i = 0; i < len; i++) buf[pos++] = buf[src++];
      }
    }
    out.pos = pos;
    if (this.code !== 0) fail('corrupt LZMA chunk (range coder not finished)');
    if (this.inPos !== this.inEnd) fail('corrupt LZMA chunk (compressed size mismatch)');
  }
}

// ---------------------------------------------------------------- container

const HEADER_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FOOTER_MAGIC = [0x59, 0x5a];
const CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
const FILTER_LZMA2 = 0x21;

class Reader {
  constructor(readonly data: Uint8Array, public pos: number, readonly end: number) {}
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

function dictSizeFromByte(b: number): number {
  if (b & 0xc0) fail('invalid LZMA2 dictionary size');
  if (b > 40) fail('invalid LZMA2 dictionary size');
  if (b === 40) return 0xffffffff;
  return (2 | (b & 1)) * Math.pow(2, (b >>> 1) + 11);
}

/** Decode the LZMA2 data of one block starting at data[pos]; returns the new pos. */
function decodeLzma2(data: Uint8Array, pos: number, limit: number, out: Output, dictSize: number): number {
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

/** Decode one stream starting at data[pos]; returns the position after its footer. */
function decodeStream(data: Uint8Array, pos: number, out: Output): number {
  if (pos + 12 > data.length) fail('truncated stream header');
  for (let i = 0; i < 6; i++) if (data[pos + i] !== HEADER_MAGIC[i]) fail('not an xz stream (bad magic)');
  const flags0 = data[pos + 6];
  const flags1 = data[pos + 7];
  const hcrc = (data[pos + 8] | (data[pos + 9] << 8) | (data[pos + 10] << 16) | (data[pos + 11] << 24)) >>> 0;
  if (crc32(data, pos + 6, pos + 8) !== hcrc) fail('stream header CRC mismatch');
  if (flags0 !== 0 || (flags1 & 0xf0) !== 0) fail('unsupported stream flags');
  const checkType = flags1 & 0x0f;
  const checkSize = CHECK_SIZES[checkType];
  pos += 12;

  const records: Array<[number, number]> = [];
  // blocks
  for (;;) {
    if (pos >= data.length) fail('truncated stream (missing index)');
    const sizeByte = data[pos];
    if (sizeByte === 0) break; // index indicator
    const hdrSize = (sizeByte + 1) * 4;
    const blockStart = pos;
    if (pos + hdrSize > data.length) fail('truncated block header');
    const hcrc2 = (data[pos + hdrSize - 4] | (data[pos + hdrSize - 3] << 8) |
      (data[pos + hdrSize - 2] << 16) | (data[pos + hdrSize - 1] << 24)) >>> 0;
    if (crc32(data, pos, pos + hdrSize - 4) !== hcrc2) fail('block header CRC mismatch');
    const r = new Reader(data, pos + 2, pos + hdrSize - 4);
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
    pos += hdrSize;

    const outStart = out.pos;
    if (uncSize >= 0 && out.pos + uncSize > out.max) {
      throw new DecompressLimitError(`xz: decompressed data exceeds the limit of ${out.max} bytes`);
    }
    const limit = compSize >= 0 ? Math.min(data.length, pos + compSize) : data.length;
    const dataStart = pos;
    pos = decodeLzma2(data, pos, limit, out, dictSize);
    const actualComp = pos - dataStart;
    if (compSize >= 0 && actualComp !== compSize) fail('compressed size does not match block header');
    const actualUnc = out.pos - outStart;
    if (uncSize >= 0 && actualUnc !== uncSize) fail('uncompressed size does not match block header');
    while ((pos - blockStart) & 3) {
      if (pos >= data.length) fail('truncated block padding');
      if (data[pos++] !== 0) fail('non-zero block padding');
    }
    verifyCheck(checkType, data, pos, out, outStart);
    pos += checkSize;
    records.push([hdrSize + actualComp + checkSize, actualUnc]);
  }

  // index
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
  const icrc = (data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24)) >>> 0;
  if (crc32(data, indexStart, pos) !== icrc) fail('index CRC mismatch');
  pos += 4;
  const indexSize = pos - indexStart;

  // footer
  if (pos + 12 > data.length) fail('truncated stream footer');
  const fcrc = (data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24)) >>> 0;
  if (crc32(data, pos + 4, pos + 10) !== fcrc) fail('stream footer CRC mismatch');
  const backward = ((data[pos + 4] | (data[pos + 5] << 8) | (data[pos + 6] << 16) | (data[pos + 7] << 24)) >>> 0);
  if ((backward + 1) * 4 !== indexSize) fail('stream footer backward size mismatch');
  if (data[pos + 8] !== flags0 || data[pos + 9] !== flags1) fail('stream footer flags do not match header');
  if (data[pos + 10] !== FOOTER_MAGIC[0] || data[pos + 11] !== FOOTER_MAGIC[1]) fail('bad stream footer magic');
  return pos + 12;
}

export function xzDecompress(data: Uint8Array, maxOutput: number): Buffer {
  try {
    return decompress(data, maxOutput);
  } catch (e) {
    if (e instanceof DecompressError || e instanceof DecompressLimitError) throw e;
    // Safety net: nothing but the two documented errors may escape.
    throw new DecompressError(`xz: corrupt input (${(e as Error)?.message ?? String(e)})`);
  }
}

function decompress(data: Uint8Array, maxOutput: number): Buffer {
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

// ---------------------------------------------------------------- encoder

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
  out[o++] = 0x00; // end of LZMA2 data
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
