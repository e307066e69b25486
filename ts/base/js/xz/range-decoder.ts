/**
 * The LZMA range decoder: adaptive binary probabilities, direct bits and bit
 * trees, reading the compressed bytes of one LZMA2 chunk.
 */
import { fail } from './fail';

export class RangeDecoder {
  private range = 0;
  private code = 0;
  private inp: Uint8Array = new Uint8Array(0);
  private inPos = 0;
  private inEnd = 0;

  /** `probs` is the probability array the bit indexes refer to. */
  constructor(protected readonly probs: Uint16Array) {}

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

  protected bit(idx: number): number {
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
      this.code = (this.code * 256 + this.nextByte()) >>> 0;
    }
    return b;
  }

  protected direct(numBits: number): number {
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
        this.code = (this.code * 256 + this.nextByte()) >>> 0;
      }
    }
    return res;
  }

  protected bitTree(base: number, numBits: number): number {
    let m = 1;
    for (let i = 0; i < numBits; i++) m = (m << 1) + this.bit(base + m);
    return m - (1 << numBits);
  }

  protected bitTreeReverse(base: number, numBits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < numBits; i++) {
      const b = this.bit(base + m);
      m = (m << 1) + b;
      sym |= b << i;
    }
    return sym;
  }

  /** A chunk must end with the range coder flushed and all its compressed bytes used. */
  protected checkFinished(): void {
    if (this.code !== 0) fail('corrupt LZMA chunk (range coder not finished)');
    if (this.inPos !== this.inEnd) fail('corrupt LZMA chunk (compressed size mismatch)');
  }
}
