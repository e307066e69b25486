import { MsgpackEncodeError } from '../errors';
import { MsgpackExt } from '../ext';
import type { EncodeOptions } from '../codec-types';

const MAX_DEPTH = 512;
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const TWO_53 = 2 ** 53;

/**
 * msgpack encoder writing the shortest forms (the originals' rules: §5.1-5.2).
 * One growable buffer per call; strings are written with Buffer.write.
 */
class Writer {
  buf: Buffer;
  pos = 0;
  /** Where the bytes being written start (AppendingEncoder: the current run); those before it are not copied on growth. */
  base = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.base;
    let size = Math.max(this.buf.length * 2, 64);
    while (size < used + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.base, this.pos);
    this.buf = next;
    this.pos = used;
    this.base = 0;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u8u8(a: number, b: number): void {
    this.ensure(2);
    this.buf[this.pos++] = a;
    this.buf[this.pos++] = b;
  }
  u8u16(a: number, b: number): void {
    this.ensure(3);
    this.buf[this.pos++] = a;
    this.buf.writeUInt16BE(b, this.pos);
    this.pos += 2;
  }
  u8u32(a: number, b: number): void {
    this.ensure(5);
    this.buf[this.pos++] = a;
    this.buf.writeUInt32BE(b, this.pos);
    this.pos += 4;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

function writeUint(w: Writer, n: bigint | number): void {
  // n is a non-negative integer (number within uint64 or bigint)
  if (typeof n === 'number' && n < 0x100000000) {
    if (n < 128) w.u8(n);
    else if (n < 0x100) w.u8u8(0xcc, n);
    else if (n < 0x10000) w.u8u16(0xcd, n);
    else w.u8u32(0xce, n);
    return;
  }
  const b = BigInt(n);
  if (b < 0x100000000n) return writeUint(w, Number(b));
  w.ensure(9);
  w.buf[w.pos++] = 0xcf;
  w.buf.writeBigUInt64BE(b, w.pos);
  w.pos += 8;
}

function writeInt(w: Writer, n: bigint | number): void {
  if (typeof n === 'number') {
    if (n >= 0) return writeUint(w, n);
    if (n >= -32) return w.u8(n & 0xff);
    if (n >= -128) return w.u8u8(0xd0, n & 0xff);
    if (n >= -32768) {
      w.ensure(3);
      w.buf[w.pos++] = 0xd1;
      w.buf.writeInt16BE(n, w.pos);
      w.pos += 2;
      return;
    }
    if (n >= -2147483648) {
      w.ensure(5);
      w.buf[w.pos++] = 0xd2;
      w.buf.writeInt32BE(n, w.pos);
      w.pos += 4;
      return;
    }
    n = BigInt(n);
  }
  if (n >= 0n) return writeUint(w, n);
  if (n >= -2147483648n) return writeInt(w, Number(n));
  w.ensure(9);
  w.buf[w.pos++] = 0xd3;
  w.buf.writeBigInt64BE(n, w.pos);
  w.pos += 8;
}

function writeFloat64(w: Writer, n: number): void {
  w.ensure(9);
  w.buf[w.pos++] = 0xcb;
  w.buf.writeDoubleBE(n, w.pos);
  w.pos += 8;
}

function writeNumber(w: Writer, n: number, js2p: boolean): void {
  if (!Number.isInteger(n)) return writeFloat64(w, n);
  if (js2p) {
    // msgpack-lite 0.1.27: only int32-range integers get int forms.
    if (n >= -2147483648 && n <= 2147483647) return writeInt(w, n);
    return writeFloat64(w, n);
  }
  if (Object.is(n, -0)) return w.u8(0);
  if (n >= -TWO_53 && n <= TWO_53) return writeInt(w, n);
  // Integral doubles beyond 2^53: exact value if it fits (u)int64, else float64.
  const b = BigInt(n);
  if (b <= U64_MAX && b >= I64_MIN) return writeInt(w, b);
  return writeFloat64(w, n);
}

/** Bytes of a str header for a string of `len` UTF-8 bytes (the smallest form, as the originals write). */
function strHeaderSize(len: number): number {
  return len < 32 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
}

/**
 * The UTF-8 bytes are written after room for the header their UTF-16 length
 * calls for (UTF-8 is never shorter), and moved along in the rare case that
 * multi-byte characters need a longer header: no Buffer.byteLength pass over
 * the string (~150 ns at 100 B, ~1.5 µs at 10 KiB on the bench machine).
 */
function writeStr(w: Writer, s: string): void {
  w.ensure(s.length * 3 + 5);
  const start = w.pos;
  const guess = strHeaderSize(s.length);
  const len = w.buf.write(s, start + guess, 'utf8');
  const header = strHeaderSize(len);
  if (header !== guess) w.buf.copyWithin(start + header, start + guess, start + guess + len);
  if (header === 1) w.u8(0xa0 | len);
  else if (header === 2) w.u8u8(0xd9, len);
  else if (header === 3) w.u8u16(0xda, len);
  else w.u8u32(0xdb, len);
  w.pos += len;
}

function writeBin(w: Writer, b: Uint8Array): void {
  const len = b.length;
  if (len < 0x100) w.u8u8(0xc4, len);
  else if (len < 0x10000) w.u8u16(0xc5, len);
  else w.u8u32(0xc6, len);
  w.bytes(b);
}

function writeArrayHeader(w: Writer, len: number): void {
  if (len < 16) w.u8(0x90 | len);
  else if (len < 0x10000) w.u8u16(0xdc, len);
  else w.u8u32(0xdd, len);
}

function writeMapHeader(w: Writer, len: number): void {
  if (len < 16) w.u8(0x80 | len);
  else if (len < 0x10000) w.u8u16(0xde, len);
  else w.u8u32(0xdf, len);
}

function writeExt(w: Writer, e: MsgpackExt): void {
  const len = e.data.length;
  const type = e.type & 0xff;
  if (len === 1) w.u8(0xd4);
  else if (len === 2) w.u8(0xd5);
  else if (len === 4) w.u8(0xd6);
  else if (len === 8) w.u8(0xd7);
  else if (len === 16) w.u8(0xd8);
  else if (len < 0x100) w.u8u8(0xc7, len);
  else if (len < 0x10000) w.u8u16(0xc8, len);
  else w.u8u32(0xc9, len);
  w.u8(type);
  w.bytes(e.data);
}

function writeValue(w: Writer, v: unknown, js2p: boolean, depth: number): void {
  switch (typeof v) {
    case 'string':
      return writeStr(w, v);
    case 'number':
      return writeNumber(w, v, js2p);
    case 'boolean':
      return w.u8(v ? 0xc3 : 0xc2);
    case 'undefined':
      return w.u8(0xc0);
    case 'bigint':
      if (v > U64_MAX || v < I64_MIN) {
        throw new MsgpackEncodeError(`bigint ${v} is outside the msgpack int64/uint64 range; send it as a string instead`);
      }
      return writeInt(w, v);
    case 'object': {
      if (v === null) return w.u8(0xc0);
      if (depth >= MAX_DEPTH) {
        throw new MsgpackEncodeError(`value nested deeper than ${MAX_DEPTH} levels (or cyclic); msgpack cannot encode it`);
      }
      if (Array.isArray(v)) {
        writeArrayHeader(w, v.length);
        for (let i = 0; i < v.length; i++) writeValue(w, v[i], js2p, depth + 1);
        return;
      }
      if (v instanceof Uint8Array) return writeBin(w, v);
      if (v instanceof MsgpackExt) return writeExt(w, v);
      if (v instanceof Map) {
        writeMapHeader(w, v.size);
        for (const [k, val] of v) {
          writeValue(w, k, js2p, depth + 1);
          writeValue(w, val, js2p, depth + 1);
        }
        return;
      }
      if (ArrayBuffer.isView(v)) {
        throw new MsgpackEncodeError(`cannot encode ${v.constructor.name}: only Uint8Array/Buffer become msgpack bin`);
      }
      const keys = Object.keys(v);
      writeMapHeader(w, keys.length);
      for (const k of keys) {
        writeStr(w, k);
        writeValue(w, (v as Record<string, unknown>)[k], js2p, depth + 1);
      }
      return;
    }
    default:
      throw new MsgpackEncodeError(`cannot encode a ${typeof v} as msgpack`);
  }
}

/** Size of the writer msgpackEncodeInto and msgpackEncode reuse. */
const SPARE_SIZE = 16 * 1024;
/**
 * The writer they reuse (null while one is encoding: a getter that encodes gets
 * its own). A fresh writer per message started at 256 bytes and grew twice for
 * a typical 600-byte message: three pool slices, two copies, and a new 8 KiB
 * pool slab every few messages, whose allocation cost grows with the heap.
 */
let spare: Writer | null = null;

/** Encode `value` after `reserve` bytes of room with the spare writer; `take` gets its bytes (valid only during the call). */
function withSpare<T>(value: unknown, options: EncodeOptions | undefined, reserve: number, take: (w: Writer) => T): T {
  const w = spare ?? new Writer(SPARE_SIZE);
  spare = null;
  try {
    w.pos = reserve;
    w.base = 0;
    writeValue(w, value, !!options?.js2pNumbers, 0);
    return take(w);
  } finally {
    if (w.buf.length === SPARE_SIZE) spare = w; // one grown for a large message is not kept
  }
}

/** msgpack of `value` after `reserve` bytes of room, in a buffer of its own (exactly that long). */
export function msgpackEncodeInto(value: unknown, options?: EncodeOptions, reserve = 0): { buf: Buffer; start: number; end: number } {
  return withSpare(value, options, reserve, (w) => {
    // a writer grown for this message is handed over as it is, not copied (it is not kept)
    const buf = w.buf.length === SPARE_SIZE ? Buffer.from(w.buf.subarray(0, w.pos)) : w.buf;
    return { buf, start: reserve, end: w.pos };
  });
}

/**
 * Frames encoded one after another into one growing buffer (frame-run.ts):
 * `reserve` bytes of room, then the msgpack of `value`, at the end of what
 * is there; offsets are relative to the start of the current run. take()
 * hands the run over and the next one starts after it in the same buffer
 * while there is room for one as long, else in a new buffer twice that: a
 * tick's run is not grown (copied) from a small buffer every time.
 */
/** Largest buffer the appending encoder keeps between runs. */
const MAX_KEPT = 1 << 20;

export class AppendingEncoder {
  private readonly w = new Writer(4096);

  /** Bytes of the current run. */
  get length(): number {
    return this.w.pos - this.w.base;
  }

  /** Returns where the msgpack starts in the run; on an error nothing is added. */
  append(value: unknown, reserve: number): number {
    const at = this.length;
    this.w.ensure(reserve);
    this.w.pos += reserve;
    try {
      writeValue(this.w, value, false, 0);
    } catch (e) {
      this.w.pos = this.w.base + at;
      throw e;
    }
    return at + reserve;
  }

  /** Bytes `from`…`to` of the run (valid until the next append: the buffer may move). */
  view(from: number, to: number): Buffer {
    return this.w.buf.subarray(this.w.base + from, this.w.base + to);
  }

  /** Drop what was appended from `at` on. */
  truncate(at: number): void {
    this.w.pos = this.w.base + at;
  }

  /** Hand the run's bytes over (they may still be queued for writing: never written again) and start the next. */
  take(): Buffer {
    const w = this.w;
    const out = w.buf.subarray(w.base, w.pos);
    const run = out.length;
    // a buffer grown past MAX_KEPT for one large message is let go, not kept for every later tick
    if (w.buf.length <= MAX_KEPT && w.buf.length - w.pos >= Math.max(4096, run)) w.base = w.pos;
    else {
      w.buf = Buffer.allocUnsafe(Math.min(Math.max(4096, 2 * run), MAX_KEPT));
      w.pos = w.base = 0;
    }
    return out;
  }
}

export function msgpackEncode(value: unknown, options?: EncodeOptions): Buffer {
  return withSpare(value, options, 0, (w) => Buffer.from(w.buf.subarray(0, w.pos)));
}
