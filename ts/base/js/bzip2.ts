/**
 * Pure-TypeScript bzip2 codec (compression flag 0x10), the fallback for when
 * the native addon is unavailable. No dependencies.
 *
 * Decoder: standard bzip2 streams (as written by libbzip2 / Python's bz2),
 * including concatenated streams; Huffman tables, selector MTF, MTF/RUNA/RUNB,
 * inverse BWT and the initial RLE are decoded with full bounds checking, and
 * every block CRC and the stream CRC are verified. Output is bounded while
 * decoding (DecompressLimitError as soon as it would exceed maxOutput); the
 * per-block working memory is min(stream block size, ~1.25 * maxOutput)
 * 32-bit entries (at most 900 000, ~3.6 MB). Limitations: the long-deprecated "randomised"
 * block mode (never written by bzip2 >= 0.9.5) is rejected; data after the
 * last stream that is not another bzip2 stream is rejected as corrupt.
 *
 * Encoder: a real bzip2 compressor (900k blocks like `bzip2 -9` / Python's
 * default): initial RLE, BWT by prefix doubling, MTF/RUNA/RUNB, 2-6 Huffman
 * tables refined like libbzip2 does. Output decodes with libbzip2 (Python's
 * bz2 module); it is not byte-identical to libbzip2's.
 */
import { DecompressError, DecompressLimitError } from '../errors';

const BLOCK_MAGIC_HI = 0x314159;
const BLOCK_MAGIC_LO = 0x265359;
const END_MAGIC_HI = 0x177245;
const END_MAGIC_LO = 0x385090;
const MAX_GROUPS = 6;
const MAX_ALPHA = 258;
const MAX_CODE_LEN = 20;
const MAX_SELECTORS = 18002;
const GROUP_SIZE = 50;
const RUNA = 0;
const RUNB = 1;

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c;
  }
  return t;
})();

function fail(msg: string): never {
  throw new DecompressError('bzip2: ' + msg);
}

function limitHit(out: { max: number }): never {
  throw new DecompressLimitError(`bzip2: decompressed data exceeds the limit of ${out.max} bytes`);
}

// ---------------------------------------------------------------- decoder

class BitReader {
  pos = 0; // in bits
  readonly totalBits: number;
  constructor(readonly data: Uint8Array) {
    this.totalBits = data.length * 8;
  }
  /** Next n bits (n <= 24) without consuming them; zero past the end. */
  peek(n: number): number {
    const d = this.data;
    const p = this.pos >>> 3;
    const len = d.length;
    const w = ((p < len ? d[p] << 24 : 0) | (p + 1 < len ? d[p + 1] << 16 : 0) |
      (p + 2 < len ? d[p + 2] << 8 : 0) | (p + 3 < len ? d[p + 3] : 0)) >>> 0;
    return ((w << (this.pos & 7)) >>> 0) >>> (32 - n);
  }
  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.totalBits) fail('truncated stream');
  }
  bits(n: number): number {
    const v = this.peek(n);
    this.skip(n);
    return v;
  }
  bit(): number {
    return this.bits(1);
  }
}

class Output {
  buf: Uint8Array;
  pos = 0;
  constructor(readonly max: number, hint: number) {
    this.buf = new Uint8Array(Math.max(0, Math.min(max, hint)));
  }
  reserve(n: number): void {
    const need = this.pos + n;
    if (need > this.max) {
      throw new DecompressLimitError(`bzip2: decompressed data exceeds the limit of ${this.max} bytes`);
    }
    if (need > this.buf.length) {
      const cap = Math.min(this.max, Math.max(need, this.buf.length * 2, 65536));
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(0, this.pos));
      this.buf = nb;
    }
  }
}

interface HuffTable {
  minLen: number;
  maxLen: number;
  limit: Int32Array;
  base: Int32Array;
  perm: Int32Array;
}

