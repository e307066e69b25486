import { FrameTooLargeError } from '../errors';
import type { FrameDecoderLike } from '../backend';

/**
 * Splits a byte stream into frame bodies (4-byte big-endian length + body).
 * The length is checked against maxFrameSize the moment its 4 bytes arrive,
 * before any of the body is buffered.
 */
export class FrameDecoder implements FrameDecoderLike {
  private chunks: Buffer[] = [];
  private held = 0;
  private expected = -1; // body length of the frame in progress, -1 while reading the header

  constructor(readonly maxFrameSize: number) {}

  /**
   * Bytes of the frame in progress received so far, header included (also
   * once it has been parsed): 0 exactly between frames, so a frame whose
   * header arrived but no body byte yet still counts as started (slowloris).
   */
  get buffered(): number {
    return this.held + (this.expected >= 0 ? 4 : 0);
  }

  push(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.held > 0) {
      this.chunks.push(buf);
      buf = Buffer.concat(this.chunks, this.held + buf.length);
      this.chunks = [];
      this.held = 0;
    }
    let pos = 0;
    for (;;) {
      if (this.expected < 0) {
        if (buf.length - pos < 4) break;
        const len = buf.readUInt32BE(pos);
        if (len > this.maxFrameSize) {
          throw new FrameTooLargeError(
            `peer announced a frame of ${len} bytes, above maxFrameSize ${this.maxFrameSize}; raise maxFrameSize if peers legitimately send messages this large`,
          );
        }
        this.expected = len;
        pos += 4;
      }
      if (buf.length - pos < this.expected) break;
      out.push(buf.subarray(pos, pos + this.expected));
      pos += this.expected;
      this.expected = -1;
    }
    if (pos < buf.length) {
      // Copy the remainder so the caller's chunk can be reused.
      const rest = Buffer.from(buf.subarray(pos));
      this.chunks.push(rest);
      this.held = rest.length;
    }
    return out;
  }
}

/** 4-byte big-endian length + body. */
export function encodeFrame(body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, 4);
  return frame;
}
