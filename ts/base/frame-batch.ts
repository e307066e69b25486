/**
 * The frames one read of a connection yields, as both backends lay them out
 * (crates/core/src/reader.rs; ts/base/js/frame-reader.ts): the bytes, one row
 * of integers per frame and its time. The node routes a message by its row
 * and builds values only for what it reads (ReceivedFrame).
 */
import type { MsgpackValue, WaterfallCacheLike } from './codec-types';

/** Integers per frame in `info`. */
export const FIELDS = 12;
/** Columns of a frame's row in `info`. */
export const COL = {
  /**
   * bit 0: the header has the usual types (main flag, sub-flag ints; sender str/bin; time a finite number); bit 1: the sender was bin;
   * bit 2: the sender's type and bytes are those of the row before (set by the Rust reader, which locates senders; the fallback's rows come with decoded packets)
   */
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
  /** the waterfall's verdict on a broadcast (VERDICT), when the reader has the node's duplicate filter */
  verdict: 11,
} as const;

/** What the waterfall (docs/protocol.md §9.2) says of a frame, as the reader read it. */
export const VERDICT = {
  /** not a broadcast with the usual header (or no filter): the node decides */
  unchecked: 0,
  /** seen for the first time, now recorded: relay and process it */
  new: 1,
  duplicate: 2,
  /** older than the window: dropped, not recorded */
  stale: 3,
  /** a link-level sub-flag inside a broadcast: dropped, not recorded */
  linkOnly: 4,
} as const;

/**
 * Longest sender (bytes) a reader judges. The node ignores a message whose
 * sender is empty or longer than a node ID before its waterfall: such a
 * message is neither recorded nor counted, by the reader as by the node.
 * Longer ones are left unchecked, for the node. As reader.rs MAX_JUDGED_SENDER.
 */
export const MAX_JUDGED_SENDER = 128;

/**
 * Take back the records of broadcasts the reader judged new from row `from`
 * on, when they will not be acted on (their connection closed mid-batch): a
 * copy from another peer must still get through.
 */
export function forgetUnhandled(batch: FrameBatch, from: number, cache: WaterfallCacheLike): void {
  for (let i = from; i < batch.times.length; i++) {
    const row = i * FIELDS;
    if (batch.info[row + COL.verdict] !== VERDICT.new) continue;
    const idAt = batch.info[row + COL.frameStart] + 4;
    cache.forget(batch.bytes.subarray(idAt, idAt + 32), batch.times[i]);
  }
}

export const USUAL = 1;
export const SENDER_BIN = 2;
export const SENDER_REPEATS = 4;

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
  /**
   * Judge every broadcast read against the node's duplicate filter (the
   * `verdict` column); `linkOnly`: sub-flags never taken from a broadcast.
   * The cache must come from the same backend.
   */
  setDedup(cache: WaterfallCacheLike, linkOnly: number[]): void;
  push(chunk: Uint8Array): void;
  /** `now`: the receiver's clock, Unix seconds (the dedup window). */
  read(now: number): FrameBatch;
  /** push(chunk), then read(now): a socket read's first batch (one crossing into the addon, not two). */
  pushRead(chunk: Uint8Array, now: number): FrameBatch;
  /** Bytes of the frame in progress, header included: 0 exactly between frames. */
  readonly buffered: number;
}