function makeDecodeTable(lengths: Uint8Array, alphaSize: number): HuffTable {
  let minLen = 32;
  let maxLen = 0;
  for (let i = 0; i < alphaSize; i++) {
    if (lengths[i] > maxLen) maxLen = lengths[i];
    if (lengths[i] < minLen) minLen = lengths[i];
  }
  const perm = new Int32Array(MAX_ALPHA);
  const base = new Int32Array(MAX_CODE_LEN + 2);
  const limit = new Int32Array(MAX_CODE_LEN + 2).fill(-1);
  let pp = 0;
  for (let i = minLen; i <= maxLen; i++) for (let j = 0; j < alphaSize; j++) if (lengths[j] === i) perm[pp++] = j;
  for (let i = 0; i < alphaSize; i++) base[lengths[i] + 1]++;
  for (let i = 1; i < base.length; i++) base[i] += base[i - 1];
  let vec = 0;
  for (let i = minLen; i <= maxLen; i++) {
    vec += base[i + 1] - base[i];
    limit[i] = vec - 1;
    vec <<= 1;
  }
  for (let i = minLen + 1; i <= maxLen; i++) base[i] = ((limit[i - 1] + 1) << 1) - base[i];
  return { minLen, maxLen, limit, base, perm };
}

/** Decode one block (after its magic) into out; returns the block CRC computed. */
function decodeBlock(br: BitReader, out: Output, blockMax: number, tt: Int32Array): number {
  const storedCrc = ((br.bits(16) << 16) | br.bits(16)) >>> 0;
  if (br.bit()) fail('randomised blocks are not supported');
  const origPtr = br.bits(24);

  // symbol map
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
  const alphaSize = numInUse + 2;

  const nGroups = br.bits(3);
  if (nGroups < 2 || nGroups > MAX_GROUPS) fail('corrupt block (bad number of Huffman tables)');
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
  const numSel = selectors.length;

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

  // MTF values -> tt (low 8 bits hold the byte)
  const unzftab = new Int32Array(256);
  const mtf = new Uint8Array(256);
  for (let i = 0; i < 256; i++) mtf[i] = i;
  const EOB = numInUse + 1;
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
    // Huffman decode
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
    const sym = table.perm[idx];

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
    if (sym === EOB) break;
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
  if (origPtr >= nblock) fail('corrupt block (bad BWT origin pointer)');

  // inverse BWT
  const cftab = new Int32Array(256);
  for (let i = 0, sum = 0; i < 256; i++) {
    cftab[i] = sum;
    sum += unzftab[i];
  }
  for (let i = 0; i < nblock; i++) {
    const b = tt[i] & 0xff;
    tt[cftab[b]++] |= i << 8;
  }

  // un-RLE, with CRC and output limit
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
  crc = ~crc >>> 0;
  if (crc !== storedCrc) fail('block CRC mismatch (data is corrupt)');
  return crc;
}

