import { DecompressLimitError } from '../errors';

/**
 * Growable output buffer of a decompressor that never grows past `max` bytes:
 * the bomb guard of the pure-TS bz2 and xz decoders (a limit is checked before
 * the allocation, never after).
 */
export class BoundedOutput {
  buf: Uint8Array;
  pos = 0;
  constructor(
    readonly max: number,
    hint: number,
    private readonly method: string,
  ) {
    this.buf = new Uint8Array(Math.max(0, Math.min(max, hint)));
  }

  /** Make room for n more bytes, or throw DecompressLimitError. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need > this.max) {
      throw new DecompressLimitError(`${this.method}: decompressed data exceeds the limit of ${this.max} bytes`);
    }
    if (need > this.buf.length) {
      const cap = Math.min(this.max, Math.max(need, this.buf.length * 2, 65536));
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(0, this.pos));
      this.buf = nb;
    }
  }
}
