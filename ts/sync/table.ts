/**
 * The replicated dictionary's local state (PROTOCOL.md §14.2): one entry per
 * text key with its (owner, timestamp) metadata, plus tombstones for deleted
 * keys so that deletions reach late joiners and healed partitions. Pure data;
 * no network.
 */
import type { Meta } from './lease';
import type { VersionMeta } from './resolve';
import { DELETED_HASH, valueHash } from './keys';

export type IdForm = 'str' | 'bin';

export interface Entry extends VersionMeta {
  key: string;
  /** The value (undefined for a tombstone). */
  value: unknown;
  /** How the owner's node encodes its ID (py2p: bin; js2p, polyp2p: str), to send it back the same way. */
  ownerForm: IdForm;
  /** Local clock (ms) when this entry was stored. */
  storedAt: number;
}

function lazyHashEntry(fields: Omit<Entry, 'hash'>, known?: Buffer): Entry {
  let hash = known;
  return Object.defineProperty(fields as Entry, 'hash', {
    enumerable: true,
    get: () => (hash ??= valueHash(fields.value)),
  });
}

export class SyncTable {
  private readonly entries = new Map<string, Entry>();
  private tombstones = 0;

  constructor(private readonly tombstoneTtlMs: number, private readonly maxTombstones: number) {}

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
   * Store a live value. The value hash is only needed by anti-entropy digests
   * and version comparisons, so unless the caller has it, it is computed on
   * first use (a msgpack encode + SHA-256 per write was a fifth of a replica's CPU).
   */
  put(key: string, value: unknown, owner: string, ownerForm: IdForm, timestamp: number, hash?: Buffer): Entry {
    const prev = this.entries.get(key);
    if (prev?.deleted) this.tombstones--;
    const e = lazyHashEntry({ key, value, owner, ownerForm, timestamp, deleted: false, storedAt: Date.now() }, hash);
    this.entries.delete(key); // keep insertion order = order of last change
    this.entries.set(key, e);
    return e;
  }

  tombstone(key: string, owner: string, ownerForm: IdForm, timestamp: number): Entry {
    const prev = this.entries.get(key);
    if (!prev?.deleted) this.tombstones++;
    const e: Entry = { key, value: undefined, owner, ownerForm, timestamp, deleted: true, hash: DELETED_HASH, storedAt: Date.now() };
    this.entries.delete(key);
    this.entries.set(key, e);
    if (this.tombstones > this.maxTombstones) this.prune(Date.now(), true);
    return e;
  }

  /** Forget tombstones older than the TTL (and the oldest ones beyond the cap). */
  prune(now = Date.now(), overCap = false): void {
    for (const [k, e] of this.entries) {
      if (!e.deleted) continue;
      if (now - e.storedAt > this.tombstoneTtlMs || (overCap && this.tombstones > this.maxTombstones)) {
        this.entries.delete(k);
        this.tombstones--;
      }
    }
  }

  get size(): number {
    return this.entries.size - this.tombstones;
  }

  get tombstoneCount(): number {
    return this.tombstones;
  }

  /** Live entries in order of their last change. */
  *liveEntries(): IterableIterator<Entry> {
    for (const e of this.entries.values()) if (!e.deleted) yield e;
  }

  /** Every entry, tombstones included. */
  all(): IterableIterator<Entry> {
    return this.entries.values();
  }
}
