/**
 * js2p-shaped chord module (shared/JS2P_API.md §5): `new ChordSocket(addr,
 * port, protocol, out_addr, debug_level)` over polyp2p's ChordNode. Keeps the
 * call shapes and fixes js2p's bugs (§9): get() resolves with the fallback on
 * a miss or timeout, delete notifies are sent and handled, keys() lists each
 * key once, unjoin() hands data over, copy() waits for every read, reads need
 * three agreeing tables (not two).
 */
import bigInt = require('big-integer');
import { MeshSocket, outgoingSetting } from './mesh';
import { Protocol } from './base';
import type { MeshNode } from '../mesh/mesh-node';
import type { MeshOptions } from '../mesh/options';
import { Peer } from '../mesh/peer';
import { ChordNode, type KeyEvent } from '../chord/chord-node';
import type { ChordOptions } from '../chord/options';
import { sendMeta } from '../chord/legacy';
import { legacyFind, legacyFindPrev } from '../chord/legacy-find';
import { TABLES, ringDistance, type TableName } from '../chord/positions';
import { core } from '../native';

export const default_protocol = new Protocol('chord', 'Plaintext');
export const limit = bigInt(2).pow(384);
/** Module-wide, as in js2p: programs assign `chord.max_outgoing = n`; read when a socket is created. */
export const max_outgoing = 4;

export function distance(a: unknown, b: unknown, lim: unknown = limit): bigInt.BigInteger {
  const raw = bigInt(String(b)).minus(bigInt(String(a)));
  const l = bigInt(String(lim));
  return raw.mod(l).plus(l).mod(l);
}

export function get_hashes(key: unknown): bigInt.BigInteger[] {
  return core.chordPositions(compatKey(key)).map((n) => bigInt(n.toString()));
}

/** js2p converts keys with `new Buffer(key)`. */
function compatKey(key: unknown): Buffer {
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  if (key instanceof Uint8Array) return Buffer.from(key);
  if (Array.isArray(key)) return Buffer.from(key as number[]);
  return Buffer.from(String(key), 'utf8');
}

/** A ring position as js2p programs hold one (big-integer, bigint, number or decimal text). */
type PositionLike = bigInt.BigInteger | bigint | number | string;

const toPosition = (p: PositionLike): bigint => BigInt(p.toString());

/** What js2p's find() gives: the socket itself, a connection, or null. */
type Holder = ChordSocket | ChordConnection | null;

/**
 * js2p's ChordConnection: a connection that also says whether the peer stores
 * data (`leeching`) and where it sits on the ring (`id_10`). A ChordSocket's
 * routing table holds these.
 */
export class ChordConnection extends Peer {
  /** The peer stores no data (it has not joined, or is not a chord node). */
  get leeching(): boolean {
    return !(this.node as ChordNode).isStoring(this);
  }

  /** The peer's ID as a ring position (big-integer); null before its handshake. */
  get id_10(): bigInt.BigInteger | null {
    return this.id ? bigInt(core.base58DecodeInt(this.id).toString()) : null;
  }
}

export class ChordSocket extends MeshSocket {
  declare readonly node: ChordNode;
  /** As js2p's: the 'connect' event waits for the first data-storing peer, not the first handshake. */
  readonly connect_override = true;

  constructor(addr: string, port: number, protocol?: Protocol | null | false, out_addr?: [string, number], debug_level = 0, extra: ChordOptions = {}) {
    super(addr, port, protocol || default_protocol, out_addr, debug_level, { join: false, ...extra });
    // js2p's 'connect' fires when the first data-storing peer appears, not on the first handshake.
    this.node.removeAllListeners('connect');
    let first = true;
    this.node.on('storingPeer', () => {
      if (first) {
        first = false;
        this.emit('connect', this);
      }
    });
    this.node.on('add', (e: KeyEvent) => this.emit('add', this, e.key));
    this.node.on('delete', (e: KeyEvent) => this.emit('delete', this, e.key));
  }

  protected createNode(options: MeshOptions): MeshNode {
    const node = new ChordNode(options);
    node.peerClass = ChordConnection;
    return node;
  }

  protected maxOutgoingSetting(): number {
    return outgoingSetting(module.exports as Record<string, unknown>, 'chord');
  }

  get leeching(): boolean {
    return !this.node.storing;
  }

  get id_10(): bigInt.BigInteger {
    return bigInt(core.base58DecodeInt(this.id).toString());
  }

  /** Start storing data (sends meta "0" to every peer). */
  join(): void {
    if (this.node.id) this.node.join();
    else
      this.ready.then(
        () => this.node.join(),
        () => {}, // not listening: the error is in `status` and `ready`
      );
  }

  /** Stop storing; items are handed to the nodes now responsible. Returns a promise (js2p returned nothing). */
  unjoin(): Promise<void> {
    return this.ready.then(() => this.node.unjoin());
  }

  get data_storing(): Peer[] {
    return [...this.node.peers.values()].filter((p) => this.node.isStoring(p));
  }

  /**
   * The items this node holds, as js2p's `data`: `{sha1: {position: value},
   * …}` with decimal positions, deleted items left out. Built when read, so it
   * is always current (and costs a pass over the store: read it once, not in
   * a loop); writing to it changes nothing.
   */
  get data(): Record<TableName, Record<string, unknown>> {
    return this.itemsWhere(() => true);
  }

