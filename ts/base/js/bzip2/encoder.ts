/**
 * bzip2 encoder: a real bzip2 compressor (900k blocks like `bzip2 -9` /
 * Python's default): initial RLE, BWT by prefix doubling, MTF/RUNA/RUNB, 2-6
 * Huffman tables refined like libbzip2 does. Output decodes with libbzip2
 * (Python's bz2 module); it is not byte-identical to libbzip2's.
 */
import { BitWriter } from './bit-writer';
import { bwtSort } from './bwt';
import { CRC_TABLE } from './crc';
import { BLOCK_MAGIC_HI, BLOCK_MAGIC_LO, END_MAGIC_HI, END_MAGIC_LO, GROUP_SIZE, MAX_ALPHA, MAX_CODE_LEN, RUNA, RUNB } from './format';
import { huffmanLengths } from './huffman';

function writeBlock(bw: BitWriter, block: Uint8Array, n: number, blockCrc: number): void {
  const sa = bwtSort(block, n);
  const inUse = new Uint8Array(256);
  for (let i = 0; i < n; i++) inUse[block[i]] = 1;
  const unseqToSeq = new Uint8Array(256);
  let numInUse = 0;
  for (let i = 0; i < 256; i++) if (inUse[i]) unseqToSeq[i] = numInUse++;
  const alphaSize = numInUse + 2;
  const { mtfv, mtfFreq, nMTF, origPtr } = mtfEncode(block, n, sa, unseqToSeq, numInUse);
  const nGroups = nMTF < 200 ? 2 : nMTF < 600 ? 3 : nMTF < 1200 ? 4 : nMTF < 2400 ? 5 : 6;
  const len = initialLengths(nGroups, nMTF, alphaSize, mtfFreq);
  const selectors = refineTables(len, mtfv, nMTF, alphaSize);
  bw.bits(24, BLOCK_MAGIC_HI);
  bw.bits(24, BLOCK_MAGIC_LO);
  bw.u32(blockCrc);
  bw.bits(1, 0);
  bw.bits(24, origPtr);
  writeSymbolMap(bw, inUse);
  bw.bits(3, nGroups);
  writeSelectors(bw, selectors);
  writeLengths(bw, len, alphaSize);
  writeSymbols(bw, mtfv, nMTF, selectors, len, canonicalCodes(len, alphaSize));
}

/** The block's symbols after the BWT and MTF, zero runs as RUNA/RUNB, then EOB. */
interface MtfSymbols {
  mtfv: Uint16Array;
  mtfFreq: Int32Array;
  nMTF: number;
  /** Where the BWT's original string starts. */
  origPtr: number;
}

/** BWT last column -> MTF -> RUNA/RUNB. */
function mtfEncode(block: Uint8Array, n: number, sa: Int32Array, unseqToSeq: Uint8Array, numInUse: number): MtfSymbols {
  const mtfv = new Uint16Array(n + 1);
  const mtfFreq = new Int32Array(MAX_ALPHA);
  let nMTF = 0;
  let origPtr = 0;
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
  const EOB = numInUse + 1;
  mtfv[nMTF++] = EOB;
  mtfFreq[EOB]++;
  return { mtfv, mtfFreq, nMTF, origPtr };
}

/** Starting code lengths, as libbzip2 sets them: each table cheap for one band of symbol frequencies. */
function initialLengths(nGroups: number, nMTF: number, alphaSize: number, mtfFreq: Int32Array): Uint8Array[] {
  const len: Uint8Array[] = [];
  for (let t = 0; t < nGroups; t++) len.push(new Uint8Array(MAX_ALPHA));
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
  return len;
}

/** Four rounds of libbzip2's refinement: each group of symbols takes its cheapest table, each table is rebuilt from its groups. Returns the selectors. */
function refineTables(len: Uint8Array[], mtfv: Uint16Array, nMTF: number, alphaSize: number): Uint8Array {
  const nGroups = len.length;
  const selectors = new Uint8Array(Math.ceil(nMTF / GROUP_SIZE));
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
  return selectors;
}

/** Canonical Huffman codes from the code lengths. */
function canonicalCodes(len: Uint8Array[], alphaSize: number): Int32Array[] {
  const codes: Int32Array[] = [];
  for (const lengths of len) {
    const c = new Int32Array(MAX_ALPHA);
    let code = 0;
    for (let l = 1; l <= MAX_CODE_LEN; l++) {
      for (let i = 0; i < alphaSize; i++) if (lengths[i] === l) c[i] = code++;
      code <<= 1;
    }
    codes.push(c);
  }
  return codes;
}

/** Which bytes occur: one bit per 16-byte range, then 16 bits for each range in use. */
function writeSymbolMap(bw: BitWriter, inUse: Uint8Array): void {
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
}

/** The selectors, MTF-coded in unary. */
function writeSelectors(bw: BitWriter, selectors: Uint8Array): void {
  bw.bits(15, selectors.length);
  const mtfG = [0, 1, 2, 3, 4, 5];
  for (let i = 0; i < selectors.length; i++) {
    const v = selectors[i];
    let j = 0;
    while (mtfG[j] !== v) j++;
    for (let k = j; k > 0; k--) mtfG[k] = mtfG[k - 1];
    mtfG[0] = v;
    for (let k = 0; k < j; k++) bw.bits(1, 1);
    bw.bits(1, 0);
  }
}

/** Each table's code lengths, delta-coded from the first. */
function writeLengths(bw: BitWriter, len: Uint8Array[], alphaSize: number): void {
  for (const lengths of len) {
    let curr = lengths[0];
    bw.bits(5, curr);
    for (let i = 0; i < alphaSize; i++) {
      const l = lengths[i];
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
}

/** The symbols, each group of GROUP_SIZE with its selected table's codes. */
function writeSymbols(bw: BitWriter, mtfv: Uint16Array, nMTF: number, selectors: Uint8Array, len: Uint8Array[], codes: Int32Array[]): void {
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
