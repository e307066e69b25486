/**
 * The msgpack size of a value, computed without encoding it (the table's
 * byte budgets charge every entry by it). It follows the encoder's rules
 * (ts/base/js/msgpack-encode.ts: shortest forms, integral doubles as ints,
 * non-integral numbers as float64), so it equals the encoded length for
 * every value that encodes. Walking a decoded value costs a fraction of
 * encoding it (no output buffer, no copies; a Buffer's size is O(1)).
 */
import { MsgpackEncodeError } from '../base/errors';
import { MsgpackExt } from '../base/ext';

const MAX_DEPTH = 512;
const TWO_53 = 2 ** 53;

/** Bytes of a str's header plus its UTF-8 bytes. */
export function strSize(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  return n + (n < 32 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5);
}

/** Bytes of a bin's header plus its bytes. */
export function binSize(n: number): number {
  return n + (n < 0x100 ? 2 : n < 0x10000 ? 3 : 5);
}

/** Bytes of an array or map header for `count` items. */
export function containerHeader(count: number): number {
  return count < 16 ? 1 : count < 0x10000 ? 3 : 5;
}

function intSize(v: number | bigint): number {
  if (v >= 0) return v < 128 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : v < 0x100000000 ? 5 : 9;
  return v >= -32 ? 1 : v >= -128 ? 2 : v >= -32768 ? 3 : v >= -2147483648 ? 5 : 9;
}

function numberSize(n: number): number {
  if (!Number.isInteger(n)) return 9;
  if (n >= -TWO_53 && n <= TWO_53) return intSize(n);
  return 9; // int64/uint64 or float64: nine bytes either way
}

function extSize(e: MsgpackExt): number {
  const n = e.data.length;
  if (n === 1 || n === 2 || n === 4 || n === 8 || n === 16) return 2 + n;
  return n + (n < 0x100 ? 3 : n < 0x10000 ? 4 : 6);
}

function objectSize(v: object, depth: number): number {
  if (depth >= MAX_DEPTH) throw new MsgpackEncodeError(`value nested deeper than ${MAX_DEPTH} levels (or cyclic); msgpack cannot encode it`);
  if (Array.isArray(v)) {
    let n = containerHeader(v.length);
    for (let i = 0; i < v.length; i++) n += valueSize(v[i], depth + 1);
    return n;
  }
  if (v instanceof Uint8Array) return binSize(v.length);
  if (v instanceof MsgpackExt) return extSize(v);
  if (v instanceof Map) {
    let n = containerHeader(v.size);
    for (const [k, x] of v) n += valueSize(k, depth + 1) + valueSize(x, depth + 1);
    return n;
  }
  const keys = Object.keys(v);
  let n = containerHeader(keys.length);
  for (const k of keys) n += strSize(k) + valueSize((v as Record<string, unknown>)[k], depth + 1);
  return n;
}

function valueSize(v: unknown, depth: number): number {
  switch (typeof v) {
    case 'string':
      return strSize(v);
    case 'number':
      return numberSize(v);
    case 'bigint':
      return intSize(v);
    case 'boolean':
    case 'undefined':
      return 1;
    case 'object':
      return v === null ? 1 : objectSize(v, depth);
    default:
      throw new MsgpackEncodeError(`cannot encode a ${typeof v} as msgpack`);
  }
}

/** The value's msgpack size in bytes (as encoded by polyp2p). */
export function msgpackSize(v: unknown): number {
  return valueSize(v, 0);
}

/**
 * The size of `base` (a mapping of `baseSize` bytes, or absent) after
 * merging `delta`'s top-level entries into it, in O(size of the delta and of
 * the fields it replaces): a small delta to a large mapping is not re-walked.
 */
export function mergedSize(base: Record<string, unknown> | undefined, baseSize: number, delta: Record<string, unknown>): number {
  const before = base ? Object.keys(base).length : 0;
  let count = before;
  let size = base ? baseSize - containerHeader(before) : 0;
  for (const k of Object.keys(delta)) {
    if (base && Object.prototype.hasOwnProperty.call(base, k)) size -= msgpackSize(base[k]);
    else {
      size += strSize(k);
      count++;
    }
    size += msgpackSize(delta[k]);
  }
  return size + containerHeader(count);
}