function decompress(data: Uint8Array, maxOutput: number): Buffer {
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

export function bzip2Decompress(data: Uint8Array, maxOutput: number): Buffer {
  try {
    return decompress(data, maxOutput);
  } catch (e) {
    if (e instanceof DecompressError || e instanceof DecompressLimitError) throw e;
    // Safety net: nothing but the two documented errors may escape.
    throw new DecompressError(`bzip2: corrupt input (${(e as Error)?.message ?? String(e)})`);
  }
}

// ---------------------------------------------------------------- encoder

class BitWriter {
  buf = new Uint8Array(1 << 16);
  len = 0;
  private acc = 0;
  private n = 0;
  /** Write the low n bits of v (n <= 24). */
  bits(n: number, v: number): void {
    this.acc = (this.acc << n) | (v & ((1 << n) - 1));
    this.n += n;
    while (this.n >= 8) {
      this.n -= 8;
      if (this.len >= this.buf.length) {
        const nb = new Uint8Array(this.buf.length * 2);
        nb.set(this.buf);
        this.buf = nb;
      }
      this.buf[this.len++] = (this.acc >>> this.n) & 0xff;
    }
    this.acc &= (1 << this.n) - 1;
  }
  u32(v: number): void {
    this.bits(16, v >>> 16);
    this.bits(16, v & 0xffff);
  }
  finish(): Buffer {
    if (this.n > 0) this.bits(8 - this.n, 0);
    return Buffer.from(this.buf.buffer, 0, this.len);
  }
}

/** Cyclic-rotation suffix array by prefix doubling (O(n log n)). */
function bwtSort(block: Uint8Array, n: number): Int32Array {
  const sa = new Int32Array(n);
  let rank = new Int32Array(n);
  let tmp = new Int32Array(n);
  const sa2 = new Int32Array(n);
  const cnt = new Int32Array(Math.max(256, n) + 1);
  for (let i = 0; i < n; i++) cnt[block[i]]++;
  for (let i = 1; i < 256; i++) cnt[i] += cnt[i - 1];
  for (let i = n - 1; i >= 0; i--) sa[--cnt[block[i]]] = i;
  let classes = 1;
  rank[sa[0]] = 0;
  for (let i = 1; i < n; i++) {
    if (block[sa[i]] !== block[sa[i - 1]]) classes++;
    rank[sa[i]] = classes - 1;
  }
  for (let k = 1; k < n && classes < n; k <<= 1) {
    // order by second key: rotation i+k
    for (let i = 0; i < n; i++) {
      let j = sa[i] - k;
      if (j < 0) j += n;
      sa2[i] = j;
    }
    // stable counting sort by first key
    cnt.fill(0, 0, classes + 1);
    for (let i = 0; i < n; i++) cnt[rank[i]]++;
    for (let i = 1; i < classes; i++) cnt[i] += cnt[i - 1];
    for (let i = n - 1; i >= 0; i--) {
      const j = sa2[i];
      sa[--cnt[rank[j]]] = j;
    }
    tmp[sa[0]] = 0;
    classes = 1;
    for (let i = 1; i < n; i++) {
      const a = sa[i];
      const b = sa[i - 1];
      let ak = a + k;
      if (ak >= n) ak -= n;
      let bk = b + k;
      if (bk >= n) bk -= n;
      if (rank[a] !== rank[b] || rank[ak] !== rank[bk]) classes++;
      tmp[a] = classes - 1;
    }
    const t = rank;
    rank = tmp;
    tmp = t;
  }
  return sa;
}

/** Huffman code lengths (all >= 1, at most maxLen) for the given frequencies. */
function huffmanLengths(freq: Int32Array, alphaSize: number, maxLen: number, out: Uint8Array): void {
  const w = new Float64Array(alphaSize);
  for (let i = 0; i < alphaSize; i++) w[i] = freq[i] === 0 ? 1 : freq[i];
  for (;;) {
    // nodes: leaves 0..alphaSize-1, internal after
    const parent = new Int32Array(alphaSize * 2);
    const weight: number[] = [];
    const heap: number[] = [];
    const push = (node: number): void => {
      heap.push(node);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (weight[heap[p]] <= weight[heap[i]]) break;
        [heap[p], heap[i]] = [heap[i], heap[p]];
        i = p;
      }
    };
    const pop = (): number => {
      const top = heap[0];
      const last = heap.pop() as number;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && weight[heap[l]] < weight[heap[m]]) m = l;
          if (r < heap.length && weight[heap[r]] < weight[heap[m]]) m = r;
          if (m === i) break;
          [heap[m], heap[i]] = [heap[i], heap[m]];
          i = m;
        }
      }
      return top;
    };
    for (let i = 0; i < alphaSize; i++) {
      weight.push(w[i]);
      push(i);
    }
    let next = alphaSize;
    while (heap.length > 1) {
      const a = pop();
      const b = pop();
      weight.push(weight[a] + weight[b]);
      parent[a] = next;
      parent[b] = next;
      push(next++);
    }
    const root = next - 1;
    let tooLong = false;
    for (let i = 0; i < alphaSize; i++) {
      let d = 0;
      for (let j = i; j !== root; j = parent[j]) d++;
      out[i] = d;
      if (d > maxLen) tooLong = true;
    }
    if (!tooLong) return;
    for (let i = 0; i < alphaSize; i++) w[i] = 1 + Math.floor(w[i] / 2);
  }
}

