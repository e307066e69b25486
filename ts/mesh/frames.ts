/**
 * Frames as the receiving peer will accept them. Besides maxFrameSize, a
 * polyp2p receiver bounds what a compressed body may cost it (base/body-budget.ts:
 * decompressed size and values per byte on the wire). A message that
 * compresses beyond those bounds goes uncompressed, which every receiver
 * accepts (docs/protocol.md §6); the peer's budgets are taken to be this node's.
 */
import type { EncodedMessage } from '../base/backend';
import { countMsgpackValues } from '../base/js/msgpack-count';
import { core } from '../native';
import { decompressedLimit, elementLimit, type BodyBudget } from '../base/body-budget';

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
