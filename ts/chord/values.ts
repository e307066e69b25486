/**
 * What a chord value costs: its msgpack size, measured once, before anything
 * is sent or stored. A value msgpack cannot carry (a function, a symbol, a
 * cycle, a bigint out of range) is refused here with a typed error, so it can
 * never reach the store or a background send; so is a value whose message
 * would be larger than the peers that must carry it accept.
 */
import { MessageTooLargeError, toTypedError } from '../base/errors';
import { core } from '../native';

/**
 * Bytes around a value in the largest chord message carrying one (a route
 * request: header, sender ID, request ID, table, position, version with its
 * writer ID of at most 128 characters, hop count) and the body's checksum.
 */
export const VALUE_MESSAGE_OVERHEAD = 512;

/** msgpack size of `value`; throws MsgpackEncodeError (ERR_MSGPACK_UNSUPPORTED) when msgpack cannot carry it. */
export function encodedSize(value: unknown): number {
  try {
    return core.msgpackEncode(value).length;
  } catch (e) {
    throw toTypedError(e);
  }
}

/** Throws MessageTooLargeError unless a message carrying `bytes` of value fits `limit` (what `who` accepts). */
export function assertValueFits(bytes: number, limit: number, who: string): void {
  const message = bytes + VALUE_MESSAGE_OVERHEAD;
  if (message <= limit) return;
  throw new MessageTooLargeError(
    `a value of ${bytes} bytes makes a chord message of about ${message} bytes, larger than ${who} accepts (${limit} bytes); ` +
      'store smaller values (split them over several keys), or raise maxFrameSize on every node',
  );
}
