/**
 * The items a node holds: one entry per (table, position), with a version
 * (writer's clock in ms, writer ID) so replicas converge on the newest write.
 * A delete leaves a tombstone for `tombstoneTtl` so a late replica push cannot
 * resurrect the value.
 */
import type { TableName } from './positions';

export type Version = [number, string];

export interface Item {
  table: TableName;
  pos: bigint;
  /** undefined: tombstone (deleted). */
  value: unknown;
  ver: Version;
  /** Date.now() when stored here (tombstone expiry). */
  at: number;
}

export function compareVersions(a: Version, b: Version): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** A version field from the wire: [number, str]; null when malformed. */
export function versionOf(v: unknown): Version | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const [t, w] = v;
  const writer = typeof w === 'string' ? w : Buffer.isBuffer(w) ? w.toString('utf8') : null;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || writer === null || writer.length > 128) return null;
  return [t, writer];
}

const slotKey = (table: string, pos: bigint) => `${table}:${pos.toString(36)}`;

export class ChordStore {
  private readonly items = new Map<string, Item>();
  constructor(private readonly tombstoneTtl: number, private readonly maxItems: number) {}

  get(table: TableName, pos: bigint): Item | undefined {
    return this.items.get(slotKey(table, pos));
  }

  /** Live value or undefined. */
  value(table: TableName, pos: bigint): unknown {
    return this.get(table, pos)?.value;
  }

  /** Store when newer than what is held (or nothing is held). Returns true when stored. */
  put(table: TableName, pos: bigint, value: unknown, ver: Version): boolean {
    const k = slotKey(table, pos);
    const cur = this.items.get(k);
    if (cur && compareVersions(cur.ver, ver) >= 0) return false;
    if (!cur && value === undefined) {
      // a tombstone for something never held: keep it only if there is room
      if (this.items.size >= this.maxItems) return false;
    } else if (!cur && this.items.size >= this.maxItems) {
      this.prune(true);
      if (this.items.size >= this.maxItems) return false;
    }
    this.items.set(k, { table, pos, value, ver, at: Date.now() });
    return true;
  }

  drop(table: TableName, pos: bigint): void {
    this.items.delete(slotKey(table, pos));
  }

  clear(): void {
    this.items.clear();
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
    for (const [k, i] of this.items) if (i.value === undefined && (urgent || i.at < cut)) this.items.delete(k);
  }
}
