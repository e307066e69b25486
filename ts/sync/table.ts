/**
 * The replicated dictionary's local state (PROTOCOL.md §14.2): one entry per
 * text key with its (owner, timestamp) metadata, plus tombstones for deleted
 * keys so that deletions reach late joiners and healed partitions. Every
 * entry is charged to the table's byte budgets (budget.ts) while it is
 * held; whether a change fits is asked with refusal() before storing it.
 * Pure data; no network.
 */
import type { Meta } from './lease';
import type { VersionMeta } from './resolve';
import { DELETED_HASH, valueHash } from './keys';
import { entryBytes, TableBudget, type BudgetLimits } from './budget';

export type IdForm = 'str' | 'bin';

export interface Entry extends VersionMeta {
  key: string;
  /** The value (undefined for a tombstone). */
  value: unknown;
  /** How the owner's node encodes its ID (py2p: bin; js2p, polyp2p: str), to send it back the same way. */
  ownerForm: IdForm;
  /** Local clock (ms) when this entry was stored. */
  storedAt: number;
  /** msgpack size of the value (0 for a tombstone). */
  valueBytes: number;
  /** What the entry is charged to the byte budgets (budget.ts entryBytes). */
  bytes: number;
}

type EntryFields = Omit<Entry, 'hash' | 'bytes'>;

function lazyHashEntry(fields: EntryFields, known?: Buffer): Entry {
  let hash = known;
  const e = fields as Entry;
  e.bytes = entryBytes(fields.key, fields.owner, fields.valueBytes);
  return Object.defineProperty(e, 'hash', {
    enumerable: true,
    get: () => (hash ??= valueHash(fields.value)),
  });
}

export interface TableLimits extends BudgetLimits {
  tombstoneTtlMs: number;
  maxTombstones: number;
}

export class SyncTable {
  private readonly entries = new Map<string, Entry>();
  /** Tombstones in the order they were made (oldest first), for O(1) pruning. */
  private readonly tombs = new Map<string, Entry>();
  readonly budget: TableBudget;

  constructor(
    private readonly limits: TableLimits,
    isOwnId: (owner: string) => boolean = () => false,
  ) {
    this.budget = new TableBudget(limits, isOwnId);
  }

  /** The live entry for a key (not a tombstone). */
  live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    return e && !e.deleted ? e : undefined;
  }

  /** The entry for a key, tombstone included. */
  any(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  /** Metadata for the lease check: tombstones count as "no metadata", as in the originals. */
  meta(key: string): Meta | undefined {
    const e = this.live(key);
    return e ? { owner: e.owner, timestamp: e.timestamp } : undefined;
  }

  /**
   * Why storing a version of `key` by `owner` with a value of `valueBytes`
   * (a tombstone: 0) would break a byte budget; null when it fits.
   */
  refusal(key: string, owner: string, valueBytes: number): string | null {
    return this.budget.refusal(this.entries.get(key), owner, entryBytes(key, owner, valueBytes));
  }

  /**
   * Store a live value of `valueBytes` (its msgpack size; the caller checked
   * refusal()). The value hash is only needed by anti-entropy digests and
   * version comparisons, so unless the caller has it, it is computed on first
   * use (a msgpack encode + SHA-256 per write was a fifth of a replica's CPU).
   */
  put(key: string, value: unknown, owner: string, ownerForm: IdForm, timestamp: number, valueBytes: number, hash?: Buffer): Entry {
    return this.store(lazyHashEntry({ key, value, owner, ownerForm, timestamp, deleted: false, storedAt: Date.now(), valueBytes }, hash));
  }

  tombstone(key: string, owner: string, ownerForm: IdForm, timestamp: number): Entry {
    const e: Entry = { key, value: undefined, owner, ownerForm, timestamp, deleted: true, hash: DELETED_HASH, storedAt: Date.now(), valueBytes: 0, bytes: entryBytes(key, owner, 0) };
    this.store(e);
    this.tombs.set(key, e);
    if (this.tombs.size > this.limits.maxTombstones) this.prune(Date.now());
    return e;
  }

  /**
   * The same version moved to a later second (its owner's node does this to
   * settle a conflict between two leases, resolve.ts). A new entry object:
   * entries already queued for sending stay as they were.
   */
  restamp(key: string, timestamp: number): Entry | undefined {
    const e = this.live(key);
    if (!e) return undefined;
    return this.put(key, e.value, e.owner, e.ownerForm, timestamp, e.valueBytes, e.hash);
  }

  private store(e: Entry): Entry {
    const prev = this.entries.get(e.key);
    if (prev) {
      this.budget.release(prev);
      this.tombs.delete(e.key);
      this.entries.delete(e.key); // keep insertion order = order of last change
    }
    this.entries.set(e.key, e);
    this.budget.charge(e);
    return e;
  }

  /** Forget tombstones older than the TTL and the oldest ones beyond the cap: O(tombstones forgotten). */
  prune(now = Date.now()): void {
    for (const [k, e] of this.tombs) {
      if (now - e.storedAt <= this.limits.tombstoneTtlMs && this.tombs.size <= this.limits.maxTombstones) break;
      this.tombs.delete(k);
      this.entries.delete(k);
      this.budget.release(e);
    }
  }

  get size(): number {
    return this.entries.size - this.tombs.size;
  }

  get tombstoneCount(): number {
    return this.tombs.size;
  }

  /** Bytes charged for everything the table holds (budget.ts). */
  get bytes(): number {
    return this.budget.total;
  }

  /** Live entries in order of their last change. */
  *liveEntries(): IterableIterator<Entry> {
    for (const e of this.entries.values()) if (!e.deleted) yield e;
  }

  /** Every entry, tombstones included. */
  all(): IterableIterator<Entry> {
    return this.entries.values();
  }

  /**
   * Every entry (tombstones included) in order of last change, read as the
   * table is when each is reached, without copying the table: a paced sender
   * may walk it for seconds while the table changes. At most as many entries
   * as the table held at the call; a key changed meanwhile moves to the end,
   * so it may come twice, or not at all (its change went out by itself).
   */
  *walk(): Generator<Entry> {
    let left = this.entries.size;
    for (const e of this.entries.values()) {
      if (left-- <= 0) return;
      yield e;
    }
  }

  /** Entries held, tombstones included. */
  get count(): number {
    return this.entries.size;
  }
}
