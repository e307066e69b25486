/**
 * The frames one read of a connection yields, as both backends lay them out
 * (crates/core/src/reader.rs; ts/base/js/frame-reader.ts): the bytes, one row
 * of integers per frame and its time. The node routes a message by its row
 * and builds values only for what it reads (ReceivedFrame).
 */
import type { MsgpackValue } from './backend';

/** Integers per frame in `info`. */
export const FIELDS = 11;
/** Columns of a frame's row in `info`. */
export const COL = {
  /** bit 0: the header has the usual types (main flag, sub-flag ints; sender str/bin; time a finite number); bit 1: the sender was bin */
  flags: 0,
  mainFlag: 1,
  subFlag: 2,
  /** offset in `bytes` of the raw frame [length u32 BE][id 32][msgpack] */
  frameStart: 3,
  msgpackLength: 4,
  /** offset in `bytes` of the sender, and its length */
  senderStart: 5,
  senderLength: 6,
  /** compression flag that decoded the body, or -1 (raw) */
  compression: 7,
  /** offset in `bytes` of the body as received when compressed (-1: raw), and its length */
  wireStart: 8,
  wireLength: 9,
  /** msgpack values the message holds */
  values: 10,
} as const;

export const USUAL = 1;
export const SENDER_BIN = 2;

export interface FrameBatch {
  bytes: Buffer;
  info: Int32Array;
  times: Float64Array;
  /** The error that ended the batch: the frames before it are good, the connection is done. */
  errorCode?: string | null;
  errorMessage?: string | null;
  /**
   * Complete frames may still be buffered: the batch stopped after a frame
   * that may change how the next decode (handshake, renegotiation, unusual
   * header) or at its size limit. Handle these, then read again.
   */
  more: boolean;
  /** The fallback decodes while it validates: each frame's packets, so they are not decoded twice. */
  packets?: MsgpackValue[][];
}

/** The receiver's budgets, in bytes and values (ts/base/body-budget.ts). */
export interface ReaderLimits {
  maxFrameSize: number;
  maxDecompressed: number;
  ratio: number;
  ratioFloor: number;
  valuesPerByte: number;
  valuesFloor: number;
  maxValues: number;
}

/** One connection's receive path: push what the socket read, then read() batches until one is empty. */
export interface FrameReaderLike {
  /** The peer's compression methods, tried in its order when decoding its frames. */
  setCompressions(methods: number[]): void;
  push(chunk: Uint8Array): void;
  read(): FrameBatch;
  /** Bytes of the frame in progress, header included: 0 exactly between frames. */
  readonly buffered: number;
}
