/**
 * Long answers to one peer (a sync table for a newcomer, anti-entropy
 * entries, full member lists, replica batches) go out in pieces over time:
 * each piece fits the peer's advertised body limit, is written only while
 * the peer's queue is below a low-water mark, and the event loop gets a turn
 * between pieces. So a node with a large honest table can bring a newcomer up
 * to date without a burst past maxWriteBuffer (which would drop the newcomer)
 * and without stalling the traffic of everyone else.
 */
import { once } from 'events';
import type { Peer } from './peer';

/** Target size of one piece: large enough to amortise framing, small enough not to hold a link up. */
export const PIECE_BYTES = 256 * 1024;
/** Message envelope around a piece's items ([flag, sender ID, time, sub-flag, ...], checksum). */
export const ENVELOPE_BYTES = 192;

/**
 * Groups `items` into pieces of at most `maxBytes` (by `sizeOf`) and at most
 * `maxItems` items. An item larger than `maxBytes` on its own is passed to
 * `oversize` and left out (the receiver would refuse it).
 */
export function* piecesOf<T>(items: Iterable<T>, sizeOf: (item: T) => number, maxBytes: number, maxItems = Infinity, oversize?: (item: T, size: number) => void): Generator<T[]> {
  let piece: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (size > maxBytes) {
      oversize?.(item, size);
      continue;
    }
    if (piece.length && (bytes + size > maxBytes || piece.length >= maxItems)) {
      yield piece;
      piece = [];
      bytes = 0;
    }
    piece.push(item);
    bytes += size;
  }
  if (piece.length) yield piece;
}

/** What a paced sender needs from a node (MeshNode has it). */
export interface PacedTarget {
  readonly closed: boolean;
  readonly options: { maxWriteBuffer: number; relayHighWater: number };
  sendToPeer(peer: Peer, mainFlag: number, payload: unknown[]): void;
  reportError(err: Error, peer?: Peer): void;
}

/** Resolves when everything queued for the peer has left or its connection closes, or after `ms` (listeners removed either way). */
export function drainOrClose(peer: Peer, ms: number): Promise<unknown> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), ms);
  const waits = [once(peer.conn, 'drained', { signal: stop.signal }), once(peer.conn, 'close', { signal: stop.signal })];
  return Promise.race(waits)
    .catch(() => undefined)
    .finally(() => {
      clearTimeout(timer);
      stop.abort();
      for (const w of waits) w.catch(() => undefined);
    });
}

/** Bytes that may wait in a peer's queue before a paced sender waits for it to drain. */
export function lowWater(o: PacedTarget['options']): number {
  return Math.max(64 * 1024, Math.min(o.relayHighWater || 1024 * 1024, o.maxWriteBuffer / 4));
}

/**
 * Send each payload of `messages` (produced lazily) to `peer` as a message
 * with `mainFlag`, waiting while the peer's queue is above the low-water mark
 * and yielding to the event loop between messages. Resolves true when all
 * were written, false when the peer or the node closed first. A payload that
 * cannot be sent (too large for the peer) is reported and skipped.
 */
export async function sendPaced(node: PacedTarget, peer: Peer, mainFlag: number, messages: Iterable<unknown[]>): Promise<boolean> {
  const limit = lowWater(node.options);
  for (const payload of messages) {
    if (node.closed || peer.conn.closed) return false;
    while (peer.conn.queuedBytes > limit && !peer.conn.closed && !node.closed) await drainOrClose(peer, 1000);
    if (node.closed || peer.conn.closed) return false;
    try {
      node.sendToPeer(peer, mainFlag, payload);
    } catch (e) {
      node.reportError(e as Error, peer);
    }
    await new Promise((r) => setImmediate(r));
  }
  return true;
}
