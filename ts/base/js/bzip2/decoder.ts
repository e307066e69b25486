/**
 * bzip2 decoder: standard bzip2 streams (as written by libbzip2 / Python's
 * bz2), including concatenated streams; Huffman tables, selector MTF,
 * MTF/RUNA/RUNB, inverse BWT and the initial RLE are decoded with full bounds
 * checking, and every block CRC and the stream CRC are verified. Output is
 * bounded while decoding (DecompressLimitError as soon as it would exceed
 * maxOutput); the per-block working memory is min(stream block size, ~1.25 *
 * maxOutput) 32-bit entries (at most 900 000, ~3.6 MB). Limitations: the
 * long-deprecated "randomised" block mode (never written by bzip2 >= 0.9.5) is
 * rejected; data after the last stream that is not another bzip2 stream is
 * rejected as corrupt.
 */
import { BitReader } from './bit-reader';
import { CRC_TABLE } from './crc';
import { fail, limitHit } from './fail';
import { BLOCK_MAGIC_HI, BLOCK_MAGIC_LO, END_MAGIC_HI, END_MAGIC_LO, GROUP_SIZE, MAX_ALPHA, MAX_CODE_LEN, MAX_GROUPS, MAX_SELECTORS, RUNA, RUNB } from './format';
import { HuffTable, makeDecodeTable } from './huffman';
import { Output } from './output';

/** Decode one block (after its magic) into out; returns the block CRC computed. */
function decodeBlock(br: BitReader, out: Output, blockMax: number, tt: Int32Array): number {
  const storedCrc = ((br.bits(16) << 16) | br.bits(16)) >>> 0;
  if (br.bit()) fail('randomised blocks are not supported');
  const origPtr = br.bits(24);
  const seqToUnseq = readSymbolMap(br);
  const numInUse = seqToUnseq.length;
  const alphaSize = numInUse + 2;
  const nGroups = br.bits(3);
  if (nGroups < 2 || nGroups > MAX_GROUPS) fail('corrupt block (bad number of Huffman tables)');
  const selectors = readSelectors(br, nGroups);
  const tables = readTables(br, nGroups, alphaSize);
  const unzftab = new Int32Array(256);
  const nblock = decodeSymbols(br, { tables, selectors, seqToUnseq, alphaSize }, blockMax, tt, unzftab, out);
  if (origPtr >= nblock) fail('corrupt block (bad BWT origin pointer)');
  inverseBwt(tt, nblock, unzftab);
  const crc = undoInitialRle(tt, origPtr, nblock, out);
  if (crc !== storedCrc) fail('block CRC mismatch (data is corrupt)');
  return crc;
}

/** The symbol map: the bytes in use, in order (at least one). */
function readSymbolMap(br: BitReader): Uint8Array {
  const seqToUnseq = new Uint8Array(256);
  let numInUse = 0;
  const inUse16 = br.bits(16);
  for (let i = 0; i < 16; i++) {
    if (inUse16 & (0x8000 >>> i)) {
      const bits = br.bits(16);
      for (let j = 0; j < 16; j++) if (bits & (0x8000 >>> j)) seqToUnseq[numInUse++] = i * 16 + j;
    }
  }
  if (numInUse === 0) fail('corrupt block (no symbols in use)');
  return seqToUnseq.subarray(0, numInUse);
}

/** Which table each group of GROUP_SIZE symbols uses (MTF-coded; at most MAX_SELECTORS kept). */
function readSelectors(br: BitReader, nGroups: number): Uint8Array {
  const nSelectors = br.bits(15);
  if (nSelectors < 1) fail('corrupt block (no selectors)');
  const selectors = new Uint8Array(Math.min(nSelectors, MAX_SELECTORS));
  const mtfGroups = [0, 1, 2, 3, 4, 5];
  for (let i = 0; i < nSelectors; i++) {
    let j = 0;
    while (br.bit()) {
      j++;
      if (j >= nGroups) fail('corrupt block (bad selector)');
    }
    const v = mtfGroups[j];
    for (; j > 0; j--) mtfGroups[j] = mtfGroups[j - 1];
    mtfGroups[0] = v;
    if (i < MAX_SELECTORS) selectors[i] = v;
  }
  return selectors;
}

