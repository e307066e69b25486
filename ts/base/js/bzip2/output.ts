import { DecompressLimitError } from '../../errors';

/** Growable output buffer that never grows past `max` bytes. */
export class Output {
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
