/**
 * ChordNode: a mesh node whose peers form a distributed dictionary
 * (PROTOCOL.md §15). With the originals it speaks their protocol exactly
 * (legacy.ts); among polyp2p nodes it runs a real DHT (overlay.ts: finger
 * table, successor lists, r replicas, acknowledged writes). Reads need three
 * of the five tables to agree in both cases (reads.ts).
 */
import { ClosedError, MemoryBudgetError, TimeoutError } from '../base/errors';
import { flags } from '../base/flags';
import { MeshNode } from '../mesh/mesh-node';
import type { IdForm, Peer } from '../mesh/peer';
import { ChordOptions, ResolvedChordOptions, resolveChordOptions } from './options';
import { ChordStore, type Version } from './store';
import type { RefusalCounts } from './budget';
import { Membership } from './ring';
import type { GossipStats } from './gossip-stats';
import { isMapping, keyBytes, slotsOf, type Slot } from './positions';
import { installLegacy, legacyStore, legacyDelta, sendMeta } from './legacy';
import { LegacyPending } from './legacy-pending';
import { installOverlay, Overlay } from './overlay';
import { handOverAllLegacy, mirrorToOriginals } from './legacy-handover';
import { readQuorum, type ReadOptions } from './reads';
import { KeySet } from './key-set';
import { LinkBudgets } from './link-budget';
import { assertValueFits, encodedSize } from './values';
import type { ChordEvents } from './events';
import { abortable, throwIfAborted, type AbortOptions } from '../base/abort';
import { checkOptions } from '../base/check-options';
import { chordOptionRules } from './option-rules';
import { notifyMessage } from './wire';
import { Notifier, waitUntil } from '../base/wait-until';

export type { ChordEvents, KeyEvent } from './events';
import type { MeshStats } from '../mesh/stats';

/** The chord section of a ChordNode's stats() (also chordStats()). */
export interface ChordStats {
  /** This node's ID (as stats().id). */
  id: string;
  /** This node stores data (it joined the table: the `join` option, join(); unjoin() ends it). */
  storing: boolean;
  /** 'overlay' among polyp2p nodes only; 'legacy' when an original stores data next to us. */
  mode: 'overlay' | 'legacy';
  /** The routing state kept (ChordOptions.overlay): 'log', a bounded view; 'full', the whole ring. */
  overlay: 'full' | 'log';
  /** Verified, live ring members in this node's view, itself included when it stores ('full': the whole ring; 'log': about log2 N). */
  ringSize: number;
  /** The IDs of this node's nearest successor and predecessor in its view (null when it knows none). */
  successor: string | null;
  predecessor: string | null;
  /** Distinct fingers (the nodes at or after self + 2^i) and successors this node keeps links to. */
  fingers: number;
  successors: number;
  /** Handshaked peers (as stats().peers). */
  connections: number;
  /** Live items held here, and how many of them are replicas (this node is not responsible). */
  items: number;
  replicas: number;
  /** Overlay lookups this node started among the last 1000 (a sliding window, not a running count), and their mean and largest hop counts. */
  lookups: number;
  meanHops: number;
  maxHops: number;
  /** Member-list gossip: what was sent, declared and refused (counts since the node started; `unverified` is current). */
  gossip: GossipStats;
  budget: BudgetStats;
  refused: ChordRefusals;
}

/** What ChordNode.stats() returns: the mesh's figures and the chord section. */
export interface ChordNodeStats extends MeshStats {
  chord: ChordStats;
}

/** What this node refused from peers besides its byte budgets (counts since it started). */
export interface ChordRefusals {
  /** Writes, copies and answers whose version was more than maxClockSkew ahead of this node's clock. */
  futureVersion: number;
  /** Replica copies from a peer that is not a plausible holder of them, past its link's share or for a slot already held. */
  unvouchedReplica: number;
  /** Notified keys not listed because keys() was at maxAnnouncedKeyBytes (or maxItems). */
  announcedKeys: number;
  /** Items or answers not sent to a peer because they are larger than it accepts. */
  tooLargeForPeer: number;
}

/** The store's byte budgets and what they refused (README "Chord table", options). */
export interface BudgetStats {
  /** Bytes charged for the items held (value msgpack size + 96 each), and the cap. */
  storeBytes: number;
  maxStoreBytes: number;
  /** Writes and copies refused, by the budget that refused them. */
  refused: RefusalCounts;
}

