import { fail } from './fail';

/** MSB-first bit reader over the whole input. */
export class BitReader {
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
    const w = ((p < len ? d[p] << 24 : 0) | (p + 1 < len ? d[p + 1] << 16 : 0) | (p + 2 < len ? d[p + 2] << 8 : 0) | (p + 3 < len ? d[p + 3] : 0)) >>> 0;
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
