/**
 * The fallback's receive path with the same results as the Rust reader
 * (crates/core/src/reader.rs): frames split, decoded within the limits,
 * laid out as raw frames in one buffer with a row of integers per frame. It
 * decodes each message fully while validating it (there is no cheaper way in
 * JS), so it hands the packets on too and nothing is decoded twice.
 */
import type { MsgpackValue, WaterfallCacheLike } from '../codec-types';
import type { FrameBatch, FrameReaderLike, ReaderLimits } from '../frame-batch';
import { FIELDS, MAX_JUDGED_SENDER, SENDER_BIN, USUAL, VERDICT } from '../frame-batch';
import { Polyp2pError } from '../errors';
import { FrameDecoder } from './framing';
import { decodeBody } from './message';

const MAX_FRAMES = 4096;
const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

const isSmallInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= I32_MIN && v <= I32_MAX;

const isJudgedSender = (s: string | Buffer): boolean => {
  const n = typeof s === 'string' ? Buffer.byteLength(s) : s.length;
  return n >= 1 && n <= MAX_JUDGED_SENDER;
};

export class JsFrameReader implements FrameReaderLike {
  private readonly decoder: FrameDecoder;
  private pending: Buffer[] = [];
  private head = 0;
  private failure: Polyp2pError | null = null;
  private compressions: number[] = [];
  private dedup: WaterfallCacheLike | null = null;
  private linkOnly: number[] = [];
  private now = 0;

  constructor(private readonly limits: ReaderLimits) {
    this.decoder = new FrameDecoder(limits.maxFrameSize);
  }

  setCompressions(methods: number[]): void {
    this.compressions = methods.slice();
  }

  setDedup(cache: WaterfallCacheLike, linkOnly: number[]): void {
    this.dedup = cache;
    this.linkOnly = linkOnly.slice();
  }

  /** The waterfall's verdict, in the order crates/core/src/reader.rs judge() applies the rules. */
  private judge(id: Buffer, time: number, subFlag: number): number {
    const d = this.dedup!;
    if (this.linkOnly.includes(subFlag)) return VERDICT.linkOnly;
    if (time < this.now - d.windowSeconds) return VERDICT.stale;
    return d.seen(id, time, this.now) ? VERDICT.duplicate : VERDICT.new;
  }

  get buffered(): number {
    return this.decoder.buffered;
  }

  push(chunk: Uint8Array): void {
    if (this.failure) return;
    try {
      this.decoder.pushInto(chunk, this.pending);
    } catch (e) {
      this.failure = e as Polyp2pError; // reported after the frames completed before it (in pending)
    }
  }

  pushRead(chunk: Uint8Array, now: number): FrameBatch {
    this.push(chunk);
    return this.read(now);
  }

  read(now: number): FrameBatch {
    this.now = now;
    const parts: Buffer[] = [];
    const info: number[] = [];
    const times: number[] = [];
    const packets: MsgpackValue[][] = [];
    let offset = 0;
    let more = false;
    let error: Polyp2pError | null = null;
    while (this.head < this.pending.length && times.length < MAX_FRAMES) {
      const body = this.pending[this.head++];
      try {
        offset = this.readBody(body, parts, info, times, packets, offset);
      } catch (e) {
        error = e as Polyp2pError;
        this.failure = error;
        this.pending = [];
        this.head = 0;
        break;
      }
      const row = info.length - FIELDS;
      if (!(info[row] & USUAL) || info[row + 1] === 1 || info[row + 2] === 5) {
        more = true;
        break;
      }
    }
    if (this.head < this.pending.length) more = true;
    if (this.head >= this.pending.length) {
      this.pending = [];
      this.head = 0;
    }
    if (!error && this.failure && this.head === 0 && !this.pending.length && !more) error = this.failure;
    return {
      bytes: Buffer.concat(parts, offset),
      info: Int32Array.from(info),
      times: Float64Array.from(times),
      errorCode: error?.code ?? null,
      errorMessage: error?.message ?? null,
      more,
      packets,
    };
  }

  /** Decode one body into the batch's columns; returns the new byte offset. */
  private readBody(body: Buffer, parts: Buffer[], info: number[], times: number[], packets: MsgpackValue[][], offset: number): number {
    const l = this.limits;
    const maxSize = Math.min(l.maxDecompressed, Math.max(l.ratioFloor, l.ratio * body.length));
    const maxValues = Math.min(l.maxValues, Math.max(l.valuesFloor, l.valuesPerByte * body.length));
    const d = decodeBody(body, this.compressions, maxSize, maxValues);
    const frame = Buffer.allocUnsafe(36);
    frame.writeUInt32BE(32 + d.msgpack.length, 0);
    d.id.copy(frame, 4);
    parts.push(frame, d.msgpack);
    const frameStart = offset;
    offset += 36 + d.msgpack.length;
    let wireStart = -1;
    if (d.compression !== null) {
      parts.push(body);
      wireStart = offset;
      offset += body.length;
    }
    const p = d.packets;
    const usual = p.length >= 4 && isSmallInt(p[0]) && (typeof p[1] === 'string' || Buffer.isBuffer(p[1])) && typeof p[2] === 'number' && Number.isFinite(p[2]) && isSmallInt(p[3]);
    const flags = (usual ? USUAL : 0) | (Buffer.isBuffer(p[1]) ? SENDER_BIN : 0);
    const judged = this.dedup && usual && p[0] === 0 && isJudgedSender(p[1] as string | Buffer);
    const verdict = judged ? this.judge(d.id, p[2] as number, p[3] as number) : VERDICT.unchecked;
    info.push(
      flags,
      usual ? (p[0] as number) : 0,
      usual ? (p[3] as number) : 0,
      frameStart,
      d.msgpack.length,
      -1,
      0,
      d.compression ?? -1,
      wireStart,
      d.compression !== null ? body.length : 0,
      d.values ?? 0,
      verdict,
    );
    times.push(usual ? (p[2] as number) : NaN);
    packets.push(p);
    return offset;
  }
}