function writeBlock(bw: BitWriter, block: Uint8Array, n: number, blockCrc: number): void {
  const sa = bwtSort(block, n);
  let origPtr = 0;
  const inUse = new Uint8Array(256);
  for (let i = 0; i < n; i++) inUse[block[i]] = 1;
  const unseqToSeq = new Uint8Array(256);
  let numInUse = 0;
  for (let i = 0; i < 256; i++) if (inUse[i]) unseqToSeq[i] = numInUse++;
  const alphaSize = numInUse + 2;
  const EOB = numInUse + 1;

  // BWT last column -> MTF -> RUNA/RUNB
  const mtfv = new Uint16Array(n + 1);
  const mtfFreq = new Int32Array(MAX_ALPHA);
  let nMTF = 0;
  const list = new Uint8Array(256);
  for (let i = 0; i < numInUse; i++) list[i] = i;
  let zPend = 0;
  const flushZeros = (): void => {
    if (zPend === 0) return;
    zPend--;
    for (;;) {
      const s = zPend & 1 ? RUNB : RUNA;
      mtfv[nMTF++] = s;
      mtfFreq[s]++;
      if (zPend < 2) break;
      zPend = (zPend - 2) >>> 1;
    }
    zPend = 0;
  };
  for (let i = 0; i < n; i++) {
    let j = sa[i] - 1;
    if (j < 0) {
      j += n;
      origPtr = i;
    }
    const s = unseqToSeq[block[j]];
    if (list[0] === s) {
      zPend++;
      continue;
    }
    flushZeros();
    let k = 1;
    while (list[k] !== s) k++;
    list.copyWithin(1, 0, k);
    list[0] = s;
    mtfv[nMTF++] = k + 1;
    mtfFreq[k + 1]++;
  }
  flushZeros();
  mtfv[nMTF++] = EOB;
  mtfFreq[EOB]++;

  // Huffman tables, refined as libbzip2 does
  const nGroups = nMTF < 200 ? 2 : nMTF < 600 ? 3 : nMTF < 1200 ? 4 : nMTF < 2400 ? 5 : 6;
  const len: Uint8Array[] = [];
  for (let t = 0; t < nGroups; t++) len.push(new Uint8Array(MAX_ALPHA));
  {
    let nPart = nGroups;
    let remF = nMTF;
    let gs = 0;
    while (nPart > 0) {
      const tFreq = remF / nPart;
      let ge = gs - 1;
      let aFreq = 0;
      while (aFreq < tFreq && ge < alphaSize - 1) {
        ge++;
        aFreq += mtfFreq[ge];
      }
      if (ge > gs && nPart !== nGroups && nPart !== 1 && (nGroups - nPart) % 2 === 1) {
        aFreq -= mtfFreq[ge];
        ge--;
      }
      for (let v = 0; v < alphaSize; v++) len[nPart - 1][v] = v >= gs && v <= ge ? 0 : 15;
      nPart--;
      gs = ge + 1;
      remF -= aFreq;
    }
  }
  const nSelectors = Math.ceil(nMTF / GROUP_SIZE);
  const selectors = new Uint8Array(nSelectors);
  const rfreq: Int32Array[] = [];
  for (let t = 0; t < nGroups; t++) rfreq.push(new Int32Array(MAX_ALPHA));
  for (let iter = 0; iter < 4; iter++) {
    for (let t = 0; t < nGroups; t++) rfreq[t].fill(0);
    for (let g = 0, gs = 0; gs < nMTF; g++, gs += GROUP_SIZE) {
      const ge = Math.min(gs + GROUP_SIZE, nMTF);
      let best = 0;
      let bestCost = Infinity;
      for (let t = 0; t < nGroups; t++) {
        const l = len[t];
        let cost = 0;
        for (let i = gs; i < ge; i++) cost += l[mtfv[i]];
        if (cost < bestCost) {
          bestCost = cost;
          best = t;
        }
      }
      selectors[g] = best;
      const f = rfreq[best];
      for (let i = gs; i < ge; i++) f[mtfv[i]]++;
    }
    for (let t = 0; t < nGroups; t++) huffmanLengths(rfreq[t], alphaSize, 17, len[t]);
  }

  // canonical codes
  const codes: Int32Array[] = [];
  for (let t = 0; t < nGroups; t++) {
    const c = new Int32Array(MAX_ALPHA);
    let code = 0;
    for (let l = 1; l <= MAX_CODE_LEN; l++) {
      for (let i = 0; i < alphaSize; i++) if (len[t][i] === l) c[i] = code++;
      code <<= 1;
    }
    codes.push(c);
  }

  // emit
  bw.bits(24, BLOCK_MAGIC_HI);
  bw.bits(24, BLOCK_MAGIC_LO);
  bw.u32(blockCrc);
  bw.bits(1, 0);
  bw.bits(24, origPtr);
  let used16 = 0;
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) if (inUse[i * 16 + j]) used16 |= 0x8000 >>> i;
  }
  bw.bits(16, used16);
  for (let i = 0; i < 16; i++) {
    if (!(used16 & (0x8000 >>> i))) continue;
    let bits = 0;
    for (let j = 0; j < 16; j++) if (inUse[i * 16 + j]) bits |= 0x8000 >>> j;
    bw.bits(16, bits);
  }
  bw.bits(3, nGroups);
  bw.bits(15, nSelectors);
  const mtfG = [0, 1, 2, 3, 4, 5];
  for (let i = 0; i < nSelectors; i++) {
    const v = selectors[i];
    let j = 0;
    while (mtfG[j] !== v) j++;
    for (let k = j; k > 0; k--) mtfG[k] = mtfG[k - 1];
    mtfG[0] = v;
    for (let k = 0; k < j; k++) bw.bits(1, 1);
    bw.bits(1, 0);
  }
  for (let t = 0; t < nGroups; t++) {
    let curr = len[t][0];
    bw.bits(5, curr);
    for (let i = 0; i < alphaSize; i++) {
      const l = len[t][i];
      while (curr < l) {
        bw.bits(2, 2);
        curr++;
      }
      while (curr > l) {
        bw.bits(2, 3);
        curr--;
      }
      bw.bits(1, 0);
    }
  }
  for (let g = 0, gs = 0; gs < nMTF; g++, gs += GROUP_SIZE) {
    const ge = Math.min(gs + GROUP_SIZE, nMTF);
    const l = len[selectors[g]];
    const c = codes[selectors[g]];
    for (let i = gs; i < ge; i++) bw.bits(l[mtfv[i]], c[mtfv[i]]);
  }
}

