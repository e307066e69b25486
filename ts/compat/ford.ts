/**
 * js2p's experimental ford module (shared/JS2P_API.md §6, docs/protocol.md
 * §16.1): a mesh socket that learns paths to nodes it is not linked to and
 * sends to them hop by hop. Neighbours advertise their routes as
 * `[0x0F, {dest: [hop, …, dest]}]` (each path starting with the sender);
 * shorter paths replace longer ones and are advertised on; paths through a
 * lost neighbour are revoked with `[0x10, {dest: path}]`; `sendTo(dest, …)`
 * sends `[0x0E, dest, type, …data]` to the first hop, and the hop before the
 * destination strips the wrapper.
 *
 * What js2p left open is bounded here, against peers that lie:
 * - routes kept: `maxRoutes`, at most half of them through one neighbour;
 *   direct neighbours always have a route (sendTo and forwards prefer the
 *   link itself); hops per path: `maxPathLength`; IDs at most 128 characters;
 * - a path must start at the neighbour that sent it and must not pass
 *   through this node;
 * - a new link gets the whole table, in pieces it accepts; after that only
 *   changes are advertised, at most every `ADVERTISE_MS`, so a peer cannot
 *   make a node send its table to everyone again and again;
 * - a forward carries a whisper or broadcast (never a link-level message the
 *   last hop would send as its own), its time must be within the duplicate
 *   window, and it is passed on once: a loop in the routes cannot keep it
 *   circling;
 * - revokes travel on: js2p's used the literal key `_id` and compared paths
 *   by reference, so it never removed anything; here a neighbour's revoke
 *   removes the routes through it and is passed to the others.
 */
import type { MeshNode } from '../mesh/mesh-node';
import type { MeshOptions } from '../mesh/options';
import { Peer } from '../mesh/peer';
import { checkOptions, type OptionRules } from '../base/check-options';
import { positiveCount } from '../base/option-rules';
import { meshOptionRules } from '../mesh/option-rules';
import { flags } from '../base/flags';
import { nowSeconds } from '../base/ids';
import { NotConnectedError } from '../base/errors';
import { Protocol } from './base';
import { MeshSocket, outgoingSetting } from './mesh';
import type { Message } from './internal-message';

/** Module-wide, as in js2p: programs assign `ford.max_outgoing = n`; read when a socket is created. */
export const max_outgoing = 4;
export const default_protocol = new Protocol('ford', 'Plaintext');

/** Longest node ID taken in a route (a base58 SHA-384 is about 66 characters). */
const MAX_ID = 128;
/** Route advertisements are sent at most this often (ms), changes since the last one together. */
const ADVERTISE_MS = 200;

export interface FordOptions extends MeshOptions {
  /** Destinations kept in `routes` (default 1 024); routes beyond it are not learnt. */
  maxRoutes?: number;
  /** Hops in a path (default 16); longer paths are not learnt. */
  maxPathLength?: number;
}

/** What FordOptions may hold: the mesh's options and ford's two bounds, each at least 1. */
const fordOptionRules: OptionRules<FordOptions> = { ...meshOptionRules, maxRoutes: positiveCount, maxPathLength: positiveCount };

/** js2p's FordConnection: the connections of a FordSocket. */
export class FordConnection extends Peer {}

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;

type RouteTable = Record<string, string[]>;
const newTable = (): RouteTable => Object.create(null) as RouteTable;

export class FordSocket extends MeshSocket {
  /** Destination ID -> the path to it: [first hop, …, destination]; this node's own entry is []. */
  readonly routes: RouteTable = newTable();
  private routeCount = 0;
  /** Routes learnt through each neighbour (by its ID). */
  private readonly viaCount = new Map<string, number>();
  private readonly maxRoutes: number;
  private readonly maxPathLength: number;
  /** Destinations whose route changed since the last advertisement. */
  private changed = new Set<string>();
  private advertiseTimer: NodeJS.Timeout | null = null;

