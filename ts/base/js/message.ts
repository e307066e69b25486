import { ChecksumError, DecompressLimitError, MsgpackError, TruncatedFrameError } from '../errors';
import type { DecodedBody, EncodeOptions, EncodedMessage, WaterfallCacheLike } from '../codec-types';
import { msgpackEncodeInto } from './msgpack-encode';
import { sha256 } from './hash';
import { msgpackDecodeCounted } from './msgpack-decode';
import { compress as jsCompress, decompress as jsDecompress, compressionMethods } from './compression';

const CHECKSUM = 32;
const HEADER = 4;

type Compress = (data: Uint8Array, method: number) => Buffer;
/**
 * Write an uncompressed frame's length and ID (SHA-256 of the msgpack after
 * them) in place, and record (ID, time) in `record` when given: one native
 * call on the sender's path (crates/core/src/message.rs seal_frame).
 */
export type SealFrame = (frame: Buffer, record: WaterfallCacheLike | null, time: number) => void;
type Decompress = (data: Uint8Array, method: number, maxOutput: number) => Buffer;

export interface MessageCodec {
  frameFromMsgpack(msgpack: Uint8Array, id: Uint8Array, compression: number | null): Buffer;
  encodeMessage(packets: unknown[], compression: number | null, options?: EncodeOptions, record?: WaterfallCacheLike): EncodedMessage;
  decodeBody(body: Uint8Array, compressions: readonly number[], maxSize: number, maxValues?: number): DecodedBody;
}

/**
 * Frames and bodies in TypeScript over the given compressors (the fallback's
 * own, or the native ones: see ../hybrid-backend.ts).
 */
export function createMessageCodec(compress: Compress, decompress: Decompress, seal: SealFrame = jsSeal): MessageCodec {
  return {
    frameFromMsgpack: (msgpack, id, compression) => frameWith(compress, msgpack, id, compression),
    encodeMessage: (packets, compression, options, record) => encodeWith(compress, seal, packets, compression, options, record),
    decodeBody: (body, compressions, maxSize, maxValues = Infinity) => decodeWith(decompress, body, compressions, maxSize, maxValues),
  };
}

/** length(4) + compress(checksum || msgpack) (docs/protocol.md §2-3). */
function frameWith(compress: Compress, msgpack: Uint8Array, id: Uint8Array, compression: number | null): Buffer {
  if (compression == null) {
    const frame = Buffer.allocUnsafe(HEADER + CHECKSUM + msgpack.length);
    frame.writeUInt32BE(CHECKSUM + msgpack.length, 0);
    frame.set(id, HEADER);
    frame.set(msgpack, HEADER + CHECKSUM);
    return frame;
  }
  const plain = Buffer.allocUnsafe(CHECKSUM + msgpack.length);
  plain.set(id, 0);
  plain.set(msgpack, CHECKSUM);
  const body = compress(plain, compression);
  const frame = Buffer.allocUnsafe(HEADER + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER);
  return frame;
}

function encodeWith(compress: Compress, seal: SealFrame, packets: unknown[], compression: number | null, options?: EncodeOptions, record?: WaterfallCacheLike): EncodedMessage {
  // Encode straight into the frame buffer, leaving room for length + checksum.
  const { buf, start, end } = msgpackEncodeInto(packets, options, HEADER + CHECKSUM);
  const sealed = buf.subarray(0, end);
  if (record) {
    const time = packets[2];
    if (typeof time !== 'number') throw new TypeError('encodeMessage: a message recorded as seen needs its time (packets[2]) as a number');
    seal(sealed, record, time);
  } else seal(sealed, null, 0);
  // a view into the frame, unless the frame has memory of its own: then a
  // kept ID would keep a large frame alive (small frames share a pool slab)
  const view = sealed.subarray(HEADER, start);
  const id = buf.buffer.byteLength > Buffer.poolSize ? Buffer.from(view) : view;
  if (compression == null) return { frame: sealed, id, msgpack: sealed.subarray(start, end) };
  const msgpack = Buffer.from(sealed.subarray(start, end));
  return { frame: frameWith(compress, msgpack, id, compression), id, msgpack };
}

