/**
 * The operations the napi-rs addon (crates/node) runs: those the Rust core
 * does faster than V8 once the N-API crossing is paid, and those that take
 * a whole socket read or a whole tick's frames per crossing. hybrid-backend.ts
 * puts them together with the TypeScript operations into the backend polyp2p
 * runs when the addon loads (bench/README.md, "Routing").
 */
import type { Backend, WaterfallCacheLike } from './backend';
import { toTypedError } from './errors';
import { FIELDS, type FrameBatch, type FrameReaderLike, type ReaderLimits } from './frame-batch';

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
  FrameReader: new (limits: ReaderLimits) => NativeFrameReader;
  setReaderScratch(info: Int32Array, times: Float64Array, bytes: Uint8Array): void;
  chordPositions(key: Uint8Array): bigint[];
}

/** crates/node/src/reader.rs: rows and times go into the caller's arrays, the status after the rows. */
interface NativeFrameReader {
  setCompressions(methods: number[]): void;
  setDedup(cache: WaterfallCacheLike, linkOnly: number[]): void;
  push(chunk: Uint8Array): void;
  readInto(now: number): Buffer | null;
  lastError(): string[] | null;
  readonly buffered: number;
}

/** Frames a native batch holds at most (reader.rs MAX_FRAMES). */
const MAX_FRAMES = 4096;
/** Where readInto writes the status in `info`: frames read, more (0/1), error (0/1), bytes (SAME_AS_CHUNK: the chunk pushed last), bytes still buffered. */
const STATUS_AT = MAX_FRAMES * FIELDS;
/** A batch up to this long comes back in the scratch bytes (longer ones in a Buffer of their own). */
const SCRATCH_BYTES = 64 * 1024;
/** The batch is the chunk pushed last, byte for byte (whole raw frames): no copy is made. */
const SAME_AS_CHUNK = -1;

/**
 * One pair of arrays for every native reader: a read is synchronous and its
 * rows are copied out at once (the frames of a batch may outlive it).
 */
const scratch = { info: new Int32Array(STATUS_AT + 5), times: new Float64Array(MAX_FRAMES), bytes: Buffer.alloc(SCRATCH_BYTES) };
/** Addons already given the scratch arrays (setReaderScratch). */
const scratchGiven = new WeakSet<NativeAddon>();

/** A Buffer over the same memory (no copy). */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** FrameReaderLike over the addon's reader: one crossing per read, no object built in Rust. */
class NativeFrameReaderAdapter implements FrameReaderLike {
  /** The chunk pushed last, until the read after it (the batch may be that chunk). */
  private chunk: Uint8Array | null = null;
  /** `buffered` as the last read reported it; -1 after a push (then asked). */
  private held = 0;

  constructor(private readonly inner: NativeFrameReader) {}

  setCompressions(methods: number[]): void {
    this.inner.setCompressions(methods);
  }

  setDedup(cache: WaterfallCacheLike, linkOnly: number[]): void {
    this.inner.setDedup(cache, linkOnly);
  }

  push(chunk: Uint8Array): void {
    this.inner.push(chunk);
    this.chunk = chunk;
    this.held = -1;
  }

  read(now: number): FrameBatch {
    const { info, times } = scratch;
    const own = this.inner.readInto(now);
    const chunk = this.chunk;
    this.chunk = null;
    const length = info[STATUS_AT + 3];
    // the frames of a batch may outlive it: the scratch is copied out (Buffer.from takes a pooled slice for short ones)
    const bytes = own ?? (length === SAME_AS_CHUNK && chunk ? asBuffer(chunk) : Buffer.from(scratch.bytes.subarray(0, length)));
    const frames = info[STATUS_AT];
    this.held = info[STATUS_AT + 4];
    const batch: FrameBatch = { bytes, info: info.slice(0, frames * FIELDS), times: times.slice(0, frames), more: info[STATUS_AT + 1] === 1 };
    if (info[STATUS_AT + 2] === 1) [batch.errorCode, batch.errorMessage] = this.inner.lastError() ?? [];
    return batch;
  }

  get buffered(): number {
    if (this.held < 0) this.held = this.inner.buffered;
    return this.held;
  }
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
    createFrameReader: (limits: ReaderLimits) => {
      if (!scratchGiven.has(addon)) {
        addon.setReaderScratch(scratch.info, scratch.times, scratch.bytes);
        scratchGiven.add(addon);
      }
      return new NativeFrameReaderAdapter(new addon.FrameReader(limits));
    },
    chordPositions: wrap(addon.chordPositions),
  };
}
