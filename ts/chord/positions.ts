/**
 * Ring positions and the five tables (PROTOCOL.md §15.1), plus the small
 * field readers the chord handlers use to validate what peers send.
 */
import { core } from '../native';
import { textOf } from '../mesh/wire';

export const TABLES = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type TableName = (typeof TABLES)[number];
export const RING = 1n << 384n;
/** Reads agree when at least this many of the five tables return the same value (py2p's rule). */
export const READ_QUORUM = 3;

export interface Slot {
  table: TableName;
  /** Position as stored and sent (the SHA-512 table is not reduced mod 2^384). */
  pos: bigint;
  /** base58 text of pos, as on the wire. */
  b58: string;
}

/** Key bytes as the originals see them: text is UTF-8, bytes as they are. */
export function keyBytes(key: string | Uint8Array): Buffer {
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  if (key instanceof Uint8Array) return Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  throw new TypeError(`a chord key must be a string or bytes, not ${typeof key}`);
}

/** The five (table, position) slots of a key. */
export function slotsOf(key: string | Uint8Array): Slot[] {
  const pos = core.chordPositions(keyBytes(key));
  return TABLES.map((table, i) => ({ table, pos: pos[i], b58: positionText(pos[i]) }));
}

/** A table-name field (str or bin); null unless it names one of the five tables. */
export function tableOf(v: unknown): TableName | null {
  const t = textOf(v);
  return t !== null && (TABLES as readonly string[]).includes(t) ? (t as TableName) : null;
}

/**
 * Positions decoded and encoded lately, both ways: the same node IDs and key
 * positions come back in every lookup, answer and replica batch, and base58
 * is a crossing into the addon or a bigint loop each time (2-3 % of a
 * simulated node's CPU). Each map is cleared when full, so a peer that sends
 * new positions only costs at most CACHED_POSITIONS entries of ≤ 100 chars.
 *
 * The encoded map is keyed by a number made of a position's top bits, not by
 * the bigint: V8 hashes a bigint by its lowest 64 bits, which are zero in
 * every position of the sha1, sha224 and sha256 tables (their digests are
 * shifted up to 384 bits). Keyed by bigint, those collided in one bucket and
 * each lookup walked it: 45 % of the CPU of a 10,000-node simulation pushing
 * replicas. Two positions with the same top bits share an entry (the later
 * one replaces the earlier).
 */
const CACHED_POSITIONS = 16_384;
const decoded = new Map<string, bigint>();
const encoded = new Map<number, { pos: bigint; text: string }>();
/** Bits below the 53 kept as the encoded map's key (positions are < 2^384, the SHA-512 table's < 2^512). */
const KEY_SHIFT = 384n - 53n;

/** A base58 position field (str or bin); null when malformed or absurdly large. */
export function positionOf(v: unknown): bigint | null {
  const t = textOf(v);
  if (t === null || t.length === 0 || t.length > 100) return null;
  const known = decoded.get(t);
  if (known !== undefined) return known;
  let pos: bigint;
  try {
    pos = core.base58DecodeInt(t);
  } catch {
    return null;
  }
  if (decoded.size >= CACHED_POSITIONS) decoded.clear();
  decoded.set(t, pos);
  return pos;
}

/** A position as base58 text, as on the wire. */
export function positionText(pos: bigint): string {
  const key = Number(pos >> KEY_SHIFT);
  const known = encoded.get(key);
  if (known !== undefined && known.pos === pos) return known.text;
  const text = core.base58EncodeInt(pos);
  if (encoded.size >= CACHED_POSITIONS) encoded.clear();
  encoded.set(key, { pos, text });
  return text;
}

/** A node ID text as a ring position; null when not base58. */
export function idPosition(id: string): bigint | null {
  return positionOf(id);
}

export const ringDistance = (a: bigint, b: bigint): bigint => core.ringDistance(a, b);

/** Stable equality key for a decoded value (msgpack bytes). */
export function valueKey(v: unknown): string {
  try {
    return core.msgpackEncode(v).toString('hex');
  } catch {
    return `unencodable:${String(v)}`;
  }
}

/** A plain msgpack map (what a delta carries). */
export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array) && Object.getPrototypeOf(v) === Object.prototype;
}
