/**
 * Sync messages cut to what one peer accepts: anti-entropy lists grouped
 * into pieces of about PIECE_BYTES (a single item may fill a message up to
 * the peer's body limit), initial stores one per message. Every item's size
 * is bounded from above without encoding it (size.ts), so no message built
 * here is larger than the limit it was cut to. Built lazily: a piece is made
 * only when the paced sender is ready to write it, from the table as it is
 * then.
 */
import { ENVELOPE_BYTES, PIECE_BYTES } from '../mesh/bulk';
import { flags } from '../base/flags';
import { keyBytes } from './keys';
import { binSize, containerHeader } from './size';
import type { Entry } from './table';
import { SUB_DIGEST, SUB_ENTRIES, SUB_WANT } from './wire';

/** Items per message this node sends (receivers process up to maxAntiEntropyItems, default 4096). */
export const DIGEST_ITEMS = 2048;
export const WANT_ITEMS = 2048;
export const ENTRIES_ITEMS = 512;

/** Bytes of a timestamp (int or float64), a bool, a 16-byte hash, and a list header, at most. */
const TIME_BYTES = 9;
const HASH_BYTES = 18;
const LIST_HEADER = 5;

/** One message to write: its payload and an upper bound of its body size. */
export interface Piece {
  payload: unknown[];
  bytes: number;
}

/** What a digest item says about a version. */
export type DigestVersion = Pick<Entry, 'key' | 'owner' | 'timestamp' | 'deleted' | 'hash'>;

/** Reports an item left out because it alone is larger than the peer accepts. */
export type Oversize = (key: string, bytes: number, limit: number) => void;

/**
 * Groups items into lists of about `target` bytes and at most `maxItems`;
 * an item larger than `target` goes alone, one larger than `limit` is
 * passed to `oversize` and left out.
 */
export function* groupBySize<T>(
  items: Iterable<T>,
  sizeOf: (item: T) => number,
  target: number,
  limit: number,
  maxItems: number,
  oversize: (item: T, bytes: number) => void,
): Generator<{ items: T[]; bytes: number }> {
  let piece: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (size > limit) {
      oversize(item, size);
      continue;
    }
    if (piece.length && (bytes + size > target || piece.length >= maxItems)) {
      yield { items: piece, bytes };
      piece = [];
      bytes = 0;
    }
    piece.push(item);
    bytes += size;
  }
  if (piece.length) yield { items: piece, bytes };
}

/** Owner IDs go back in the type their node uses (bin for py2p, str otherwise). */
export function ownerOnWire(e: Entry): string | Buffer {
  return e.ownerForm === 'bin' ? Buffer.from(e.owner, 'utf8') : e.owner;
}

const keyLen = (e: DigestVersion) => Buffer.byteLength(e.key, 'utf8');
const ownerLen = (e: DigestVersion) => Buffer.byteLength(e.owner, 'utf8');

function digestItemBytes(e: DigestVersion): number {
  return 1 + binSize(keyLen(e)) + binSize(ownerLen(e)) + TIME_BYTES + 1 + HASH_BYTES;
}

/** An upper bound of an entries item's size ([key, value, owner, timestamp, deleted]). */
export function entryWireBytes(key: string, owner: string, valueBytes: number): number {
  return 1 + binSize(Buffer.byteLength(key, 'utf8')) + Math.max(1, valueBytes) + binSize(Buffer.byteLength(owner, 'utf8')) + TIME_BYTES + 1;
}

function entryItemBytes(e: Entry): number {
  return entryWireBytes(e.key, e.owner, e.valueBytes);
}

/** The body limit for a piece's list: the peer's limit less the envelope and the list header. */
export function listLimit(bodyLimit: number): { target: number; limit: number } {
  const limit = bodyLimit - ENVELOPE_BYTES - LIST_HEADER - 1;
  return { target: Math.min(PIECE_BYTES, limit), limit };
}

function* lists<T extends DigestVersion>(
  sub: number,
  items: Iterable<T>,
  sizeOf: (e: T) => number,
  toWire: (e: T) => unknown,
  bodyLimit: number,
  maxItems: number,
  oversize: Oversize,
): Generator<Piece> {
  const { target, limit } = listLimit(bodyLimit);
  for (const g of groupBySize(items, sizeOf, target, limit, maxItems, (e, n) => oversize(e.key, n, limit))) {
    yield { payload: [sub, g.items.map(toWire)], bytes: g.bytes + LIST_HEADER + 1 + ENVELOPE_BYTES };
  }
}

/** Digest messages ([0x30, [[key, owner, timestamp, deleted, hash], ...]]) for these entries. */
export function digestPieces(entries: Iterable<DigestVersion>, bodyLimit: number, oversize: Oversize): Generator<Piece> {
  return lists(SUB_DIGEST, entries, digestItemBytes, (e) => [keyBytes(e.key), e.owner, e.timestamp, e.deleted, e.hash], bodyLimit, DIGEST_ITEMS, oversize);
}

/** Entries messages ([0x31, [[key, value or nil, owner, timestamp, deleted], ...]]). */
export function entriesPieces(entries: Iterable<Entry>, bodyLimit: number, oversize: Oversize): Generator<Piece> {
  return lists(SUB_ENTRIES, entries, entryItemBytes, (e) => [keyBytes(e.key), e.deleted ? null : e.value, ownerOnWire(e), e.timestamp, e.deleted], bodyLimit, ENTRIES_ITEMS, oversize);
}

/** Want messages ([0x32, [key, ...]]). */
export function* wantPieces(keys: Iterable<string>, bodyLimit: number, oversize: Oversize): Generator<Piece> {
  const { target, limit } = listLimit(bodyLimit);
  const size = (k: string) => binSize(Buffer.byteLength(k, 'utf8'));
  for (const g of groupBySize(keys, size, target, limit, WANT_ITEMS, (k, n) => oversize(k, n, limit))) {
    yield { payload: [SUB_WANT, g.items.map(keyBytes)], bytes: g.bytes + LIST_HEADER + 1 + ENVELOPE_BYTES };
  }
}

/** Initial stores ([0x0B, key, value, owner, timestamp], §14.5), one message per live entry. */
export function* storePieces(entries: Iterable<Entry>, bodyLimit: number, oversize: Oversize): Generator<Piece> {
  for (const e of entries) {
    const bytes = containerHeader(5) + 1 + entryItemBytes(e) + ENVELOPE_BYTES;
    if (bytes > bodyLimit) {
      oversize(e.key, bytes, bodyLimit);
      continue;
    }
    yield { payload: [flags.store, keyBytes(e.key), e.value, ownerOnWire(e), Math.floor(e.timestamp)], bytes };
  }
}
