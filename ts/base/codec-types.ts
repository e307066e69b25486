/**
 * The base layer's value types, as users see them (msgpack values, encoded and decoded
 * messages, the frame decoder and the duplicate filter): shared by both backends
 * (backend.ts) and by the public API, which does not need the backends' contract itself.
 * The msgpack value model is described in backend.ts.
 */

/** Decoded msgpack value. */
export type MsgpackValue = null | boolean | number | bigint | string | Buffer | MsgpackValue[] | { [key: string]: MsgpackValue } | MsgpackExtLike;

export interface MsgpackExtLike {
  readonly type: number;
  readonly data: Buffer;
}

export interface EncodeOptions {
  /** Encode numbers the way js2p's msgpack-lite 0.1.27 does. */
  js2pNumbers?: boolean;
}

/** Result of decoding one frame body (what follows the 4-byte length). */
export interface DecodedBody {
  /** The decoded msgpack array: [msg_type, sender, time, ...payload]. */
  packets: MsgpackValue[];
  /** SHA-256 of `msgpack`: the message ID (32 bytes). */
  id: Buffer;
  /** The msgpack bytes exactly as received (relays forward these unchanged). */
  msgpack: Buffer;
  /** The compression flag that decoded the body, or null when it was raw. */
  compression: number | null;
  /** How many msgpack values `packets` holds, when the decoder counted them (what the message costs in JS objects). */
  values?: number;
  /** The compressed body as received (set by the connection when `compression` is not null): relays reuse it. */
  wire?: Buffer;
}

/** An encoded message ready for the wire. */
export interface EncodedMessage {
  /** Complete frame: 4-byte big-endian length + (compressed) checksum+msgpack. */
  frame: Buffer;
  /** SHA-256 of `msgpack`: the message ID. */
  id: Buffer;
  msgpack: Buffer;
}

/** Streaming frame splitter. push() returns every body completed by `chunk`. */
export interface FrameDecoderLike {
  push(chunk: Uint8Array): Buffer[];
  /** Bytes held waiting for the rest of a frame. */
  readonly buffered: number;
  readonly maxFrameSize: number;
}

/** Duplicate filter of the waterfall (PROTOCOL.md §11). */
export interface WaterfallEntries {
  ids: Buffer;
  ends: Uint32Array;
  times: Float64Array;
}

export interface WaterfallCacheLike {
  /**
   * Record (id, time). Returns true when the pair was already present (a
   * duplicate: drop it), false when it is new (now recorded). Also prunes
   * entries whose time <= now - window.
   */
  seen(id: Uint8Array, time: number, now: number): boolean;
  has(id: Uint8Array, time: number): boolean;
  /** Take back a record whose message was never acted on: a later copy is new again. */
  forget(id: Uint8Array, time: number): void;
  prune(now: number): void;
  clear(): void;
  /**
   * The remembered (ID, time) pairs, oldest first, forgotten ones left out:
   * the IDs back to back in `ids` (entry i ends at `ends[i]`; an ID longer
   * than 32 bytes is kept, and given, as its SHA-256).
   */
  entries(): WaterfallEntries;
  readonly size: number;
  readonly maxEntries: number;
  readonly windowSeconds: number;
}
