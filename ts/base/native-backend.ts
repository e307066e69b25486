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
  readerScratchLayout(): number[];
  chordPositions(key: Uint8Array): bigint[];
}

/** crates/node/src/reader.rs: a read fills the scratch the caller passes (status, rows, times, bytes that fit). */
interface NativeFrameReader {
  setCompressions(methods: number[]): void;
  setDedup(cache: WaterfallCacheLike, linkOnly: number[]): void;
  push(chunk: Uint8Array): void;
  readInto(now: number, scratch: Uint8Array): Buffer | null;
  pushReadInto(chunk: Uint8Array, now: number, scratch: Uint8Array): Buffer | null;
  lastError(): string[] | null;
  readonly buffered: number;
}

/** A batch up to this long comes back in the scratch (longer ones in a Buffer of their own). */
const SCRATCH_BYTES = 64 * 1024;
/** The batch is the chunk pushed last, byte for byte (whole raw frames): no copy is made. */
const SAME_AS_CHUNK = -1;

/**
 * The scratch every reader of one addon passes to readInto, laid out as the
 * addon says (readerScratchLayout), with views of its parts. A read is
 * synchronous and what it wrote is copied out at once: the frames of a batch
 * may outlive it.
 */
class ReaderScratch {
  readonly all: Uint8Array;
  readonly status: Int32Array;
  readonly rows: Int32Array;
  readonly times: Float64Array;
  readonly bytes: Buffer;

  constructor(addon: NativeAddon) {
    const [rowsAt, timesAt, bytesAt, maxFrames, fields] = checkReader(addon);
    const buffer = new ArrayBuffer(bytesAt + SCRATCH_BYTES);
    this.all = new Uint8Array(buffer);
    this.status = new Int32Array(buffer, 0, rowsAt / 4);
    this.rows = new Int32Array(buffer, rowsAt, maxFrames * fields);
    this.times = new Float64Array(buffer, timesAt, maxFrames);
    this.bytes = Buffer.from(buffer, bytesAt, SCRATCH_BYTES);
  }
}

/**
 * The batch's bytes when they are the chunk pushed: that chunk, unless it is a
 * view of a much larger buffer (a WebSocket message within a socket read):
 * then a copy, so that a kept frame does not pin the whole read.
 */
function chunkBytes(chunk: Uint8Array): Buffer {
  if (chunk.byteLength * 2 < chunk.buffer.byteLength) return Buffer.from(chunk);
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** FrameReaderLike over the addon's reader: one crossing per read, no object built in Rust. */
class NativeFrameReaderAdapter implements FrameReaderLike {
  /** The chunk pushed last, until the read after it (the batch may be that chunk). */
  private chunk: Uint8Array | null = null;
  /** `buffered` as the last read reported it; -1 after a push (then asked). */
  private held = 0;

  constructor(
    private readonly inner: NativeFrameReader,
    private readonly scratch: ReaderScratch,
  ) {}

  setCompressions(methods: number[]): void {
    this.inner.setCompressions(methods);
  }

  setDedup(cache: WaterfallCacheLike, linkOnly: number[]): void {
    this.inner.setDedup(cache, linkOnly);
  }

  /** The chunk is the reader's from here on (a read may keep it as its batch): not to be written again. */
  push(chunk: Uint8Array): void {
    this.inner.push(chunk);
    this.chunk = chunk;
    this.held = -1;
  }

  read(now: number): FrameBatch {
    return this.batch(this.inner.readInto(now, this.scratch.all));
  }

  /** The chunk is the reader's from here on, as with push(). */
  pushRead(chunk: Uint8Array, now: number): FrameBatch {
    this.chunk = chunk;
    this.held = -1;
    return this.batch(this.inner.pushReadInto(chunk, now, this.scratch.all));
  }

  /** The batch the last read left in the scratch (`own`: its bytes when they did not fit there). */
  private batch(own: Buffer | null): FrameBatch {
    const s = this.scratch;
    const chunk = this.chunk;
    this.chunk = null;
    const status = s.status;
    const frames = status[0];
    const length = status[3];
    let bytes: Buffer;
    if (own) bytes = own;
    else if (length !== SAME_AS_CHUNK)
      bytes = Buffer.from(s.bytes.subarray(0, length)); // a pooled slice when short
    else if (chunk) bytes = chunkBytes(chunk);
    else throw new Error('the native frame reader returned the chunk pushed last, but none was pushed since the last read');
    this.held = status[4];
    const batch: FrameBatch = { bytes, info: s.rows.slice(0, frames * FIELDS), times: s.times.slice(0, frames), more: status[1] === 1 };
    if (status[2] === 1) [batch.errorCode, batch.errorMessage] = this.inner.lastError() ?? [];
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

/** The addon's reader matches this package (else the load fails, not every read); returns its layout. */
function checkReader(addon: NativeAddon): number[] {
  const layout = addon.readerScratchLayout();
  const fields = layout[4];
  if (fields !== FIELDS) throw new Error(`the native addon lays out ${fields} integers per frame, this package ${FIELDS}: rebuild it (npm run build:native)`);
  const reader = addon.FrameReader.prototype as Partial<NativeFrameReader>;
  if (typeof reader.pushReadInto !== 'function') throw new Error('the native addon has no FrameReader.pushReadInto (it is older than this package): rebuild it (npm run build:native)');
  return layout;
}

export function createNativeOps(addon: NativeAddon): NativeOps {
  checkReader(addon);
  let scratch: ReaderScratch | undefined;
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
    createFrameReader: (limits: ReaderLimits) => new NativeFrameReaderAdapter(new addon.FrameReader(limits), (scratch ??= new ReaderScratch(addon))),
    chordPositions: wrap(addon.chordPositions),
  };
}
