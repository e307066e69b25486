/**
 * SyncNode: a mesh node whose peers replicate one dictionary (PROTOCOL.md
 * §14). Local operations and state live here; what is done with incoming
 * sync messages lives in replication.ts. The typed API behaves like a
 * Map<string, value>; the js2p drop-in is compat/sync.ts.
 */
import { ClosedError, LeaseError, MemoryBudgetError, MessageTooLargeError } from '../base/errors';
import { flags } from '../base/flags';
import { nowSeconds } from '../base/ids';
import { MeshNode } from '../mesh/mesh-node';
import type { MeshOptions } from '../mesh/options';
import type { SyncEvents } from './events';
import type { AbortOptions } from '../base/abort';
import type { Peer, PeerInfo } from '../mesh/peer';
import { leaseAllows, refusalReason, type Meta } from './lease';
import { encodedValue, isMapping, keyBytes, localKey, mergeMapping } from './keys';
import { SyncTable, type Entry, type IdForm } from './table';
import { isStoreOfNil } from './wire';
import { installHandlers } from './replication';
import { PeerOutbox } from './outbox';
import { DIGEST_ITEMS, entryWireBytes, listLimit } from './pieces';
import { newSyncCounters, syncStats, type SyncNodeStats } from './stats';
import { noteRefusal } from './diagnostics';
import { checkOptions } from '../base/check-options';
import { syncOptionRules } from './option-rules';

/**
 * This node's writes name it as bin, as py2p's do: py2p compares a write's
 * owner with the one it holds (the same-second rule of docs/protocol.md §14.4)
 * and drops the link when one is str and the other bin, while js2p and
 * polyp2p compare the text of either form.
 */
const OWNER_FORM: IdForm = 'bin';

export interface SyncOptions extends MeshOptions {
  /** Lease enforcement (default true). The subnet gets the suffix '1' (on) or '0' (off), §14.1. */
  leasing?: boolean;
  /** Subnet before the leasing suffix (default 'sync'). */
  subnet?: string;
  /** Seconds a tombstone (deleted key) is kept for late joiners and healed partitions (default 3600). */
  tombstoneTtl?: number;
  /** Cap on tombstones; the oldest are forgotten first (default 100 000). */
  maxTombstones?: number;
  /** ms between digest exchanges with polyp2p peers; 0: only when a link comes up (default 30 000). */
  antiEntropyInterval?: number;
  /**
   * Bytes the table may hold (default 256 MiB): each entry counts its key's
   * and owner ID's UTF-8 length, its value's msgpack size and 16 bytes; a
   * tombstone the same without a value. A peer's change past it is refused
   * (a 'refused' event); a local set()/applyDelta() past it throws
   * MemoryBudgetError (ERR_MEMORY_BUDGET). Deletes always fit.
   */
  maxTableBytes?: number;
  /**
   * Bytes one writer (owner ID: the `sender` of stores and deltas, the owner
   * of initial-sync and anti-entropy entries) may hold in the table (default
   * 64 MiB, a quarter of maxTableBytes: one busy honest writer may hold a
   * large share, no single ID the whole table); its changes past it are
   * refused. This node's own writes count only toward maxTableBytes. Owner
   * IDs are not authenticated, so this is a fairness bound between writers;
   * maxTableBytes is the memory bound.
   */
  maxBytesPerOwner?: number;
  /**
   * Seconds a change's timestamp may be ahead of this node's clock (default
   * 300): changes further in the future are refused, as they would hold a
   * lease, or win as the newest write, until that time comes.
   */
  maxClockSkew?: number;
  /**
   * Items of one anti-entropy message (digest, want or entries) that are
   * processed (default 4096, at least 2048: polyp2p sends up to 2048 per
   * message); the rest are ignored with one 'refused' event.
   */
  maxAntiEntropyItems?: number;
}

/** The sync limits besides the mesh's, resolved to their defaults. */
export interface SyncLimits {
  maxClockSkew: number;
  maxAntiEntropyItems: number;
}

export type ChangeSource = 'local' | 'remote' | 'initial-sync' | 'anti-entropy';

