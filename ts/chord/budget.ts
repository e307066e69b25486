/**
 * Byte budgets of a chord store (issue #17). Every item held is charged, in
 * O(1) per change, to three accounts:
 *
 *   - the store's total (`maxStoreBytes`): items this node is responsible for
 *     and the replicas it holds;
 *   - its writer, the writer ID of its version (`maxBytesPerWriter`);
 *   - when it came in without the ring's vouching, the link it came over
 *     (`maxBytesPerLink`): a route write straight from a link that is not a
 *     verified storing ring member (a leeching client, an original, a raw
 *     connection), a legacy store, or a replica pushed by a peer that is not
 *     a plausible holder of it.
 *
 * An item costs its value's msgpack size plus ITEM_BYTES (a tombstone costs
 * ITEM_BYTES alone). A change that would take an account past its budget is
 * refused; one that frees bytes (a smaller value, a delete) never is, so a
 * full store can always be emptied by deletes.
 */

/** Why a change was refused: the store's total, the writer's share, the link's share, or the item count. */
export type Refusal = 'store' | 'writer' | 'link' | 'items';

/** What one item costs and whom it is charged to. */
export interface Charge {
  bytes: number;
  writer: string;
  /** Account of the link it came over, when that link had to pay for it. */
  link?: string;
}

export interface BudgetLimits {
  maxStoreBytes: number;
  maxBytesPerWriter: number;
  maxBytesPerLink: number;
}

/** Fixed cost of an item besides its value: slot key, version, record (also what a tombstone costs). */
export const ITEM_BYTES = 96;

/** Counts of refused changes, by reason (chordStats().budget.refused). */
export type RefusalCounts = Record<Refusal, number>;

export class StoreBudget {
  /** Bytes charged to the store in all. */
  total = 0;
  private readonly writers = new Map<string, number>();
  private readonly links = new Map<string, number>();
  readonly refused: RefusalCounts = { store: 0, writer: 0, link: 0, items: 0 };

  constructor(readonly limits: BudgetLimits) {}

  /** Bytes charged to one writer ID. */
  writerBytes(writer: string): number {
    return this.writers.get(writer) ?? 0;
  }

  /** Bytes charged to one link account. */
  linkBytes(link: string): number {
    return this.links.get(link) ?? 0;
  }

  /** The reason `next` may not replace `old` (undefined: a new slot), or null when it fits. */
  check(old: Charge | undefined, next: Charge): Refusal | null {
    const freed = old?.bytes ?? 0;
    if (next.bytes <= freed && (!old || old.writer === next.writer || next.bytes === ITEM_BYTES)) return null; // shrinks (a delete always may)
    if (this.total - freed + next.bytes > this.limits.maxStoreBytes) return 'store';
    const sameWriter = old?.writer === next.writer ? freed : 0;
    if (this.writerBytes(next.writer) - sameWriter + next.bytes > this.limits.maxBytesPerWriter) return 'writer';
    if (next.link !== undefined) {
      const sameLink = old?.link === next.link ? freed : 0;
      if (this.linkBytes(next.link) - sameLink + next.bytes > this.limits.maxBytesPerLink) return 'link';
    }
    return null;
  }

  /** Count a refusal. */
  refuse(reason: Refusal): void {
    this.refused[reason]++;
  }

  add(c: Charge): void {
    this.total += c.bytes;
    this.writers.set(c.writer, this.writerBytes(c.writer) + c.bytes);
    if (c.link !== undefined) this.links.set(c.link, this.linkBytes(c.link) + c.bytes);
  }

  remove(c: Charge): void {
    this.total -= c.bytes;
    this.shrink(this.writers, c.writer, c.bytes);
    if (c.link !== undefined) this.shrink(this.links, c.link, c.bytes);
  }

  clear(): void {
    this.total = 0;
    this.writers.clear();
    this.links.clear();
  }

  /** Accounts that reach zero are forgotten, so writer IDs and closed links cannot pile up. */
  private shrink(map: Map<string, number>, key: string, bytes: number): void {
    const left = (map.get(key) ?? 0) - bytes;
    if (left > 0) map.set(key, left);
    else map.delete(key);
  }
}
