/**
 * Frames as the receiving peer will accept them. Besides maxFrameSize, a
 * polyp2p receiver bounds what a compressed body may cost it: its
 * decompressed size (maxCompressionRatio times its size on the wire, and
 * always RATIO_FLOOR) and the values it decodes into (maxElementsPerByte
 * times its size on the wire, and always ELEMENT_FLOOR). A message that
 * compresses beyond those bounds goes uncompressed, which every receiver
 * accepts (PROTOCOL.md §6.2); the peer's budgets are taken to be this node's.
 */
import type { EncodedMessage } from '../base/backend';
import { countMsgpackValues } from '../base/js/msgpack-count';
import { core } from '../native';

/** Decompressed bytes every compressed body may have, whatever its ratio. */
export const RATIO_FLOOR = 64 * 1024;
/** Values every body may decode into, whatever its size. */
export const ELEMENT_FLOOR = 1024;

export interface BodyBudget {
  maxDecompressedSize: number;
  maxCompressionRatio: number;
  maxElementsPerByte: number;
}

/** Largest decompressed size allowed for a body of `wire` bytes. */
export function decompressedLimit(o: BodyBudget, wire: number): number {
  return Math.min(o.maxDecompressedSize, Math.max(RATIO_FLOOR, o.maxCompressionRatio * wire));
}

/** Most msgpack values a body of `wire` bytes may decode into. */
export function elementLimit(o: BodyBudget, wire: number): number {
  return Math.max(ELEMENT_FLOOR, o.maxElementsPerByte * wire);
}

/** The message as one frame: the raw one, or compressed with `method` when the receiver's budgets allow it. */
export function frameWith(o: BodyBudget, enc: Pick<EncodedMessage, 'msgpack' | 'id'> & { frame?: Buffer }, method: number | null): Buffer {
  const raw = () => enc.frame ?? core.frameFromMsgpack(enc.msgpack, enc.id, null);
  if (method == null) return raw();
  const frame = core.frameFromMsgpack(enc.msgpack, enc.id, method);
  const wire = frame.length - 4;
  if (enc.msgpack.length + 32 > decompressedLimit(o, wire)) return raw();
  const elements = elementLimit(o, wire);
  if (enc.msgpack.length > elements && countMsgpackValues(enc.msgpack, elements) > elements) return raw();
  return frame;
}
