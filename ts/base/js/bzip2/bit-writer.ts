/** MSB-first bit writer into a growable buffer. */
export class BitWriter {
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
