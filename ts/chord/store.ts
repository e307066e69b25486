/**
 * The items a node holds: one entry per (table, position), with a version
 * (writer's clock in ms, writer ID) so replicas converge on the newest write.
 * A delete leaves a tombstone for `tombstoneTtl` so a late replica push cannot
 * resurrect the value. Every item is charged to the store's byte budgets
 * (budget.ts); a change past a budget is refused and counted.
 */
import type { TableName } from './positions';
import { ITEM_BYTES, StoreBudget, type BudgetLimits, type Charge, type Refusal } from './budget';
import { encodedSize } from './values';
import { Notifier } from '../base/wait-until';

export type Version = [number, string];

export interface Item {
  table: TableName;
  pos: bigint;
  /** undefined: tombstone (deleted). */
  value: unknown;
  ver: Version;
  /** Date.now() when stored here (tombstone expiry). */
  at: number;
  /** Bytes charged for it (value's msgpack size + ITEM_BYTES). */
  bytes: number;
  /** Link account charged for it, when it came in without the ring's vouching. */
  link?: string;
}

/** What put() did: stored, kept a newer or equal version ('stale'), or refused by a budget. */
export type PutResult = 'stored' | 'stale' | Refusal;

export interface PutOptions {
  /** Charge it to this link account too (it came in without the ring's vouching). */
  link?: string;
  /** Store it only when nothing is held for the slot (an unvouched copy never replaces one). */
  onlyIfEmpty?: boolean;
}

export function compareVersions(a: Version, b: Version): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** A version field from the wire: [number, str]; null when malformed. */
export function versionOf(v: unknown): Version | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const [t, w] = v as unknown[];
  const writer = typeof w === 'string' ? w : Buffer.isBuffer(w) ? w.toString('utf8') : null;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || writer === null || writer.length > 128) return null;
  return [t, writer];
}

/**
 * A version more than `maxSkew` ms ahead of this node's clock: refused
 * wherever a version arrives (route writes, replicas, answers). Accepted, it
 * could not be replaced by any honest write until the writer's clock caught
 * up (a write dated in the year 3000 would stay for ever).
 */
export function tooFarAhead(ver: Version, maxSkew: number, now = Date.now()): boolean {
  return ver[0] > now + maxSkew;
}

const slotKey = (table: string, pos: bigint) => `${table}:${pos.toString(36)}`;

export class ChordStore {
  private readonly items = new Map<string, Item>();
  readonly budget: StoreBudget;
  /** Told after each item stored (a read waiting for copies on their way re-checks). */
  readonly stored = new Notifier();

  constructor(
    private readonly tombstoneTtl: number,
    private readonly maxItems: number,
    limits: BudgetLimits = { maxStoreBytes: Infinity, maxBytesPerWriter: Infinity, maxBytesPerLink: Infinity },
  ) {
    this.budget = new StoreBudget(limits);
  }

  get(table: TableName, pos: bigint): Item | undefined {
    return this.items.get(slotKey(table, pos));
  }

  /** Live value or undefined. */
  value(table: TableName, pos: bigint): unknown {
    return this.get(table, pos)?.value;
  }

  /** Bytes charged for all items held. */
  get bytes(): number {
    return this.budget.total;
  }

  /** Store when newer than what is held (or nothing is held) and within every budget. */
  put(table: TableName, pos: bigint, value: unknown, ver: Version, options: PutOptions = {}): PutResult {
    const k = slotKey(table, pos);
    const cur = this.items.get(k);
    if (cur && (options.onlyIfEmpty || compareVersions(cur.ver, ver) >= 0)) return 'stale';
    const next: Charge = { bytes: (value === undefined ? 0 : encodedSize(value)) + ITEM_BYTES, writer: ver[1], link: options.link };
    const refusal = !cur && !this.roomForOneMore(value === undefined) ? 'items' : this.budget.check(cur && chargeOf(cur), next);
    if (refusal) {
      this.budget.refuse(refusal);
      return refusal;
    }
    if (cur) this.budget.remove(chargeOf(cur));
    this.budget.add(next);
    this.items.set(k, { table, pos, value, ver, at: Date.now(), bytes: next.bytes, link: next.link });
    this.stored.notify();
    return 'stored';
  }

  /** Below maxItems, after forgetting tombstones if needed (a tombstone for something never held only if there is room). */
  private roomForOneMore(tombstone: boolean): boolean {
    if (this.items.size < this.maxItems) return true;
    if (tombstone) return false;
    this.prune(true);
    return this.items.size < this.maxItems;
  }

  drop(table: TableName, pos: bigint): void {
    const k = slotKey(table, pos);
    const cur = this.items.get(k);
    if (!cur) return;
    this.budget.remove(chargeOf(cur));
    this.items.delete(k);
  }

  clear(): void {
    this.items.clear();
    this.budget.clear();
  }

  *all(): IterableIterator<Item> {
    yield* this.items.values();
  }

  /** Live (non-tombstone) items. */
  get live(): number {
    let n = 0;
    for (const i of this.items.values()) if (i.value !== undefined) n++;
    return n;
  }

  get size(): number {
    return this.items.size;
  }

  /** Forget expired tombstones (all tombstones when `urgent`). */
  prune(urgent = false): void {
    const cut = Date.now() - this.tombstoneTtl;
    for (const [k, i] of this.items) {
      if (i.value !== undefined || !(urgent || i.at < cut)) continue;
      this.budget.remove(chargeOf(i));
      this.items.delete(k);
    }
  }
}

const chargeOf = (i: Item): Charge => ({ bytes: i.bytes, writer: i.ver[1], link: i.link });
