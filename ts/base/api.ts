/**
 * Typed entry points to the base layer with polyp2p's defaults. Each call goes
 * to the active backend (native addon or TypeScript fallback).
 */
import { core } from '../native';
import type { DecodedBody, EncodeOptions, EncodedMessage, FrameDecoderLike, MsgpackValue, WaterfallCacheLike } from './codec-types';

/** Largest frame accepted by default (16 MiB); legitimate traffic is far smaller. */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;
/** Seconds a broadcast stays in the duplicate set, and the stale cut-off (§11). */
export const DEFAULT_DEDUP_WINDOW = 60;
/** Hard cap on remembered broadcasts, whatever peers send. */
export const DEFAULT_DEDUP_ENTRIES = 200_000;

export interface FrameDecoderOptions {
  maxFrameSize?: number;
}

/** Streaming frame splitter: `new FrameDecoder({ maxFrameSize })`, then `push(chunk)`. */
export const FrameDecoder = function FrameDecoder(options: FrameDecoderOptions = {}): FrameDecoderLike {
  return core.createFrameDecoder(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
} as unknown as new (options?: FrameDecoderOptions) => FrameDecoderLike;

export interface WaterfallCacheOptions {
  windowSeconds?: number;
  maxEntries?: number;
}

/** The waterfall's duplicate filter: `new WaterfallCache({ windowSeconds, maxEntries })`. */
export const WaterfallCache = function WaterfallCache(options: WaterfallCacheOptions = {}): WaterfallCacheLike {
  return core.createWaterfallCache(options.windowSeconds ?? DEFAULT_DEDUP_WINDOW, options.maxEntries ?? DEFAULT_DEDUP_ENTRIES);
} as unknown as new (options?: WaterfallCacheOptions) => WaterfallCacheLike;

export function encodeMessage(packets: unknown[], compression: number | null = null, options?: EncodeOptions): EncodedMessage {
  return core.encodeMessage(packets, compression, options);
}

export function decodeBody(body: Uint8Array, compressions: readonly number[] = [], maxSize = DEFAULT_MAX_FRAME_SIZE): DecodedBody {
  return core.decodeBody(body, compressions, maxSize);
}

export function frameFromMsgpack(msgpack: Uint8Array, id: Uint8Array, compression: number | null = null): Buffer {
  return core.frameFromMsgpack(msgpack, id, compression);
}

export function msgpackEncode(value: unknown, options?: EncodeOptions): Buffer {
  return core.msgpackEncode(value, options);
}

export function msgpackDecode(bytes: Uint8Array): MsgpackValue {
  return core.msgpackDecode(bytes);
}

export function compress(data: Uint8Array, method: number): Buffer {
  return core.compress(data, method);
}

export function decompress(data: Uint8Array, method: number, maxOutput = DEFAULT_MAX_FRAME_SIZE): Buffer {
  return core.decompress(data, method, maxOutput);
}

/** base58 of a non-negative integer, or of bytes read as a big-endian integer. */
export function base58Encode(value: bigint | number | Uint8Array): string {
  if (value instanceof Uint8Array) return core.base58EncodeBytes(value);
  return core.base58EncodeInt(typeof value === 'number' ? BigInt(value) : value);
}

export function base58Decode(text: string): bigint {
  return core.base58DecodeInt(text);
}

export function chordPositions(key: string | Uint8Array): bigint[] {
  return core.chordPositions(typeof key === 'string' ? Buffer.from(key, 'utf8') : key);
}
export const ringDistance = (a: bigint, b: bigint): bigint => core.ringDistance(a, b);
export const ringBetween = (x: bigint, a: bigint, b: bigint): boolean => core.ringBetween(x, a, b);
export const fingerTargets = (position: bigint, count = 384): bigint[] => core.fingerTargets(position, count);
export const closestPreceding = (candidates: readonly bigint[], target: bigint): number => core.closestPreceding(candidates, target);