  /** The items whose position is closer to `start` than to `end` going round the ring (js2p's `dump_data`). */
  dump_data(start: PositionLike, end: PositionLike): Record<TableName, Record<string, unknown>> {
    const [s, e] = [toPosition(start), toPosition(end)];
    return this.itemsWhere((pos) => ringDistance(s, pos) < ringDistance(e, pos));
  }

  private itemsWhere(keep: (pos: bigint) => boolean): Record<TableName, Record<string, unknown>> {
    const out = Object.fromEntries(TABLES.map((t) => [t, {}])) as Record<TableName, Record<string, unknown>>;
    for (const item of this.node.store.all()) if (item.value !== undefined && keep(item.pos)) out[item.table][item.pos.toString()] = item.value;
    return out;
  }

  /** The data-storing node responsible for `position`: closest at or before it (this socket, a connection, or null). */
  find(position: PositionLike): Holder {
    return this.holder(legacyFind(this.node, toPosition(position)));
  }

  /** The data-storing node closest at or after `position`. */
  find_prev(position: PositionLike): Holder {
    return this.holder(legacyFindPrev(this.node, toPosition(position)));
  }

  /** The data-storing node just before this one on the ring. */
  get next(): Holder {
    return this.find(this.id_10.minus(1));
  }

  /** The data-storing node just after this one on the ring. */
  get prev(): Holder {
    return this.find_prev(this.id_10.plus(1));
  }

  private holder(at: 'self' | Peer | null): Holder {
    return at === 'self' ? this : (at as ChordConnection | null);
  }

  /** Tell `conn` whether this node stores data (the meta whisper, [0x05, '0' | '1']). */
  _send_meta(conn: Peer): void {
    sendMeta(this.node, conn);
  }

  /**
   * Close the outgoing data-storing connection whose neighbours on the ring
   * are closest together (it adds least to the ring), as the originals meant
   * to; returns it, or null when there is none to close (fewer than three
   * data-storing peers, or no outgoing one in a gap). js2p's always threw.
   */
  disconnect_least_efficient(): ChordConnection | null {
    const ring = this.data_storing
      .filter((p): p is Peer & { id: string } => !!p.id)
      .map((peer) => ({ peer, at: core.base58DecodeInt(peer.id) }))
      .sort((a, b) => (a.at < b.at ? -1 : 1));
    if (ring.length < 3) return null;
    let narrowest: Peer | null = null;
    let gap = 0n;
    for (let i = 0; i < ring.length; i++) {
      const [before, mid, after] = [ring[i], ring[(i + 1) % ring.length], ring[(i + 2) % ring.length]];
      const d = ringDistance(before.at, after.at);
      if (mid.peer.outgoing && (narrowest === null || d < gap)) [narrowest, gap] = [mid.peer, d];
    }
    narrowest?.close();
    return narrowest as ChordConnection | null;
  }

  /** Value agreed by three tables; `fallback` on a miss or timeout (seconds, default 10). */
  get(key: unknown, fallback?: unknown, timeout?: number): Promise<unknown> {
    const opts = typeof timeout === 'number' && timeout > 0 ? { timeout: timeout * 1000 } : {};
    return this.ready.then(() => this.node.getOr(compatKey(key), fallback, opts));
  }

  /** Rejects on a miss or timeout, as js2p's get() did. */
  get_no_fallback(key: unknown, timeout?: number): Promise<unknown> {
    const opts = typeof timeout === 'number' && timeout > 0 ? { timeout: timeout * 1000 } : {};
    return this.ready.then(() => this.node.get(compatKey(key), opts));
  }

  /** Store in all five tables (returns at once, as js2p; the write completes in the background). */
  set(key: unknown, value: unknown): Promise<void> {
    const k = compatKey(key);
    const p = this.ready.then(() => (value === null || value === undefined ? this.node.delete(k) : this.node.set(k, value)));
    p.catch((e: Error) => this.noteError(e));
    return p;
  }

  del(key: unknown): Promise<void> {
    return this.set(key, null);
  }

  update(obj: Record<string, unknown>): void {
    for (const k of Object.keys(obj)) void this.set(k, obj[k]);
  }

  apply_delta(key: unknown, delta: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.ready.then(() => this.node.applyDelta(compatKey(key), delta));
  }

  *keys(): Generator<Buffer> {
    yield* this.node.keys();
  }

  *values(): Generator<Promise<unknown>> {
    for (const k of this.node.keys()) yield this.get(k);
  }

  *items(): Generator<[Buffer, Promise<unknown>]> {
    for (const k of this.node.keys()) yield [k, this.get(k)];
  }

  pop(key: unknown, fallback?: unknown): Promise<unknown> {
    return this.get(key, fallback).then(async (v) => {
      if (v !== fallback) await this.del(key);
      return v;
    });
  }

  popitem(): [Buffer, Promise<unknown>] | undefined {
    for (const k of this.node.keys()) return [k, this.pop(k)];
    return undefined;
  }

  /** Object of every known key's value; resolves when all reads settled. */
  async copy(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const missing = Symbol('missing');
    await Promise.all(
      this.node.keys().map(async (k) => {
        const v = await this.get(k, missing);
        if (v !== missing) out[k.toString('utf8')] = v;
      }),
    );
    return out;
  }

  /** Close; a data-storing socket hands its items over first. */
  close(): Promise<void> {
    return this.ready.then(
      () => this.node.close(),
      () => this.node.close(),
    );
  }
}
