/**
 * Frames as the receiving peer will accept them. Besides maxFrameSize, a
 * polyp2p receiver bounds what a compressed body may cost it (base/body-budget.ts:
 * decompressed size and values per byte on the wire). A message that
 * compresses beyond those bounds goes uncompressed, which every receiver
 * accepts (docs/protocol.md §6); the peer's budgets are taken to be this node's.
 */
import type { EncodedMessage } from '../base/codec-types';
import type { ReceivedFrame } from '../base/received-frame';
import { countMsgpackValues } from '../base/js/msgpack-count';
import { core } from '../native';
import { decompressedLimit, elementLimit, type BodyBudget } from '../base/body-budget';

/**
 * Messages shorter than this go uncompressed, whatever the link negotiated:
 * compressing 100 bytes saves next to nothing on the wire and costs a codec
 * call on both ends (the originals compress everything; a raw frame is
 * always accepted, docs/protocol.md §5).
 */
export const COMPRESS_MIN = 512;

/** The message as one frame: the raw one, or compressed with `method` when it is worth it and the receiver's budgets allow it. */
export function frameWith(o: BodyBudget, enc: Pick<EncodedMessage, 'msgpack' | 'id'> & { frame?: Buffer }, method: number | null): Buffer {
  const raw = () => enc.frame ?? core.frameFromMsgpack(enc.msgpack, enc.id, null);
  if (method == null || enc.msgpack.length < COMPRESS_MIN) return raw();
  const frame = core.frameFromMsgpack(enc.msgpack, enc.id, method);
  const wire = frame.length - 4;
  if (enc.msgpack.length + 32 > decompressedLimit(o, wire)) return raw();
  const elements = elementLimit(o, wire);
  if (enc.msgpack.length > elements && countMsgpackValues(enc.msgpack, elements) > elements) return raw();
  return frame;
}

const SNAPPY = 0x20;
/** Largest body a relay deflates again (zlib/gzip, ~40-150 ns per byte): bounds what one relayed frame blocks the event loop. */
export const DEFLATE_RELAY_MAX = 64 * 1024;
/** A relay deflates again only bodies that arrived compressed at most this much (cost per byte received). */
export const DEFLATE_RELAY_RATIO = 8;

/**
 * The frame a relayed body goes on with to a link using `method`: the bytes
 * as received when they arrived in that method (no work at all), snappy
 * (cheap per byte) or uncompressed, and deflate (zlib, gzip) only for bodies
 * small and not highly compressed on arrival, so relaying costs the relay a
 * bounded amount per byte received and per frame, whatever the sender chose.
 */
export function relayFrame(o: BodyBudget, received: Pick<ReceivedFrame, 'msgpack' | 'id' | 'compression' | 'wire' | 'rawFrame'>, method: number | null): Buffer {
  if (method == null) return received.rawFrame;
  const wire = received.wire;
  if (method === received.compression && wire) {
    const frame = Buffer.allocUnsafe(4 + wire.length);
    frame.writeUInt32BE(wire.length, 0);
    wire.copy(frame, 4);
    return frame;
  }
  const plain = received.msgpack.length + 32;
  const arrived = wire?.length ?? plain;
  const cheap = method === SNAPPY || (plain <= DEFLATE_RELAY_MAX && plain <= DEFLATE_RELAY_RATIO * arrived);
  return frameWith(o, { msgpack: received.msgpack, id: received.id, frame: received.rawFrame }, cheap ? method : null);
}
