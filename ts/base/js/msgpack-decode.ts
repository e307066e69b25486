import { ElementLimitError, MsgpackError } from '../errors';
import { MsgpackExt } from '../ext';
import type { MsgpackValue } from '../codec-types';

const MAX_DEPTH = 512;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
// ignoreBOM: a leading U+FEFF is part of the string (as Buffer.toString and the Rust decoder keep it)
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Strict msgpack decoder for bytes from untrusted peers: claimed lengths are
 * checked against the bytes that remain before anything is allocated, nesting
 * is bounded, invalid UTF-8 and trailing bytes are errors.
 */
class Reader {
  pos = 0;
  /** Values still allowed (every scalar, container, map key and map value counts one). */
  budget: number;
  constructor(
    readonly buf: Buffer,
    private readonly maxValues: number,
  ) {
    this.budget = maxValues;
  }

  fail(what: string): never {
    throw new MsgpackError(`malformed msgpack at byte ${this.pos} of ${this.buf.length}: ${what}`);
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) this.fail(`needs ${n} more bytes, only ${this.buf.length - this.pos} remain (truncated)`);
  }
  str(len: number): string {
    this.need(len);
    const start = this.pos;
    this.pos += len;
    // Short ASCII strings are the common case (IDs, keys): skip TextDecoder.
    if (len < 64) {
      let ascii = true;
      for (let i = start; i < start + len; i++)
        if (this.buf[i] > 0x7f) {
          ascii = false;
          break;
        }
      if (ascii) return this.buf.toString('latin1', start, start + len);
    }
    try {
      return utf8.decode(this.buf.subarray(start, start + len));
    } catch {
      this.pos = start;
      return this.fail('str is not valid UTF-8');
    }
  }
  bin(len: number): Buffer {
    this.need(len);
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return b;
  }
  int64(signed: boolean): number | bigint {
    this.need(8);
    const v = signed ? this.buf.readBigInt64BE(this.pos) : this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v <= SAFE && v >= -SAFE ? Number(v) : v;
  }
  array(len: number, depth: number): MsgpackValue[] {
    // every element takes at least one byte
    if (len > this.buf.length - this.pos) this.fail(`array claims ${len} items but only ${this.buf.length - this.pos} bytes remain`);
    const out = new Array<MsgpackValue>(len);
    for (let i = 0; i < len; i++) out[i] = this.value(depth + 1);
    return out;
  }
  map(len: number, depth: number): { [key: string]: MsgpackValue } {
    if (len * 2 > this.buf.length - this.pos) this.fail(`map claims ${len} entries but only ${this.buf.length - this.pos} bytes remain`);
    const out: { [key: string]: MsgpackValue } = {};
    for (let i = 0; i < len; i++) {
      const k = this.value(depth + 1);
      const key = mapKey(k);
      const v = this.value(depth + 1);
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
    }
    return out;
  }
  ext(len: number): MsgpackExt {
    this.need(len + 1);
    const type = this.buf.readInt8(this.pos++);
    return new MsgpackExt(type, this.bin(len));
  }

  value(depth: number): MsgpackValue {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    if (--this.budget < 0) {
      throw new ElementLimitError(`msgpack of ${this.buf.length} bytes holds more than ${this.maxValues} values, the budget for a body of its size on the wire (maxElementsPerByte)`);
    }
    this.need(1);
    const t = this.buf[this.pos++];
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 0x100;
    if (t < 0x90) return this.map(t & 0x0f, depth);
    if (t < 0xa0) return this.array(t & 0x0f, depth);
    if (t < 0xc0) return this.str(t & 0x1f);
    if (t >= 0xca && t <= 0xd3) return this.number(t);
    return this.typed(t, depth);
  }

  /** A number of type 0xca-0xd3 (floats, ints of 8 to 64 bits). */
  private number(t: number): number | bigint {
    switch (t) {
      case 0xca:
        return this.f32();
      case 0xcb:
        return this.f64();
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf:
        return this.int64(false);
      case 0xd0:
        return this.i8();
      case 0xd1:
        return this.i16();
      case 0xd2:
        return this.i32();
      default:
        return this.int64(true);
    }
  }

  /** Any other value with a type byte of 0xc0-0xdf: nil, booleans, bin, ext and the longer str, array and map forms. */
  private typed(t: number, depth: number): MsgpackValue {
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bin(this.u8());
      case 0xc5:
        return this.bin(this.u16());
      case 0xc6:
        return this.bin(this.u32());
      case 0xc7:
        return this.ext(this.u8());
      case 0xc8:
        return this.ext(this.u16());
      case 0xc9:
        return this.ext(this.u32());
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        return this.ext(1 << (t - 0xd4)); // fixext 1, 2, 4, 8, 16
      case 0xd9:
        return this.str(this.u8());
      case 0xda:
        return this.str(this.u16());
      case 0xdb:
        return this.str(this.u32());
      case 0xdc:
        return this.array(this.u16(), depth);
      case 0xdd:
        return this.array(this.u32(), depth);
      case 0xde:
        return this.map(this.u16(), depth);
      case 0xdf:
        return this.map(this.u32(), depth);
      default:
        this.pos--;
        return this.fail(`reserved type byte 0x${t.toString(16)}`);
    }
  }

  // Big-endian fixed-size fields; each checks that its bytes are there and moves past them.
  private u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  private u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  private u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  private i8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }
  private i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  private i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  private f32(): number {
    this.need(4);
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }
  private f64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
}

/** Map keys become strings, as js2p does: bin as UTF-8 text, numbers as decimal text. */
function mapKey(k: MsgpackValue): string {
  if (typeof k === 'string') return k;
  if (Buffer.isBuffer(k)) return k.toString('utf8');
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  if (k === null) return 'null';
  throw new MsgpackError('map key must be str, bin, number, bool or nil; arrays, maps and ext are not accepted as keys');
}

/** Decode one value; `maxValues` bounds how many values (scalars and containers) it may hold. */
export function msgpackDecode(bytes: Uint8Array, maxValues = Infinity): MsgpackValue {
  return msgpackDecodeCounted(bytes, maxValues).value;
}

/** Decode one value, and say how many values it holds (what it costs in JS objects). */
export function msgpackDecodeCounted(bytes: Uint8Array, maxValues = Infinity): { value: MsgpackValue; values: number } {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const limit = Number.isFinite(maxValues) ? maxValues : Number.MAX_SAFE_INTEGER;
  const r = new Reader(buf, limit);
  const value = r.value(0);
  if (r.pos !== buf.length) r.fail(`${buf.length - r.pos} trailing bytes after the value`);
  return { value, values: limit - r.budget };
}