  constructor(addr: string, port: number, protocol?: Protocol | null | false, out_addr?: [string, number], debug_level = 0, extra: FordOptions = {}) {
    checkOptions(extra, fordOptionRules, { name: 'FordOptions' });
    const { maxRoutes = 1024, maxPathLength = 16, ...mesh } = extra;
    super(addr, port, protocol || default_protocol, out_addr, debug_level, mesh);
    this.maxRoutes = maxRoutes;
    this.maxPathLength = maxPathLength;
    // never taken from a broadcast; handleFord (in the js2p handler chain) handles them, so these handlers pass them on
    for (const f of [flags.new_paths, flags.revoke_paths, flags.forward]) this.node.addHandler(f, () => false, { linkOnly: true });
    void this.ready.then(
      () => (this.routes[this.id] = []),
      () => {},
    );
    this.node.on('peer', (peer: Peer) => this.linked(peer));
    this.node.on('peerLeft', (peer: Peer) => this.forgetVia(peer));
    this.register_handler((msg, conn) => this.handleFord(msg, conn));
  }

  protected createNode(options: MeshOptions): MeshNode {
    const node = super.createNode(options);
    node.peerClass = FordConnection;
    return node;
  }

  protected maxOutgoingSetting(): number {
    return outgoingSetting(module.exports as Record<string, unknown>, 'ford');
  }

  /**
   * Send `[type, …packets]` to `dest`: over the link when it is a neighbour,
   * else wrapped in a forward to the first hop of its route. Throws
   * NotConnectedError when no route is known. Ford carries whispers: `flag`
   * other than whisper is a TypeError (a broadcast would flood the network).
   */
  sendTo(dest: string, packets: unknown[], flag: number = flags.whisper, type: number = flags.whisper): void {
    if (flag !== flags.whisper) throw new TypeError(`ford sends whispers (flag ${flags.whisper}); use send() to broadcast`);
    const direct = this.node.peers.get(String(dest));
    if (direct) return this.node.sendToPeer(direct, flag, [type, ...packets]);
    const path = this.routes[String(dest)];
    const hop = path?.length ? this.node.peers.get(path[0]) : undefined;
    if (!hop) throw new NotConnectedError(`no route to ${String(dest)} (routes are learnt from neighbours' advertisements; connect to a node that has one)`);
    this.node.sendToPeer(hop, flag, [flags.forward, dest, type, ...packets]);
  }

  /** Send this node's routes to `conn`, each path prefixed with this node's ID (js2p's `_send_paths`). */
  _send_paths(conn: Peer): void {
    this.advertise(conn, Object.keys(this.routes));
  }

  private linked(peer: Peer): void {
    if (peer.id) this.learnRoute(peer.id, [peer.id]);
    this.advertise(peer, Object.keys(this.routes));
  }

  /**
   * Advertise the routes to `dests` to `peer` in pieces it accepts; a peer
   * whose link fails is that link's problem, never the node's.
   */
  private advertise(peer: Peer, dests: Iterable<string>): void {
    if (!this.id || peer.conn.closed) return;
    const room = this.node.bodyLimitFor(peer) - 1024;
    let piece = newTable();
    let bytes = 0;
    const flush = () => {
      if (bytes) this.sendSafely(peer, [flags.new_paths, piece]);
      piece = newTable();
      bytes = 0;
    };
    for (const dest of dests) {
      const path = this.routes[dest];
      if (!path) continue;
      const full = [this.id, ...path];
      const size = 8 + Buffer.byteLength(dest) + full.reduce((n, hop) => n + 3 + Buffer.byteLength(hop), 0);
      if (bytes + size > room) flush();
      piece[dest] = full;
      bytes += size;
    }
    flush();
  }

  private sendSafely(peer: Peer, payload: unknown[]): void {
    try {
      this.node.sendToPeer(peer, flags.whisper, payload);
    } catch (e) {
      this.node.reportError(e as Error, peer);
    }
  }

  private handleFord(msg: Message, conn: Peer): boolean | undefined {
    const p = msg.packets;
    if (p[0] === flags.new_paths) return this.learn(p[1], conn);
    if (p[0] === flags.revoke_paths) return this.revoke(p[1], conn);
    if (p[0] === flags.forward) return this.forward(msg, p);
    return undefined;
  }

  /** Take the shorter paths a neighbour advertises (only paths that start at it and avoid this node). */
  private learn(table: unknown, from: Peer): true {
    if (!table || typeof table !== 'object' || Array.isArray(table) || !from.id) return true;
    for (const [dest, path] of Object.entries(table as Record<string, unknown>)) {
      if (this.usablePath(dest, path, from.id)) this.learnRoute(dest, path);
    }
    return true;
  }

