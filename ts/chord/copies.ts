/**
 * Replica batches (0x33) sized by bytes to the receiver: at most 500 copies
 * and at most PIECE_BYTES (or the peer's body limit, if smaller) per batch; a
 * copy larger than a piece goes alone, one larger than the peer accepts is
 * left out (the caller counts it as not held there). 500 values of 1 MiB used
 * to make one 500 MiB frame.
 */
import { ENVELOPE_BYTES, PIECE_BYTES, piecesOf } from '../mesh/bulk';
import { ITEM_BYTES } from './budget';
import type { Item } from './store';

/** Copies per batch at most (the receiver reads at most 1000). */
export const MAX_COPIES = 500;
/** Bytes of a copy besides its value: table, base58 position, version with a writer ID of at most 128 characters, array headers. */
const COPY_OVERHEAD = 256;

/** A copy with its place in the list pushed, so per-item statuses can be matched back. */
export interface IndexedCopy {
  item: Item;
  index: number;
}

/** Upper bound of a copy's bytes in a batch, from the size the store charged for it (no re-encoding). */
export function copySize(c: IndexedCopy): number {
  return c.item.bytes - ITEM_BYTES + COPY_OVERHEAD;
}

/** Batches of `items` for a peer accepting bodies of `bodyLimit` bytes; copies too large for it go to `tooLarge`. */
export function* copyBatches(items: Item[], bodyLimit: number, tooLarge: (c: IndexedCopy) => void): Generator<IndexedCopy[]> {
  const room = bodyLimit - ENVELOPE_BYTES;
  const piece = Math.min(PIECE_BYTES, room);
  const small: IndexedCopy[] = [];
  for (let index = 0; index < items.length; index++) {
    const c = { item: items[index], index };
    const size = copySize(c);
    if (size > room) tooLarge(c);
    else if (size > piece) yield [c];
    else small.push(c);
  }
  yield* piecesOf(small, copySize, piece, MAX_COPIES);
}