/** The Huffman tables: code lengths delta-coded from a 5-bit start. */
function readTables(br: BitReader, nGroups: number, alphaSize: number): HuffTable[] {
  const tables: HuffTable[] = [];
  const lens = new Uint8Array(MAX_ALPHA);
  for (let t = 0; t < nGroups; t++) {
    let curr = br.bits(5);
    for (let i = 0; i < alphaSize; i++) {
      for (;;) {
        if (curr < 1 || curr > MAX_CODE_LEN) fail('corrupt block (bad code length)');
        if (!br.bit()) break;
        curr += br.bit() ? -1 : 1;
      }
      lens[i] = curr;
    }
    tables.push(makeDecodeTable(lens, alphaSize));
  }
  return tables;
}

/** What decodeSymbols reads the block's symbols with. */
interface SymbolCoding {
  tables: HuffTable[];
  selectors: Uint8Array;
  seqToUnseq: Uint8Array;
  alphaSize: number;
}

/**
 * The block's Huffman-coded MTF values and RUNA/RUNB runs, undone into tt
 * (low 8 bits hold the byte), counting each byte in unzftab; returns the
 * block's length.
 */
function decodeSymbols(br: BitReader, coding: SymbolCoding, blockMax: number, tt: Int32Array, unzftab: Int32Array, out: Output): number {
  const { tables, selectors, seqToUnseq, alphaSize } = coding;
  const mtf = new Uint8Array(256);
  for (let i = 0; i < 256; i++) mtf[i] = i;
  const EOB = seqToUnseq.length + 1;
  const numSel = selectors.length;
  let nblock = 0;
  let groupNo = -1;
  let groupPos = 0;
  let table = tables[0];
  let runLen = 0;
  let runBit = 1;
  for (;;) {
    if (groupPos === 0) {
      groupNo++;
      if (groupNo >= numSel) fail('corrupt block (ran out of selectors)');
      groupPos = GROUP_SIZE;
      table = tables[selectors[groupNo]];
    }
    groupPos--;
    const sym = decodeSymbol(br, table, alphaSize);
    if (sym === RUNA || sym === RUNB) {
      if (runBit > 2 * 1024 * 1024) fail('corrupt block (run too long)');
      runLen += runBit * (sym + 1);
      runBit <<= 1;
      continue;
    }
    if (runLen > 0) {
      if (nblock + runLen > blockMax) fail('corrupt block (block too long)');
      if (nblock + runLen > tt.length) limitHit(out);
      const b = seqToUnseq[mtf[0]];
      unzftab[b] += runLen;
      tt.fill(b, nblock, nblock + runLen);
      nblock += runLen;
      runLen = 0;
      runBit = 1;
    }
    if (sym === EOB) return nblock;
    if (nblock >= blockMax) fail('corrupt block (block too long)');
    if (nblock >= tt.length) limitHit(out);
    const j = sym - 1;
    const v = mtf[j];
    mtf.copyWithin(1, 0, j);
    mtf[0] = v;
    const b = seqToUnseq[v];
    unzftab[b]++;
    tt[nblock++] = b;
  }
}

/** One Huffman-coded symbol. */
function decodeSymbol(br: BitReader, table: HuffTable, alphaSize: number): number {
  const maxLen = table.maxLen;
  const w = br.peek(maxLen);
  const limit = table.limit;
  let zn = table.minLen;
  let zvec = w >>> (maxLen - zn);
  while (zvec > limit[zn]) {
    zn++;
    if (zn > maxLen) fail('corrupt block (bad Huffman code)');
    zvec = w >>> (maxLen - zn);
  }
  br.skip(zn);
  const idx = zvec - table.base[zn];
  if (idx < 0 || idx >= alphaSize) fail('corrupt block (bad Huffman code)');
  return table.perm[idx];
}