/** The typed events of a ChordNode (names and payloads: events.ts). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- narrows EventEmitter's inherited methods to the event map
export interface ChordNode {
  on<K extends keyof ChordEvents>(event: K, listener: (...args: ChordEvents[K]) => void): this;
  once<K extends keyof ChordEvents>(event: K, listener: (...args: ChordEvents[K]) => void): this;
  off<K extends keyof ChordEvents>(event: K, listener: (...args: ChordEvents[K]) => void): this;
  addListener<K extends keyof ChordEvents>(event: K, listener: (...args: ChordEvents[K]) => void): this;
  removeListener<K extends keyof ChordEvents>(event: K, listener: (...args: ChordEvents[K]) => void): this;
  prependListener<K extends keyof ChordEvents>(event: K, listener: (...args: ChordEvents[K]) => void): this;
  prependOnceListener<K extends keyof ChordEvents>(event: K, listener: (...args: ChordEvents[K]) => void): this;
  emit<K extends keyof ChordEvents>(event: K, ...args: ChordEvents[K]): boolean;
  listenerCount<K extends keyof ChordEvents>(event: K): number;
  removeAllListeners<K extends keyof ChordEvents>(event?: K): this;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class ChordNode extends MeshNode {
  readonly chord: ResolvedChordOptions;
  storing = false;
  /** @internal */
  readonly store: ChordStore;
  /** Peers known to store data (they sent meta "0"). @internal */
  readonly storingPeers = new WeakSet<Peer>();
  /** Keys heard of (own sets and notifies), by hex of their bytes. @internal */
  readonly keySet: KeySet;
  /** What links outside the ring may bring in (link-budget.ts). @internal */
  readonly links: LinkBudgets;
  /** @internal */
  readonly legacyPending = new LegacyPending();
  private _membership: Membership | null = null;
  /** @internal */
  overlay!: Overlay;
  /** @internal */
  readonly hops: number[] = [];
  /** @internal */
  readonly refusals: ChordRefusals = { futureVersion: 0, unvouchedReplica: 0, announcedKeys: 0, tooLargeForPeer: 0 };
  /**
   * @internal Told when the ring view or a peer's standing in it changed (its
   * membership, meta, pong, link gone) and when the node closes: what
   * settleView, a read waiting for copies and the demo wait on. One notifier,
   * not a listener per wait on the node's events.
   */
  readonly viewChanges = new Notifier();

  constructor(options: ChordOptions = {}) {
    checkOptions(options, chordOptionRules, { name: 'ChordOptions' });
    super({ ...options, subnet: options.subnet ?? 'chord' });
    this.chord = resolveChordOptions(options);
    this.store = new ChordStore(this.chord.tombstoneTtl, this.chord.maxItems, this.chord);
    this.keySet = new KeySet(this.chord.maxAnnouncedKeyBytes, this.chord.maxItems);
    this.links = new LinkBudgets(this.store.budget, this.chord.maxBytesPerLink);
    installLegacy(this);
    installOverlay(this);
    const viewChanged = () => this.viewChanges.notify();
    this.on('polyp2pPeer', viewChanged);
    this.on('peerLeft', viewChanged);
    this.on('listening', () => {
      if (this.chord.join) this.join();
    });
  }

  /**
   * A node that has just linked up has not heard its polyp2p peers' member
   * lists yet (they follow the capability ping), so it would take itself for
   * responsible for every key and answer "absent". Reads and writes wait until
   * every young link is known to be an original or has sent its list, at most
   * two stabilisation rounds. A node whose view already holds another ring
   * member never waits: otherwise any peer could stall every read and write of
   * it by opening a new connection each second and never answering its ping.
   */
  private async settleView(): Promise<void> {
    const limit = Date.now() + 2 * this.chord.stabilizeInterval;
    for (let until = this.unsettledUntil(); until && !this.closed && Date.now() < limit; until = this.unsettledUntil()) {
      await waitUntil(() => this.closed || !this.unsettledUntil(), [this.viewChanges.trigger], Math.min(until, limit) - Date.now());
    }
  }

  /** 0 when the view is settled (settleView), else when the links' ages alone would settle it. */
  private unsettledUntil(): number {
    if (this.membership.ring(false).length > 0) return 0;
    const now = Date.now();
    const youngFor = 2 * this.chord.stabilizeInterval;
    let until = 0;
    for (const p of this.peers.values()) {
      const opened = p.conn.openedAt;
      if (now - opened >= youngFor) continue;
      let due = 0;
      if (!p.answersPings && now - opened < 1000)
        due = opened + Math.min(1000, youngFor); // pong still due
      else if (p.answersPings && this.isStoring(p) && p.id && !this.membership.members.get(p.id)?.verified) due = opened + youngFor; // its list still due
      if (due) until = until ? Math.min(until, due) : due;
    }
    return until;
  }

  /** @internal */
  get membership(): Membership {
    if (!this._membership || this._membership.selfId !== this.id) {
      this._membership = new Membership(this.id, this.overlay.selfPos(), () => this.viewChanges.notify());
      this._membership.passOnVerified = !this.overlay.log;
    }
    return this._membership;
  }

  /** @internal */
  isStoring(peer: Peer): boolean {
    return this.storingPeers.has(peer);
  }

  /**
   * Nodes this node chose to link to: through the user's connect() and the
   * overlay's dials to members it verified; with its fingers and near
   * successors (overlay.keeps), their member lists vouch for the members they
   * name (gossip.ts), over whichever of two links to them survives. Nodes
   * reached by following a peer list (the mesh passes refusedRetries 0 for
   * those), or that linked to us for their own reasons, only introduce.
   */
  private readonly chosenIds = new Set<string>();

  /** Addresses the user connected to (at most 16, newest last): a 'log' node cut off from the ring dials them again. */
  private readonly bootstraps: [string, number][] = [];

  /** @internal */
  bootstrapAddresses(): readonly [string, number][] {
    return this.bootstraps;
  }

  override connect(host: string, port: number, options: { id?: string; idForm?: IdForm; refusedRetries?: number } = {}): Promise<Peer> {
    const opened = super.connect(host, port, options);
    if (options.refusedRetries !== 0) {
      if (!options.id && !this.bootstraps.some(([h, p]) => h === host && p === port)) {
        this.bootstraps.push([host, port]);
        if (this.bootstraps.length > 16) this.bootstraps.shift();
      }
      opened.then(
        (p) => {
          if (!p.id) return;
          this.chosenIds.add(p.id);
          if (this.membership.vouchedBy(p.id)) this.overlay.changed();
        },
        () => undefined,
      );
    }
    return opened;
  }

  /** This node chose to link to the peer's node (see chosenIds), or keeps the link as a finger or successor. @internal */
  isChosen(peer: Peer): boolean {
    return !!peer.id && (this.chosenIds.has(peer.id) || this.overlay.keeps(peer.id));
  }

  /** Forget chosen nodes that are neither linked nor members any more (bounded by the view and the links). @internal */
  forgetChosen(): void {
    for (const id of this.chosenIds) if (!this.peers.has(id) && !this.membership.members.has(id)) this.chosenIds.delete(id);
  }

  /** The budget account of one link (one connection: a reconnect is a new link). @internal */
  linkAccount(peer: Peer): string {
    return this.links.accountOf(peer);
  }

  /** The peer is a live, storing, verified member of this node's ring: what it routes to us the ring vouches for. @internal */
  isRingLink(peer: Peer): boolean {
    return !!peer.id && this.membership.liveMember(peer.id) !== undefined;
  }

  /**
   * 'overlay' whenever this node's ring view holds another live polyp2p member
   * it verified (ring.ts): its own reads and writes then go through the
   * overlay, and originals next to it are served with the legacy protocol
   * (their stores and retrieves routed through the overlay, writes mirrored to
   * them: legacy-handover.ts). 'legacy' when it knows no polyp2p ring, i.e. its
   * data-storing neighbours, if any, speak only the originals' protocol. A peer
   * that merely claims to store data (meta "0") therefore cannot take the
   * reads and writes of a node that is part of a polyp2p ring.
   */
  get mode(): 'overlay' | 'legacy' {
    return this.membership.ring(false).length > 0 ? 'overlay' : 'legacy';
  }

  // --- membership in the table ------------------------------------------------

  /** Become data-storing and tell every peer (meta "0"). */
  join(): void {
    if (this.closed || this.storing) return;
    this.storing = true;
    for (const p of this.peers.values()) {
      sendMeta(this, p);
      this.sendPeers(p);
    }
    this.overlay.changed();
  }

  /** Stop storing: hand every item to the nodes now responsible, then clear the local tables. */
  async unjoin(options: AbortOptions = {}): Promise<void> {
    throwIfAborted(options.signal, 'unjoin()'); // a signal that already fired starts nothing
    return abortable(this.handOverAndClear(), options.signal, 'unjoin()');
  }

  private async handOverAndClear(): Promise<void> {
    if (!this.storing || this.closed) return;
    this.storing = false;
    for (const p of this.peers.values()) sendMeta(this, p);
    if (this.mode === 'overlay') await this.overlay.handOverAll();
    else await handOverAllLegacy(this);
    this.store.clear();
  }

  // --- dictionary API ----------------------------------------------------------

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError('this chord node was closed');
  }

  /**
   * Store `value` under `key` in all five tables; resolves once the responsible nodes stored it.
   * An aborted set may still be stored: the signal stops the wait, not the messages already sent.
   */
  async set(key: string | Uint8Array, value: unknown, options: AbortOptions = {}): Promise<void> {
    this.ensureOpen();
    throwIfAborted(options.signal, 'set()');
    if (value === undefined || value === null) throw new TypeError('chord values cannot be null or undefined (nil means "delete" on the wire); use delete()');
    const bytes = keyBytes(key);
    this.checkValue(value);
    await abortable(this.write(slotsOf(bytes), value, this.chord.timeout), options.signal, 'set()');
    this.announce(bytes, false);
  }

  /** Remove `key` from all five tables (an aborted delete may still happen, as an aborted set). */
  async delete(key: string | Uint8Array, options: AbortOptions = {}): Promise<void> {
    this.ensureOpen();
    throwIfAborted(options.signal, 'delete()');
    const bytes = keyBytes(key);
    await abortable(this.write(slotsOf(bytes), undefined, this.chord.timeout), options.signal, 'delete()');
    this.announce(bytes, true);
  }

  /** Value of `key` agreed by three of the five tables. Rejects with NotFoundError, QuorumError or TimeoutError. */
  async get(key: string | Uint8Array, options: ReadOptions = {}): Promise<unknown> {
    this.ensureOpen();
    throwIfAborted(options.signal, 'get()');
    const read = this.settleView().then(() => readQuorum(this, slotsOf(keyBytes(key)), { timeout: this.chord.timeout, ...options }));
    return abortable(read, options.signal, 'get()');
  }

  /** Like get(), but resolves with `fallback` when the key is missing or the read fails. */
  async getOr<T>(key: string | Uint8Array, fallback: T, options: ReadOptions = {}): Promise<unknown> {
    try {
      return await this.get(key, options);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_CLOSED' || code === 'ABORT_ERR') throw e;
      return fallback;
    }
  }

  /** Merge `delta`'s entries into the mapping stored at `key` (created when absent). Resolves with the merged mapping. */
  async applyDelta(key: string | Uint8Array, delta: Record<string, unknown>, options: AbortOptions = {}): Promise<Record<string, unknown>> {
    this.ensureOpen();
    throwIfAborted(options.signal, 'applyDelta()');
    if (!isMapping(delta)) throw new TypeError('a delta must be a plain object');
    const bytes = keyBytes(key);
    this.checkValue(delta);
    const current = await this.getOr(bytes, undefined, { signal: options.signal });
    if (current !== undefined && !isMapping(current)) throw new TypeError('this key holds a value that is not a mapping');
    const slots = slotsOf(bytes);
    if (this.mode === 'overlay') {
      await abortable(this.overlay.requests.writeAll(slots, 'delta', delta, this.chord.timeout), options.signal, 'applyDelta()');
      mirrorToOriginals(this, slots, delta, true);
    } else this.legacyWriteDone(slots.map((s) => legacyDelta(this, s.table, s.pos, delta)));
    this.announce(bytes, false);
    return { ...((current as Record<string, unknown>) ?? {}), ...delta };
  }

  /** Keys this node has heard of (its own sets and other nodes' notifies). */
  keys(): Buffer[] {
    return [...this.keySet.values()];
  }

  /**
   * Refuse, before anything is sent or stored, a value msgpack cannot carry
   * (MsgpackEncodeError) or one whose message is larger than this node or a
   * data-storing peer accepts (MessageTooLargeError). Returns its msgpack size.
   */
  private checkValue(value: unknown): number {
    const size = encodedSize(value);
    let limit = this.bodyLimit;
    let who = 'this node (maxFrameSize / maxDecompressedSize)';
    for (const p of this.peers.values()) {
      if (!this.isStoring(p) || this.bodyLimitFor(p) >= limit) continue;
      limit = this.bodyLimitFor(p);
      who = p.describe();
    }
    assertValueFits(size, limit, who);
    return size;
  }

  private async write(slots: Slot[], value: unknown, timeout: number): Promise<void> {
    await this.settleView();
    if (this.mode === 'overlay') {
      await this.overlay.requests.writeAll(slots, 'put', value, timeout);
      mirrorToOriginals(this, slots, value, false);
      return;
    }
    this.legacyWriteDone(slots.map((s) => legacyStore(this, s.table, s.pos, value)));
  }

  /** A legacy write is fire-and-forget, except where this node stores it: refused here in three tables, it failed. */
  private legacyWriteDone(results: string[]): void {
    const refused = results.filter((r) => r !== 'stored' && r !== 'stale' && r !== 'sent').length;
    if (refused > results.length - 3) {
      throw new MemoryBudgetError(
        `this node refused the write in ${refused} of the five tables: its store is over a byte budget (${this.store.bytes} of maxStoreBytes ${this.chord.maxStoreBytes}, or the writer's share maxBytesPerWriter); delete keys or raise the budget`,
      );
    }
  }

  /** Notify the network of an added / deleted key (§15.4), as a bin key like both originals. */
  private announce(bytes: Buffer, deleted: boolean): void {
    const hex = bytes.toString('hex');
    const tell = this.chord.announceKeys && this.peers.size > 0;
    if (!deleted && !this.keySet.has(hex)) {
      this.keySet.addOwn(hex, Buffer.from(bytes));
      if (tell) this.sendAll(flags.broadcast, notifyMessage(bytes, false));
    } else if (deleted && this.keySet.has(hex)) {
      this.keySet.delete(hex);
      if (tell) this.sendAll(flags.broadcast, notifyMessage(bytes, true));
    }
  }

  /** @internal */
  newVersion(): Version {
    return [Date.now(), this.id];
  }

  /** @internal */
  recordHops(h: number): void {
    this.hops.push(h);
    if (this.hops.length > 1000) this.hops.shift();
  }

  /** The mesh's figures (MeshStats) and the chord section, under `chord` (docs/observability.md). */
  override stats(): ChordNodeStats {
    return { ...super.stats(), chord: this.chordStats() };
  }

  /** The chord section of stats() alone. */
  chordStats(): ChordStats {
    const ring = this.membership.ring(this.storing);
    let items = 0;
    let replicas = 0;
    for (const it of this.store.all()) {
      if (it.value === undefined) continue;
      items++;
      const set = Membership.replicaSet(ring, it.pos, 1);
      if (set.length && set[0].id !== this.id) replicas++;
    }
    const sum = this.hops.reduce((a, b) => a + b, 0);
    return {
      id: this.id,
      storing: this.storing,
      mode: this.mode,
      overlay: this.chord.overlay,
      ringSize: ring.length,
      successor: this.overlay.successors[0]?.id ?? null,
      predecessor: this.overlay.predecessors[0]?.id ?? null,
      fingers: this.overlay.fingers.length,
      successors: this.overlay.successors.length,
      connections: this.peers.size,
      items,
      replicas,
      lookups: this.hops.length,
      meanHops: this.hops.length ? sum / this.hops.length : 0,
      maxHops: this.hops.length ? Math.max(...this.hops) : 0,
      gossip: { ...this.overlay.gossip.stats },
      budget: { storeBytes: this.store.bytes, maxStoreBytes: this.chord.maxStoreBytes, refused: { ...this.store.budget.refused } },
      refused: { ...this.refusals },
    };
  }

  /** Close. By default a data-storing node first hands its items over (like unjoin); `{ leave: false }` just drops off. */
  async close(options: { leave?: boolean } & AbortOptions = {}): Promise<void> {
    if (this.closed) return;
    if (options.leave !== false && this.storing) {
      // an abort cuts the hand-over short; the close itself still happens, then rejects
      const handOver = abortable(this.handOverAndClear(), options.signal, 'close()').catch(() => {});
      await Promise.race([handOver, new Promise((r) => setTimeout(r, this.chord.timeout).unref())]);
    }
    this.overlay.stop();
    this.legacyPending.clear();
    const closing = super.close(options);
    this.viewChanges.notify(); // `closed` is set: waits end
    await closing;
  }
}

export { TimeoutError };
