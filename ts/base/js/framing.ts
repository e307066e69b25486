import { FrameTooLargeError } from '../errors';
import type { FrameDecoderLike } from '../codec-types';

const HEADER = 4;

/**
 * Splits a byte stream into frame bodies (4-byte big-endian length + body).
 * The length is checked against maxFrameSize the moment its 4 bytes arrive,
 * before any of the body is buffered. Work is linear in the bytes received:
 * a body that spans chunks is kept as a list of copied parts and joined
 * once, when complete (never re-copied as it grows); a body inside one chunk
 * is returned as a view of it.
 */
export class FrameDecoder implements FrameDecoderLike {
  private readonly header = Buffer.alloc(HEADER);
  private headerFill = 0;
  private parts: Buffer[] = [];
  private got = 0;
  private expected = -1; // body length of the frame in progress, -1 while reading the header

  constructor(readonly maxFrameSize: number) {}

  /**
   * Bytes of the frame in progress received so far, header included (also
   * once it has been parsed): 0 exactly between frames, so a frame whose
   * header arrived but no body byte yet still counts as started (slowloris).
   */
  get buffered(): number {
    return this.expected >= 0 ? HEADER + this.got : this.headerFill;
  }

  push(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    this.pushInto(chunk, out);
    return out;
  }

  /**
   * push(), the bodies going into `out` as they complete: when a later header
   * in the chunk is refused (thrown), the frames before it are in `out`.
   */
  pushInto(chunk: Uint8Array, out: Buffer[]): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    for (;;) {
      if (this.expected < 0) {
        if (pos >= buf.length) break;
        pos = this.readHeader(buf, pos);
        if (this.expected < 0) break;
      }
      if (pos >= buf.length && this.expected > 0) break;
      pos = this.readBody(buf, pos, out); // an empty body (length 0) is emitted at once
    }
  }

  /** Read (the rest of) a length header from `buf` at `pos`; returns the new position. */
  private readHeader(buf: Buffer, pos: number): number {
    let len: number;
    if (this.headerFill === 0 && buf.length - pos >= HEADER) {
      len = buf.readUInt32BE(pos);
      pos += HEADER;
    } else {
      const take = Math.min(HEADER - this.headerFill, buf.length - pos);
      buf.copy(this.header, this.headerFill, pos, pos + take);
      this.headerFill += take;
      pos += take;
      if (this.headerFill < HEADER) return pos;
      this.headerFill = 0;
      len = this.header.readUInt32BE(0);
    }
    if (len > this.maxFrameSize) {
      throw new FrameTooLargeError(`peer announced a frame of ${len} bytes, above maxFrameSize ${this.maxFrameSize}; raise maxFrameSize if peers legitimately send messages this large`);
    }
    this.expected = len;
    return pos;
  }

  /** Read body bytes from `buf` at `pos`, emitting the body when complete; returns the new position. */
  private readBody(buf: Buffer, pos: number, out: Buffer[]): number {
    const avail = buf.length - pos;
    if (this.got === 0 && avail >= this.expected) {
      out.push(buf.subarray(pos, pos + this.expected));
      pos += this.expected;
      this.expected = -1;
      return pos;
    }
    const take = Math.min(this.expected - this.got, avail);
    // A copy, so the caller's chunk is not retained (nor reused under us) for a few bytes of it.
    this.parts.push(Buffer.from(buf.subarray(pos, pos + take)));
    this.got += take;
    pos += take;
    if (this.got === this.expected) {
      out.push(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.got));
      this.parts = [];
      this.got = 0;
      this.expected = -1;
    }
    return pos;
  }
}

/** 4-byte big-endian length + body. */
export function encodeFrame(body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, HEADER);
  return frame;
}
