/**
 * The operations the napi-rs addon (crates/node) runs: those the Rust core
 * does faster than V8 once the N-API crossing is paid, and those that take
 * a whole socket read or a whole tick's frames per crossing. hybrid-backend.ts
 * puts them together with the TypeScript operations into the backend polyp2p
 * runs when the addon loads (bench/README.md, "Routing").
 */
import type { Backend, WaterfallCacheLike } from './backend';
import { toTypedError } from './errors';
import type { FrameBatch, ReaderLimits } from './frame-batch';

/** Shape of the napi-rs addon built from crates/node. */
export interface NativeAddon {
  base58EncodeInt(n: bigint): string;
  base58EncodeBytes(b: Uint8Array): string;
  base58DecodeInt(s: string): bigint;
  sha384(b: Uint8Array): Buffer;
  nodeIdFromPreimage(b: Uint8Array): string;
  protocolId(subnet: string, encryption: string, version: string): string;
  compressionMethods(): number[];
  compress(b: Uint8Array, method: number): Buffer;
  decompress(b: Uint8Array, method: number, maxOutput: number): Buffer;
  sealFrame(frame: Buffer, record: WaterfallCacheLike | null, time: number): void;
  sealFrames(frames: Buffer, ends: Uint32Array, times: Float64Array, record: WaterfallCacheLike | null): void;
  WaterfallCache: new (windowSeconds: number, maxEntries: number) => WaterfallCacheLike;
  FrameReader: new (limits: ReaderLimits) => {
    setCompressions(methods: number[]): void;
    setDedup(cache: WaterfallCacheLike, linkOnly: number[]): void;
    push(chunk: Uint8Array): void;
    read(now: number): Omit<FrameBatch, 'packets'>;
    readonly buffered: number;
  };
  chordPositions(key: Uint8Array): bigint[];
}

/** What the addon contributes to the backend. */
export type NativeOps = Pick<
  Backend,
  | 'base58EncodeInt'
  | 'base58EncodeBytes'
  | 'base58DecodeInt'
  | 'sha384'
  | 'nodeIdFromPreimage'
  | 'protocolId'
  | 'compressionMethods'
  | 'compress'
  | 'decompress'
  | 'sealFrame'
  | 'sealFrames'
  | 'createWaterfallCache'
  | 'createFrameReader'
  | 'chordPositions'
>;

/** Call into the addon, turning its coded errors into polyp2p's typed errors. */
function wrap<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return (...args: A): R => {
    try {
      return fn(...args);
    } catch (e) {
      throw toTypedError(e);
    }
  };
}

export function createNativeOps(addon: NativeAddon): NativeOps {
  return {
    base58EncodeInt: wrap((n: bigint) => {
      if (typeof n !== 'bigint') throw new TypeError('base58EncodeInt expects a bigint');
      if (n < 0n) throw new RangeError('base58 encodes non-negative integers only');
      return addon.base58EncodeInt(n);
    }),
    base58EncodeBytes: wrap(addon.base58EncodeBytes),
    base58DecodeInt: wrap((s: string) => {
      if (typeof s !== 'string') throw new TypeError('base58DecodeInt expects a string');
      return addon.base58DecodeInt(s);
    }),
    sha384: wrap(addon.sha384),
    nodeIdFromPreimage: wrap(addon.nodeIdFromPreimage),
    protocolId: wrap(addon.protocolId),
    compressionMethods: Object.freeze(addon.compressionMethods()),
    compress: wrap(addon.compress),
    decompress: wrap(addon.decompress),
    sealFrame: wrap(addon.sealFrame),
    sealFrames: wrap(addon.sealFrames),
    createWaterfallCache: (windowSeconds: number, maxEntries: number) => new addon.WaterfallCache(windowSeconds, maxEntries),
    createFrameReader: (limits: ReaderLimits) => new addon.FrameReader(limits),
    chordPositions: wrap(addon.chordPositions),
  };
}
