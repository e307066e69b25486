/**
 * The LZMA decoder used by LZMA2 chunks. It follows the structure of the
 * public-domain LzmaSpec.cpp / xz-embedded. Its window is the output buffer
 * itself, so memory is bounded by maxOutput (min(dict size, maxOutput) of
 * window, never more); match distances are still checked against the
 * dictionary size declared in the block header.
 */
import { fail } from './fail';
import { Output } from './output';
import { RangeDecoder } from './range-decoder';

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

export class LzmaDecoder extends RangeDecoder {
  lc = 0;
  lp = 0;
  pb = 0;
  state = 0;
  rep0 = 0;
  rep1 = 0;
  rep2 = 0;
  rep3 = 0;

  constructor() {
    super(new Uint16Array(P_LITERAL + (0x300 << 4)));
  }

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
    while (pos < end) {
      const rel = pos - dictStart;
      const posState = rel & pbMask;
      if (this.bit(P_IS_MATCH + (this.state << 4) + posState) === 0) {
        buf[pos] = this.literal(buf, pos, rel & lpMask, rel);
        pos++;
      } else pos = this.match(buf, pos, rel, posState, dictSize, end);
    }
    out.pos = pos;
    this.checkFinished();
  }

  /** One literal byte at buf[pos] (after a match, coded against the byte at rep0); moves the state on. */
  private literal(buf: Uint8Array, pos: number, posBits: number, rel: number): number {
    const state = this.state;
    const lc = this.lc;
    const prev = rel > 0 ? buf[pos - 1] : 0;
    const base = P_LITERAL + 0x300 * ((posBits << lc) + (prev >>> (8 - lc)));
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
    this.state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
    return sym & 0xff;
  }

  /** A match at buf[pos] (new, repeated, or a one-byte short rep), copied within the window; returns the position after it. */
  private match(buf: Uint8Array, pos: number, rel: number, posState: number, dictSize: number, end: number): number {
    const state = this.state;
    let len: number;
    if (this.bit(P_IS_REP + state) !== 0) {
      if (rel === 0) fail('corrupt LZMA data (repeat match at dictionary start)');
      if (this.bit(P_IS_REP_G0 + state) === 0) {
        if (this.bit(P_IS_REP0_LONG + (state << 4) + posState) === 0) {
          // short rep: one byte at rep0
          if (this.rep0 >= rel || this.rep0 >= dictSize) fail('corrupt LZMA data (distance beyond dictionary)');
          this.state = state < LIT_STATES ? 9 : 11;
          buf[pos] = buf[pos - this.rep0 - 1];
          return pos + 1;
        }
      } else this.pickRep(state);
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
      return pos + len;
    }
    for (let i = 0; i < len; i++) buf[pos++] = buf[src++];
    return pos;
  }

  /** A repeated match of rep1, rep2 or rep3: that distance moves to rep0. */
  private pickRep(state: number): void {
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
}