  private learnRoute(dest: string, path: string[]): void {
    const known = this.routes[dest];
    if (known && known.length <= path.length) return;
    if (!known && this.routeCount >= this.maxRoutes && path.length > 1) return;
    // one neighbour fills at most half of the table (a direct neighbour's own route always fits)
    if (path.length > 1 && (this.viaCount.get(path[0]) ?? 0) >= Math.ceil(this.maxRoutes / 2)) return;
    if (known) this.countVia(known[0], -1);
    else this.routeCount++;
    this.routes[dest] = path.slice();
    this.countVia(path[0], 1);
    this.scheduleAdvertise(dest);
  }

  private dropRoute(dest: string): void {
    const path = this.routes[dest];
    if (!path) return;
    delete this.routes[dest];
    this.routeCount--;
    this.countVia(path[0], -1);
  }

  private countVia(hop: string | undefined, by: number): void {
    if (hop === undefined) return;
    const n = (this.viaCount.get(hop) ?? 0) + by;
    if (n > 0) this.viaCount.set(hop, n);
    else this.viaCount.delete(hop);
  }

  private usablePath(dest: string, path: unknown, via: string): path is string[] {
    return (
      isId(dest) &&
      dest !== this.id &&
      Array.isArray(path) &&
      path.length >= 1 &&
      path.length <= this.maxPathLength &&
      path[0] === via &&
      path[path.length - 1] === dest &&
      path.every((hop) => isId(hop) && hop !== this.id)
    );
  }

  /** A neighbour revoked paths: the routes this node had through it go, and the others hear of it. */
  private revoke(table: unknown, from: Peer): true {
    if (!table || typeof table !== 'object' || Array.isArray(table) || !from.id) return true;
    // a neighbour cannot revoke the link to itself or to another neighbour: those routes are the links
    const dests = Object.keys(table as Record<string, unknown>).filter((dest) => dest !== this.id && this.routes[dest]?.[0] === from.id && !this.node.peers.has(dest));
    this.revokeRoutes(dests, from);
    return true;
  }

  /** A neighbour is gone: drop the routes through it and tell the others. */
  private forgetVia(peer: Peer): void {
    if (!peer.id) return;
    this.revokeRoutes(
      Object.keys(this.routes).filter((dest) => this.routes[dest][0] === peer.id),
      peer,
    );
  }

  private revokeRoutes(dests: string[], via: Peer): void {
    if (!dests.length) return;
    const revoked = newTable();
    for (const dest of dests) {
      revoked[dest] = [this.id, ...this.routes[dest]];
      this.dropRoute(dest);
    }
    for (const p of this.node.peers.values()) if (p !== via) this.sendSafely(p, [flags.revoke_paths, revoked]);
  }

  /**
   * Pass a forward on, once: to the destination without the wrapper, or to
   * the next hop. Only whispers and broadcasts travel, with a time within the
   * duplicate window, always as whispers.
   */
  private forward(msg: Message, p: unknown[]): true {
    const [, dest, type] = p;
    if (!isId(dest) || dest === this.id || (type !== flags.whisper && type !== flags.broadcast)) return true;
    const now = nowSeconds();
    const window = this.node.options.dedupWindow;
    if (typeof msg.time !== 'number' || Math.abs(msg.time - now) > window) return true;
    const path = this.routes[dest];
    const hop = this.node.peers.get(dest) ?? (path?.length ? this.node.peers.get(path[0]) : undefined);
    if (!hop || this.node.seen.seen(msg.id, msg.time, now)) return true;
    const payload = hop.id === dest ? p.slice(2) : p;
    try {
      this.node.sendToPeer(hop, flags.whisper, payload, String(msg.sender), msg.time);
    } catch (e) {
      this.node.reportError(e as Error, hop);
    }
    return true;
  }

  private scheduleAdvertise(dest: string): void {
    this.changed.add(dest);
    if (this.advertiseTimer) return;
    this.advertiseTimer = setTimeout(() => {
      this.advertiseTimer = null;
      const dests = [...this.changed];
      this.changed = new Set();
      for (const peer of this.node.peers.values()) this.advertise(peer, dests);
    }, ADVERTISE_MS);
    this.advertiseTimer.unref?.();
  }

  private stopAdvertising(): void {
    if (this.advertiseTimer) clearTimeout(this.advertiseTimer);
    this.advertiseTimer = null;
  }

  /** Close; no more advertisements go out. */
  close(): Promise<void> {
    this.stopAdvertising();
    return super.close();
  }
}
