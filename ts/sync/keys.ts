/**
 * Sync keys and values: keys arrive as msgpack str (js2p's initial sync) or
 * bin (everything else) and are filed under one text key (§14.5, §18.3 rule
 * 3); values are hashed canonically for digests, and deltas merged into
 * mappings. Pure helpers, shared by the node and its message handlers.
 */
import { createHash } from 'crypto';
import { core } from '../native';

/** The text key for a str or bin key; null for other types or bytes that are not UTF-8. */
export function keyText(k: unknown): string | null {
  if (typeof k === 'string') return k;
  if (k instanceof Uint8Array) {
    const b = Buffer.isBuffer(k) ? k : Buffer.from(k.buffer, k.byteOffset, k.byteLength);
    const text = b.toString('utf8');
    return Buffer.from(text, 'utf8').equals(b) ? text : null;
  }
  return null;
}

/** A caller's key as text: strings as they are, bytes as UTF-8. */
export function localKey(key: unknown): string {
  const k = keyText(key);
  if (k === null) throw new TypeError(typeof key === 'string' || key instanceof Uint8Array ? 'key bytes are not valid UTF-8' : `sync keys are strings or bytes, not ${typeof key}`);
  return k;
}

/** Keys go on the wire as bin. */
export function keyBytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Owner / node ID as text from a str or bin field. */
export function idText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return null;
}

/** How a node writes IDs, seen from one of its ID fields: str (js2p, polyp2p) or bin (py2p). */
export function idForm(raw: unknown): 'str' | 'bin' {
  return typeof raw === 'string' ? 'str' : 'bin';
}

/** A value that is a mapping (msgpack map decoded as a plain object). */
export function isMapping(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A copy of `base` with `delta`'s top-level entries (own properties only; '__proto__' is just a key). */
export function mergeMapping(base: Record<string, unknown> | undefined, delta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const src of [base ?? {}, delta]) {
    for (const k of Object.keys(src)) Object.defineProperty(out, k, { value: src[k], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function canonical(v: unknown, depth = 0): unknown {
  if (depth > 64) return v;
  if (Array.isArray(v)) return v.map((x) => canonical(x, depth + 1));
  if (isMapping(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) Object.defineProperty(out, k, { value: canonical(v[k], depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/**
 * The value's hash (16 bytes of SHA-256 over its msgpack with map keys
 * sorted: equal content, equal hash) and its msgpack size. Throws
 * MsgpackEncodeError (ERR_MSGPACK_UNSUPPORTED) for a value msgpack cannot
 * carry (a function, a symbol, a cycle, a bigint beyond 64 bits).
 */
export function encodedValue(v: unknown): { hash: Buffer; size: number } {
  const bytes = core.msgpackEncode(canonical(v));
  return { hash: createHash('sha256').update(bytes).digest().subarray(0, 16), size: bytes.length };
}

/** 16 bytes of SHA-256 over the value's msgpack with map keys sorted (equal content, equal hash). */
export function valueHash(v: unknown): Buffer {
  return encodedValue(v).hash;
}

export const DELETED_HASH = Buffer.alloc(16);