/** The supported method of `compressions` that decompresses `body` first, or null (then it is taken raw). */
function tryDecompress(decompress: Decompress, body: Uint8Array, compressions: readonly number[], maxSize: number): [Buffer, number] | null {
  for (const method of compressions) {
    if (!compressionMethods.includes(method)) continue;
    try {
      return [decompress(body, method, maxSize), method];
    } catch (e) {
      // A bomb is an error, not a reason to guess another method.
      if (e instanceof DecompressLimitError) throw e;
    }
  }
  return null;
}

/** A body whose checksum verifies as it is, is raw: an uncompressed frame is always acceptable (crates/core/src/message.rs open_body). */
function rawId(body: Buffer): Buffer | null {
  if (body.length < CHECKSUM) return null;
  const id = sha256(body.subarray(CHECKSUM));
  return id.equals(body.subarray(0, CHECKSUM)) ? id : null;
}

function decodeWith(decompress: Decompress, body: Uint8Array, compressions: readonly number[], maxSize: number, maxValues: number): DecodedBody {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let id = rawId(buf);
  let plain = buf;
  let used: number | null = null;
  if (!id) {
    const opened = tryDecompress(decompress, buf, compressions, maxSize);
    if (opened) [plain, used] = opened;
    if (plain.length < CHECKSUM) {
      throw new TruncatedFrameError(`frame body of ${plain.length} bytes is shorter than the 32-byte checksum; the peer sent a truncated or empty frame`);
    }
    id = sha256(plain.subarray(CHECKSUM));
    if (!id.equals(plain.subarray(0, CHECKSUM))) {
      throw new ChecksumError(
        `checksum mismatch: body says ${plain.subarray(0, 8).toString('hex')}…, SHA-256 of the message is ${id.subarray(0, 8).toString('hex')}…` +
          (used == null ? ' (no advertised compression decoded it; was it compressed with a method the peer did not announce?)' : ''),
      );
    }
  }
  const msgpack = plain.subarray(CHECKSUM);
  const { value: packets, values } = msgpackDecodeCounted(msgpack, maxValues);
  if (!Array.isArray(packets)) throw new MsgpackError('message body is not a msgpack array [msg_type, sender, time, ...payload]');
  return { packets, id, msgpack, compression: used, values };
}

/** The fallback's SealFrame: SHA-256 in TypeScript (node:crypto), the ID copied in. */
export function jsSeal(frame: Buffer, record: WaterfallCacheLike | null, time: number): void {
  if (frame.length < HEADER + CHECKSUM) throw new TruncatedFrameError(`a frame of ${frame.length} bytes has no room for its length and checksum (36 bytes)`);
  const id = sha256(frame.subarray(HEADER + CHECKSUM));
  frame.writeUInt32BE(frame.length - HEADER, 0);
  id.copy(frame, HEADER);
  if (record) record.seen(id, time, time);
}

/** The fallback's sealFrames: jsSeal for each frame of the run, the layout checked whole first (as message.rs). */
export function jsSealFrames(frames: Buffer, ends: Uint32Array, times: Float64Array, record: WaterfallCacheLike | null): void {
  const bad = (why: string) => new TruncatedFrameError(`a run of frames to seal does not fit its buffer: ${why}`);
  if (times.length < ends.length) throw bad(`${ends.length} frames but ${times.length} times`);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    if (ends[i] > frames.length || ends[i] < start + HEADER + CHECKSUM)
      throw bad(`frame ${i} spans ${start}..${ends[i]} of ${frames.length} bytes (each needs 36 bytes of header, in order, inside the buffer)`);
    start = ends[i];
  }
  start = 0;
  for (let i = 0; i < ends.length; i++) {
    jsSeal(frames.subarray(start, ends[i]), record, times[i]);
    start = ends[i];
  }
}

const jsCodec = createMessageCodec(jsCompress, jsDecompress);
export const frameFromMsgpack = jsCodec.frameFromMsgpack;
export const encodeMessage = jsCodec.encodeMessage;
export const decodeBody = jsCodec.decodeBody;