export interface SyncUpdate {
  key: string;
  /** The key as it arrived (string or Buffer); a Buffer for local changes. */
  rawKey: string | Buffer;
  value: unknown;
  owner: string;
  timestamp: number;
  source: ChangeSource;
  /** The peer the change came from (absent for local changes). */
  peer?: PeerInfo;
}

export type SyncDelete = Omit<SyncUpdate, 'value'>;

export interface SyncRefusal {
  key: string | null;
  /** Why, in words. */
  reason: string;
  /**
   * 'incoming': this node refused a change a peer sent; 'superseded': a write
   * made here lost to another replica's version (another node refused it).
   */
  kind: 'incoming' | 'superseded';
  /** The refused change's writer and time, when known. */
  owner?: string;
  timestamp?: number;
  value?: unknown;
  peer?: PeerInfo;
  /** A summary of this many refusals of one message (absent: one refusal). */
  count?: number;
}

/** The typed events of a SyncNode (names and payloads: events.ts). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- narrows EventEmitter's inherited methods to the event map
export interface SyncNode {
  on<K extends keyof SyncEvents>(event: K, listener: (...args: SyncEvents[K]) => void): this;
  once<K extends keyof SyncEvents>(event: K, listener: (...args: SyncEvents[K]) => void): this;
  off<K extends keyof SyncEvents>(event: K, listener: (...args: SyncEvents[K]) => void): this;
  addListener<K extends keyof SyncEvents>(event: K, listener: (...args: SyncEvents[K]) => void): this;
  removeListener<K extends keyof SyncEvents>(event: K, listener: (...args: SyncEvents[K]) => void): this;
  prependListener<K extends keyof SyncEvents>(event: K, listener: (...args: SyncEvents[K]) => void): this;
  prependOnceListener<K extends keyof SyncEvents>(event: K, listener: (...args: SyncEvents[K]) => void): this;
  emit<K extends keyof SyncEvents>(event: K, ...args: SyncEvents[K]): boolean;
  listenerCount<K extends keyof SyncEvents>(event: K): number;
  removeAllListeners<K extends keyof SyncEvents>(event?: K): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class SyncNode extends MeshNode {
  readonly leasing: boolean;
  /** @internal */
  readonly baseSubnet: string;
  /** @internal */
  readonly table: SyncTable;
  /** How each peer encodes node IDs in its handshake (js2p and polyp2p: str, py2p: bin). @internal */
  readonly idForms = new WeakMap<Peer, IdForm>();
  /** @internal */
  readonly syncLimits: SyncLimits;
  private readonly outboxes = new WeakMap<Peer, PeerOutbox>();
  private readonly syncCounters = newSyncCounters();
  private aeTimer: NodeJS.Timeout | null = null;

  constructor(options: SyncOptions = {}) {
    checkOptions(options, syncOptionRules, { name: 'SyncOptions' });
    const leasing = options.leasing !== false;
    const baseSubnet = options.subnet ?? 'sync';
    super({ ...options, subnet: baseSubnet + (leasing ? '1' : '0') });
    this.leasing = leasing;
    this.baseSubnet = baseSubnet;
    this.table = new SyncTable(
      {
        tombstoneTtlMs: (options.tombstoneTtl ?? 3600) * 1000,
        maxTombstones: options.maxTombstones ?? 100_000,
        maxTableBytes: options.maxTableBytes ?? 256 * 1024 * 1024,
        maxBytesPerOwner: options.maxBytesPerOwner ?? 64 * 1024 * 1024,
      },
      (owner) => owner === this.id,
    );
    // Below what polyp2p sends per message, the same keys would be cut off every round and never converge.
    this.syncLimits = { maxClockSkew: options.maxClockSkew ?? 300, maxAntiEntropyItems: Math.max(DIGEST_ITEMS, options.maxAntiEntropyItems ?? 4096) };
    installHandlers(this);
    // A polyp2p node never relays a delete to a peer that may be js2p (it would drop the link, §14.6).
    this.relayFilter = (to, decoded) => !(this.mayBeJs2p(to) && isStoreOfNil(decoded));
    const interval = options.antiEntropyInterval ?? 30_000;
    if (interval > 0) {
      this.aeTimer = setInterval(() => {
        this.table.prune();
        for (const p of this.polyp2pPeers()) this.outbox(p).digest();
      }, interval);
      this.aeTimer.unref();
    }
  }

  /** Not known to be polyp2p and not known to be py2p: treat as js2p (no deletes). @internal */
  mayBeJs2p(peer: Peer): boolean {
    return !peer.answersPings && this.idForms.get(peer) !== 'bin';
  }

  // --- Map-like API ----------------------------------------------------------

  get size(): number {
    return this.table.size;
  }

  has(key: string | Uint8Array): boolean {
    return this.table.live(localKey(key)) !== undefined;
  }

  get(key: string | Uint8Array): unknown {
    return this.table.live(localKey(key))?.value;
  }

  /** The key's (owner, timestamp), or undefined when absent. */
  metadata(key: string | Uint8Array): Meta | undefined {
    return this.table.meta(localKey(key));
  }

  /** Store and broadcast. Throws LeaseError when another node holds the key's lease. */
  /**
   * Store and broadcast. Throws, changing nothing, when another node holds
   * the key's lease (LeaseError), the value cannot be encoded
   * (MsgpackEncodeError), the table's byte budget would be exceeded
   * (MemoryBudgetError) or the message would be larger than a peer or this
   * node accepts (MessageTooLargeError).
   */
  set(key: string | Uint8Array, value: unknown): this {
    if (value === null || value === undefined) throw new TypeError('sync values cannot be null or undefined (nil means "deleted" on the wire); use delete()');
    const k = localKey(key);
    this.checkWritable(k, false);
    const { hash, size } = encodedValue(value);
    this.checkLocalBytes(k, size);
    const now = nowSeconds();
    const form = this.ownerFormFor(k);
    this.sendAll(flags.broadcast, [flags.store, keyBytes(k), value], form); // refused before anything is written when too large
    this.table.put(k, value, this.id, form, now, size, hash);
    this.emit('update', { key: k, rawKey: keyBytes(k), value, owner: this.id, timestamp: now, source: 'local' } satisfies SyncUpdate);
    return this;
  }

  /**
   * Delete and broadcast the delete to every peer except possible js2p peers
   * (js2p drops the link on a delete). False when the key is absent.
   */
  delete(key: string | Uint8Array): boolean {
    const k = localKey(key);
    if (!this.table.live(k)) return false;
    this.checkWritable(k, false);
    const now = nowSeconds();
    const form = this.ownerFormFor(k);
    this.table.tombstone(k, this.id, form, now);
    this.emit('delete', { key: k, rawKey: keyBytes(k), owner: this.id, timestamp: now, source: 'local' } satisfies SyncDelete);
    this.broadcastTo([flags.store, keyBytes(k), null], (p) => !this.mayBeJs2p(p), form);
    return true;
  }

  /**
   * How this node names itself in a write to `key`: bin (OWNER_FORM), or the
   * form of the entry it already owns there (replicas hold its earlier writes
   * in that form, e.g. from a release that sent str, and py2p only sees its
   * own lease when the forms match).
   */
  private ownerFormFor(key: string): IdForm {
    const cur = this.table.any(key);
    return cur && cur.owner === this.id ? cur.ownerForm : OWNER_FORM;
  }

  /**
   * Merge a mapping's top-level entries into the mapping stored at `key`
   * (absent: {}) and broadcast the delta. Returns the result. Throws, changing
   * nothing, for the same reasons as set() (the budget and size checks apply
   * to the merged mapping, which new peers receive whole).
   */
  applyDelta(key: string | Uint8Array, delta: Record<string, unknown>): Record<string, unknown> {
    if (!isMapping(delta)) throw new TypeError('a delta must be a plain object (msgpack map)');
    const k = localKey(key);
    const prev = this.table.live(k);
    if (prev && !isMapping(prev.value)) throw new TypeError(`cannot apply a delta to ${JSON.stringify(k)}: its value is not a mapping`);
    this.checkWritable(k, true);
    const merged = mergeMapping(prev?.value as Record<string, unknown> | undefined, delta);
    const { hash, size } = encodedValue(merged);
    this.checkLocalBytes(k, size);
    const now = nowSeconds();
    const form = this.ownerFormFor(k);
    this.sendAll(flags.broadcast, [flags.delta, keyBytes(k), delta], form); // refused before anything is written when too large
    this.table.put(k, merged, this.id, form, now, size, hash);
    this.emit('update', { key: k, rawKey: keyBytes(k), value: merged, owner: this.id, timestamp: now, source: 'local' } satisfies SyncUpdate);
    return merged;
  }

  /** set() for each entry (stops at the first LeaseError). */
  update(entries: Record<string, unknown> | Iterable<[string, unknown]>): this {
    const list = Symbol.iterator in Object(entries) ? [...(entries as Iterable<[string, unknown]>)] : Object.entries(entries);
    for (const [k, v] of list) this.set(k, v);
    return this;
  }

  /** Delete every key this node may delete; returns the keys it could not (leased elsewhere). */
  clear(): string[] {
    const kept: string[] = [];
    for (const k of [...this.keys()]) {
      try {
        this.delete(k);
      } catch (e) {
        if (e instanceof LeaseError) kept.push(k);
        else throw e;
      }
    }
    return kept;
  }

  *keys(): IterableIterator<string> {
    for (const e of this.table.liveEntries()) yield e.key;
  }

  *values(): IterableIterator<unknown> {
    for (const e of this.table.liveEntries()) yield e.value;
  }

  *entries(): IterableIterator<[string, unknown]> {
    for (const e of this.table.liveEntries()) yield [e.key, e.value];
  }

  [Symbol.iterator](): IterableIterator<[string, unknown]> {
    return this.entries();
  }

  forEach(fn: (value: unknown, key: string, node: this) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }

  /** A plain-object snapshot of the table. */
  toObject(): Record<string, unknown> {
    return mergeMapping(undefined, Object.fromEntries(this.entries()));
  }

  /** The mesh's figures (MeshStats) and the table's, under `sync` (docs/observability.md). */
  override stats(): SyncNodeStats {
    return { ...super.stats(), sync: syncStats(this.table, this.leasing, this.syncCounters) };
  }

  async close(options: AbortOptions = {}): Promise<void> {
    if (this.aeTimer) clearInterval(this.aeTimer);
    this.aeTimer = null;
    await super.close(options);
  }

  // --- internals shared with replication.ts ------------------------------------

  private checkWritable(key: string, delta: boolean): void {
    if (this.closed) throw new ClosedError('this node was closed');
    const existing = this.table.meta(key);
    const change = { owner: this.id, timestamp: nowSeconds() };
    const ctx = { leasing: this.leasing, delta, now: change.timestamp };
    if (!leaseAllows(existing, change, ctx)) throw new LeaseError(`cannot change ${JSON.stringify(key)}: ${refusalReason(existing!, change, ctx)}`);
  }

  /**
   * A local value of `valueBytes` for `key` must fit the table's budget and,
   * as an anti-entropy entry, what this node accepts itself: otherwise new
   * peers could never receive it.
   */
  private checkLocalBytes(key: string, valueBytes: number): void {
    const why = this.table.refusal(key, this.id, valueBytes);
    if (why) throw new MemoryBudgetError(`cannot store ${JSON.stringify(key)}: ${why}`);
    const entry = entryWireBytes(key, this.id, valueBytes);
    const { limit } = listLimit(this.bodyLimit);
    if (entry > limit) {
      throw new MessageTooLargeError(
        `cannot store ${JSON.stringify(key)}: its value is ${valueBytes} bytes, so its entry (${entry} bytes) would not fit in a message this node accepts (${limit} bytes with the envelope); split it, or raise maxFrameSize on every node`,
      );
    }
  }

  /**
   * Why a peer's change stamped `timestamp` by `owner`, with a value of
   * `valueBytes` (a tombstone: 0), cannot be stored: too far in the future,
   * or past a byte budget. Null when it can.
   * @internal
   */
  admit(key: string, owner: string, timestamp: number, valueBytes: number): string | null {
    return this.tooFarAhead(timestamp) ?? this.table.refusal(key, owner, valueBytes);
  }

  /** Why a change stamped `timestamp` is too far ahead of this node's clock, or null. @internal */
  tooFarAhead(timestamp: number): string | null {
    const ahead = timestamp - nowSeconds();
    if (ahead <= this.syncLimits.maxClockSkew) return null;
    return `timestamp ${timestamp} is ${Math.round(ahead)} s ahead of this node's clock, more than maxClockSkew (${this.syncLimits.maxClockSkew} s)`;
  }

  /** This peer's paced sender (outbox.ts). @internal */
  outbox(peer: Peer): PeerOutbox {
    let o = this.outboxes.get(peer);
    if (!o) this.outboxes.set(peer, (o = new PeerOutbox(this, peer)));
    return o;
  }

  /** Peers that answered the capability ping (polyp2p nodes), except `except`. @internal */
  polyp2pPeers(except?: Peer): Peer[] {
    return [...this.peers.values()].filter((p) => p.answersPings && p !== except && !p.conn.closed);
  }

  /**
   * Pass versions adopted from `from` on: to the other polyp2p peers as
   * anti-entropy entries, to the originals (values only) as initial-sync
   * stores, which they apply only where they hold no value.
   * @internal
   */
  forward(adopted: Entry[], from?: Peer): void {
    if (!adopted.length) return;
    for (const p of this.peers.values()) {
      if (p === from || p.conn.closed) continue;
      const box = this.outbox(p);
      for (const e of adopted) {
        if (p.answersPings) box.push(e.key);
        else if (!e.deleted) box.store(e.key);
      }
    }
  }

  /** One broadcast (same message ID for all) to the handshaked peers `include` accepts. @internal */
  broadcastTo(payload: unknown[], include: (p: Peer) => boolean, sender: IdForm = OWNER_FORM): void {
    if (this.closed) throw new ClosedError('this node was closed');
    const targets = [...this.peers.values()].filter((p) => !p.conn.closed && include(p));
    this.sendToPeers(targets, flags.broadcast, payload, sender);
    this.counters.sent++;
  }

  /**
   * Store a version that arrived from a peer (the caller checked the lease
   * rule and admit()) and emit the event; returns the stored entry.
   * @internal
   */
  applyVersion(key: string, rawKey: string | Buffer, v: RemoteVersion, source: ChangeSource, peer?: Peer): Entry {
    const prev = this.table.any(key);
    if (prev) this.keepStepsInOrder(prev, v);
    const info = peer?.info;
    this.countApplied(source);
    let stored: Entry;
    if (v.deleted) {
      stored = this.table.tombstone(key, v.owner, v.ownerForm, v.timestamp);
      if (prev && !prev.deleted) this.emit('delete', { key, rawKey, owner: v.owner, timestamp: v.timestamp, source, peer: info } satisfies SyncDelete);
    } else {
      stored = this.table.put(key, v.value, v.owner, v.ownerForm, v.timestamp, v.valueBytes, v.hash);
      this.emit('update', { key, rawKey, value: v.value, owner: v.owner, timestamp: v.timestamp, source, peer: info } satisfies SyncUpdate);
    }
    return stored;
  }

  /**
   * A same-second takeover by a smaller ID (lease rule 5) may only pass a
   * replica that already holds the replaced version at that second (the
   * second step after a restamp, resolve.ts): where the replaced version is
   * still waiting to be sent, it is sent first.
   */
  private keepStepsInOrder(prev: Entry, next: RemoteVersion): void {
    if (prev.deleted || prev.owner === next.owner || prev.timestamp !== next.timestamp) return;
    for (const p of this.peers.values()) this.outboxes.get(p)?.pin(prev);
  }

  private countApplied(source: ChangeSource): void {
    const applied = this.syncCounters.applied;
    if (source === 'remote') applied.remote++;
    else if (source === 'initial-sync') applied.initialSync++;
    else if (source === 'anti-entropy') applied.antiEntropy++;
  }

  refused(r: SyncRefusal): void {
    if (r.kind === 'superseded') this.syncCounters.superseded++;
    else this.syncCounters.refused += r.count ?? 1;
    noteRefusal(this, r);
    this.emit('refused', r);
  }
}

/** A version of a key from a peer, checked and ready to store. */
export interface RemoteVersion {
  value: unknown;
  owner: string;
  ownerForm: IdForm;
  timestamp: number;
  deleted: boolean;
  /** The value's msgpack size (0 for a delete). */
  valueBytes: number;
  /** The value's hash when already computed. */
  hash?: Buffer;
}