export function bzip2Compress(data: Uint8Array): Buffer {
  const LEVEL = 9;
  const BLOCK_MAX = LEVEL * 100000 - 19; // same margin as libbzip2
  const bw = new BitWriter();
  bw.bits(8, 0x42);
  bw.bits(8, 0x5a);
  bw.bits(8, 0x68);
  bw.bits(8, 0x30 + LEVEL);
  const block = new Uint8Array(BLOCK_MAX);
  let combined = 0;
  let i = 0;
  const total = data.length;
  while (i < total) {
    // fill one block with the initial RLE (runs of 4..255 -> 4 bytes + count)
    let n = 0;
    let crc = -1;
    while (i < total) {
      const b = data[i];
      let r = 1;
      while (r < 255 && i + r < total && data[i + r] === b) r++;
      const need = r < 4 ? r : 5;
      if (n + need > BLOCK_MAX) break;
      if (r < 4) {
        for (let k = 0; k < r; k++) block[n++] = b;
      } else {
        block[n++] = b;
        block[n++] = b;
        block[n++] = b;
        block[n++] = b;
        block[n++] = r - 4;
      }
      for (let k = 0; k < r; k++) crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff];
      i += r;
    }
    crc = ~crc >>> 0;
    writeBlock(bw, block, n, crc);
    combined = (((combined << 1) | (combined >>> 31)) ^ crc) >>> 0;
  }
  bw.bits(24, END_MAGIC_HI);
  bw.bits(24, END_MAGIC_LO);
  bw.u32(combined);
  return bw.finish();
}
