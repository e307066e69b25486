import type { Backend, DecodedBody, EncodedMessage, FrameDecoderLike, WaterfallCacheLike } from './backend';
import { toTypedError } from './errors';
import { MsgpackExt } from './ext';
import type { FrameBatch, ReaderLimits } from './frame-batch';

/** Shape of the napi-rs addon built from crates/node. */
export interface NativeAddon {
  init(extClass: typeof MsgpackExt): void;
  base58EncodeInt(n: bigint): string;
  base58EncodeBytes(b: Uint8Array): string;
  base58DecodeInt(s: string): bigint;
  sha256(b: Uint8Array): Buffer;
  sha384(b: Uint8Array): Buffer;
  nodeIdFromPreimage(b: Uint8Array): string;
  protocolId(subnet: string, encryption: string, version: string): string;
  msgpackEncode(v: unknown, js2pNumbers: boolean): Buffer;
  msgpackDecode(b: Uint8Array, maxValues?: number): unknown;
  compressionMethods(): number[];
  compress(b: Uint8Array, method: number): Buffer;
  decompress(b: Uint8Array, method: number, maxOutput: number): Buffer;
  encodeMessage(packets: unknown[], compression: number | null, js2pNumbers: boolean, record?: WaterfallCacheLike | null): EncodedMessage;
  sealFrame(frame: Buffer, record: WaterfallCacheLike | null, time: number): void;
  sealFrames(frames: Buffer, ends: Uint32Array, times: Float64Array, record: WaterfallCacheLike | null): void;
  frameFromMsgpack(msgpack: Uint8Array, id: Uint8Array, compression: number | null): Buffer;
  decodeBody(body: Uint8Array, compressions: number[], maxSize: number, maxValues?: number): DecodedBody;
  FrameDecoder: new (maxFrameSize: number) => { push(chunk: Uint8Array): Buffer[]; readonly buffered: number; readonly maxFrameSize: number };
  WaterfallCache: new (windowSeconds: number, maxEntries: number) => WaterfallCacheLike;
  FrameReader: new (limits: ReaderLimits) => {
    setCompressions(methods: number[]): void;
    setDedup(cache: WaterfallCacheLike, linkOnly: number[]): void;
    push(chunk: Uint8Array): void;
    read(now: number): Omit<FrameBatch, 'packets'>;
    readonly buffered: number;
  };
  chordPositions(key: Uint8Array): bigint[];
  ringDistance(a: bigint, b: bigint): bigint;
  ringBetween(x: bigint, a: bigint, b: bigint): boolean;
  fingerTargets(position: bigint, count: number): bigint[];
  closestPreceding(candidates: bigint[], target: bigint): number;
}

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

/** A value budget for the addon: a finite count, or undefined for "unlimited" (Infinity does not cross N-API as an integer). */
function budgetArg(max: number | undefined): number | undefined {
  return max === undefined || !Number.isFinite(max) ? undefined : Math.max(0, Math.floor(max));
}

class NativeFrameDecoder implements FrameDecoderLike {
  private inner: { push(chunk: Uint8Array): Buffer[]; readonly buffered: number };
  constructor(
    Ctor: NativeAddon['FrameDecoder'],
    readonly maxFrameSize: number,
  ) {
    this.inner = new Ctor(maxFrameSize);
  }
  get buffered(): number {
    return this.inner.buffered;
  }
  push(chunk: Uint8Array): Buffer[] {
    try {
      return this.inner.push(chunk);
    } catch (e) {
      throw toTypedError(e);
    }
  }
}

export function createNativeBackend(addon: NativeAddon): Backend {
  addon.init(MsgpackExt);
  const methods = Object.freeze(addon.compressionMethods());
  return {
    name: 'native',
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
    sha256: wrap(addon.sha256),
    sha384: wrap(addon.sha384),
    nodeIdFromPreimage: wrap(addon.nodeIdFromPreimage),
    protocolId: wrap(addon.protocolId),
    msgpackEncode: wrap((v: unknown, o?: { js2pNumbers?: boolean }) => addon.msgpackEncode(v, !!o?.js2pNumbers)),
    msgpackDecode: wrap((b: Uint8Array, max?: number) => addon.msgpackDecode(b, budgetArg(max))) as Backend['msgpackDecode'],
    compressionMethods: methods,
    compress: wrap(addon.compress),
    decompress: wrap(addon.decompress),
    encodeMessage: wrap((p: unknown[], c: number | null, o?: { js2pNumbers?: boolean }, record?: WaterfallCacheLike) => addon.encodeMessage(p, c ?? null, !!o?.js2pNumbers, record ?? null)),
    sealFrame: addon.sealFrame,
    sealFrames: addon.sealFrames,
    frameFromMsgpack: wrap((m: Uint8Array, id: Uint8Array, c: number | null) => addon.frameFromMsgpack(m, id, c ?? null)),
    decodeBody: wrap((b: Uint8Array, c: readonly number[], max: number, maxValues?: number) => addon.decodeBody(b, c as number[], max, budgetArg(maxValues))),
    createFrameDecoder: (maxFrameSize: number) => new NativeFrameDecoder(addon.FrameDecoder, maxFrameSize),
    createWaterfallCache: (windowSeconds: number, maxEntries: number) => new addon.WaterfallCache(windowSeconds, maxEntries),
    createFrameReader: (limits: ReaderLimits) => new addon.FrameReader(limits),
    chordPositions: wrap(addon.chordPositions),
    ringDistance: wrap(addon.ringDistance),
    ringBetween: wrap(addon.ringBetween),
    fingerTargets: wrap(addon.fingerTargets),
    closestPreceding: wrap((c: readonly bigint[], t: bigint) => addon.closestPreceding(c as bigint[], t)),
  };
}
