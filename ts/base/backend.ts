/**
 * The contract between polyp2p's TypeScript layers and its two base-layer
 * implementations: the Rust core reached through N-API (crates/node) and the
 * pure-TypeScript fallback (ts/base/js/). Both must give the same results to
 * the byte; __test__/ runs every case against both.
 *
 * Value model for msgpack (identical in both backends):
 *   nil -> null; bool -> boolean; int -> number when |n| <= 2^53-1, else bigint;
 *   float32/float64 -> number; str -> string; bin -> Buffer; array -> Array;
 *   map -> plain object (keys: str as is, bin as UTF-8 text, numbers as decimal
 *   text); ext -> MsgpackExt instance.
 * Encoding: null/undefined -> nil; boolean; integral number -> shortest int form
 *   (uint64/int64 range), other numbers -> float64; bigint -> shortest int form
 *   (error outside int64/uint64); string -> str; Uint8Array (incl. Buffer) -> bin;
 *   Array -> array; Map -> map (keys encoded as values); MsgpackExt -> ext;
 *   other objects -> map of own enumerable string keys (str keys).
 *   With `js2pNumbers` (msgpack-lite's rules): integers outside [-2^31, 2^31-1]
 *   and all non-integers -> float64; bigint as in the default mode.
 */

import type { FrameReaderLike, ReaderLimits } from './frame-batch';
import type { MsgpackValue, EncodeOptions, DecodedBody, EncodedMessage, FrameDecoderLike, WaterfallCacheLike } from './codec-types';

export type { MsgpackValue, MsgpackExtLike, EncodeOptions, DecodedBody, EncodedMessage, FrameDecoderLike, WaterfallEntries, WaterfallCacheLike } from './codec-types';

export interface Backend {
  readonly name: 'native' | 'js';

  // --- base58 (PROTOCOL.md §7.1): integers only, Bitcoin alphabet ---------
  base58EncodeInt(n: bigint): string;
  /** Bytes read as one big-endian unsigned integer (leading zeros vanish). */
  base58EncodeBytes(bytes: Uint8Array): string;
  /** Throws ERR_BAD_BASE58 for characters outside the alphabet. */
  base58DecodeInt(text: string): bigint;

  // --- hashes and IDs (§4, §7.2-7.4) -------------------------------------
  sha256(data: Uint8Array): Buffer;
  sha384(data: Uint8Array): Buffer;
  /** base58(int(SHA-384(preimage))) */
  nodeIdFromPreimage(preimage: Uint8Array): string;
  /** base58(int(SHA-256(UTF-8(subnet + encryption + version)))) */
  protocolId(subnet: string, encryption: string, version: string): string;

  // --- msgpack (§5) -------------------------------------------------------
  msgpackEncode(value: unknown, options?: EncodeOptions): Buffer;
  /**
   * Throws ERR_BAD_MSGPACK on malformed, truncated or trailing bytes, and
   * ERR_ELEMENT_LIMIT when the bytes hold more than `maxValues` values (every
   * scalar and container counts one, a map entry two; default unlimited).
   */
  msgpackDecode(bytes: Uint8Array, maxValues?: number): MsgpackValue;

  // --- compression (§6) ---------------------------------------------------
  /** Flags this backend can use, in polyp2p's preference order. */
  readonly compressionMethods: readonly number[];
  /** Throws ERR_UNKNOWN_COMPRESSION for an unsupported flag. */
  compress(data: Uint8Array, method: number): Buffer;
  /**
   * Throws ERR_DECOMPRESS_LIMIT when the output would exceed maxOutput bytes
   * (checked while decompressing, never after allocating), ERR_DECOMPRESS_FAILED
   * for corrupt input, ERR_UNKNOWN_COMPRESSION for an unsupported flag.
   */
  decompress(data: Uint8Array, method: number, maxOutput: number): Buffer;

  // --- messages and frames (§3-4) ----------------------------------------
  /**
   * msgpack(packets) -> checksum -> optional compression -> length header.
   * With `record` (a cache of this backend), the message is recorded in it
   * as seen at its own time, packets[2]: a sender's own broadcast, in the
   * same call (no crossing of its own on the native path).
   */
  encodeMessage(packets: unknown[], compression: number | null, options?: EncodeOptions, record?: WaterfallCacheLike): EncodedMessage;
  /**
   * Write an uncompressed frame's length and ID in place ([length 4][ID 32][msgpack]),
   * and record (ID, time) in `record` when given. The sender's per-message native work.
   */
  sealFrame(frame: Buffer, record: WaterfallCacheLike | null, time: number): void;
  /**
   * sealFrame for frames laid back to back in `frames` (frame i ends at
   * `ends[i]`), each recorded at `times[i]`: a sender's frames of one tick in
   * one call (frame-run.ts).
   */
  sealFrames(frames: Buffer, ends: Uint32Array, times: Float64Array, record: WaterfallCacheLike | null): void;
  /** Frame from already-encoded msgpack bytes (the relay path: no re-encode). */
  frameFromMsgpack(msgpack: Uint8Array, id: Uint8Array, compression: number | null): Buffer;
  /**
   * Decode a frame body: try the given compression flags in order (unknown
   * ones skipped), fall back to raw, verify the checksum, decode msgpack.
   * Errors: ERR_TRUNCATED_FRAME, ERR_BAD_CHECKSUM, ERR_BAD_MSGPACK,
   * ERR_DECOMPRESS_LIMIT (decompressed output above `maxSize`),
   * ERR_ELEMENT_LIMIT (more than `maxValues` msgpack values; default unlimited).
   */
  decodeBody(body: Uint8Array, compressions: readonly number[], maxSize: number, maxValues?: number): DecodedBody;
  createFrameDecoder(maxFrameSize: number): FrameDecoderLike;
  /**
   * A connection's receive path (frame-batch.ts): split, decompress within the
   * limits, verify checksums, validate msgpack and read each message's routing
   * header, for every frame a chunk completes, in one call.
   */
  createFrameReader(limits: ReaderLimits): FrameReaderLike;

  // --- waterfall dedup (§11) ---------------------------------------------
  createWaterfallCache(windowSeconds: number, maxEntries: number): WaterfallCacheLike;

  // --- chord ring math (§15.1) -------------------------------------------
  /** [sha1<<224, sha224<<160, sha256<<128, sha384, sha512] positions of a key. */
  chordPositions(key: Uint8Array): bigint[];
  /** (b - a) mod 2^384 */
  ringDistance(a: bigint, b: bigint): bigint;
  /** True when x lies in the ring interval (a, b] (a == b means the whole ring). */
  ringBetween(x: bigint, a: bigint, b: bigint): boolean;
  /** (position + 2^i) mod 2^384 for i in 0..count-1. */
  fingerTargets(position: bigint, count: number): bigint[];
  /**
   * Index in `candidates` of the node closest at or before `target` going
   * round the ring (smallest ringDistance(candidate, target)); -1 if empty.
   */
  closestPreceding(candidates: readonly bigint[], target: bigint): number;
}