/** Inverse BWT: each entry of tt gets the index of its successor in its high 24 bits. */
function inverseBwt(tt: Int32Array, nblock: number, unzftab: Int32Array): void {
  const cftab = new Int32Array(256);
  for (let i = 0, sum = 0; i < 256; i++) {
    cftab[i] = sum;
    sum += unzftab[i];
  }
  for (let i = 0; i < nblock; i++) {
    const b = tt[i] & 0xff;
    tt[cftab[b]++] |= i << 8;
  }
}

/** Walk the BWT from origPtr undoing the initial RLE into out (bounded); returns the block CRC. */
function undoInitialRle(tt: Int32Array, origPtr: number, nblock: number, out: Output): number {
  let crc = -1;
  let tPos = tt[origPtr] >>> 8;
  let last = -1;
  let count = 0;
  let remaining = nblock;
  let buf = out.buf;
  let pos = out.pos;
  while (remaining > 0) {
    tPos = tt[tPos];
    const b = tPos & 0xff;
    tPos >>>= 8;
    remaining--;
    if (count === 4) {
      // b is a repeat count for `last`
      if (b > 0) {
        out.pos = pos;
        out.reserve(b);
        buf = out.buf;
        buf.fill(last, pos, pos + b);
        pos += b;
        for (let k = 0; k < b; k++) crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ last) & 0xff];
      }
      count = 0;
      last = -1;
      continue;
    }
    if (b === last) count++;
    else {
      last = b;
      count = 1;
    }
    if (pos >= buf.length) {
      out.pos = pos;
      out.reserve(1);
      buf = out.buf;
    }
    buf[pos++] = b;
    crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff];
  }
  out.pos = pos;
  return ~crc >>> 0;
}

/** Decode all streams of `data`; throws DecompressError / DecompressLimitError. */
export function decompress(data: Uint8Array, maxOutput: number): Buffer {
  // NaN/negative caps mean "nothing may be output"; Infinity means no cap.
  const max = maxOutput === Infinity ? Infinity : maxOutput > 0 ? Math.floor(maxOutput) : 0;
  const out = new Output(max, Math.max(1024, data.length * 6));
  if (data.length === 0) fail('empty input');
  const br = new BitReader(data);
  let tt: Int32Array | null = null;
  let ttSize = 0;
  let streams = 0;
  while (br.pos < br.totalBits) {
    if (streams > 0 && br.totalBits - br.pos < 32) fail('trailing garbage after stream');
    if (br.bits(8) !== 0x42 || br.bits(8) !== 0x5a || br.bits(8) !== 0x68) {
      fail(streams === 0 ? 'not a bzip2 stream (bad magic)' : 'trailing garbage after stream');
    }
    const level = br.bits(8) - 0x30;
    if (level < 1 || level > 9) fail('bad block size in stream header');
    const blockMax = level * 100000;
    // A block of n pre-RLE bytes expands to at least ~4n/5 output bytes, so
    // the BWT vector never needs more than ~5/4 of maxOutput entries.
    const ttWant = Math.min(blockMax, Math.floor(max * 1.25) + 8);
    if (ttSize < ttWant) {
      tt = new Int32Array(ttWant);
      ttSize = ttWant;
    }
    let combined = 0;
    for (;;) {
      const hi = br.bits(24);
      const lo = br.bits(24);
      if (hi === BLOCK_MAGIC_HI && lo === BLOCK_MAGIC_LO) {
        const crc = decodeBlock(br, out, blockMax, tt as Int32Array);
        combined = (((combined << 1) | (combined >>> 31)) ^ crc) >>> 0;
      } else if (hi === END_MAGIC_HI && lo === END_MAGIC_LO) {
        const stored = ((br.bits(16) << 16) | br.bits(16)) >>> 0;
        if (stored !== combined) fail('stream CRC mismatch (data is corrupt)');
        br.pos = (br.pos + 7) & ~7; // streams are byte-aligned
        break;
      } else {
        fail('corrupt stream (bad block magic)');
      }
    }
    streams++;
  }
  return Buffer.from(out.buf.buffer, out.buf.byteOffset, out.pos);
}
