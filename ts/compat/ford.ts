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
 * What js2p left open is bounded here: routes kept (`maxRoutes`), hops per
 * path (`maxPathLength`), IDs at most 128 characters, a path must start at the
 * neighbour that sent it and must not pass through this node; advertising is
 * coalesced to once per `ADVERTISE_MS`, so one message cannot make a node
 * send its table to every peer again and again; a forwarded message is
 * passed on once (a loop in the routes cannot keep it circling). js2p's
 * revoke used the literal key `_id` and compared paths by reference, so it
 * never removed anything: here it removes the routes through the sender.
 */
import type { MeshNode } from '../mesh/mesh-node';
import type { MeshOptions } from '../mesh/options';
import { Peer } from '../mesh/peer';
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

/** js2p's FordConnection: the connections of a FordSocket. */
export class FordConnection extends Peer {}

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;

export class FordSocket extends MeshSocket {
  /** Destination ID -> the path to it: [first hop, …, destination]; this node's own entry is []. */
  readonly routes: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  private readonly maxRoutes: number;
  private readonly maxPathLength: number;
  private advertiseTimer: NodeJS.Timeout | null = null;

  constructor(addr: string, port: number, protocol?: Protocol | null | false, out_addr?: [string, number], debug_level = 0, extra: FordOptions = {}) {
    const { maxRoutes = 1024, maxPathLength = 16, ...mesh } = extra;
    super(addr, port, protocol || default_protocol, out_addr, debug_level, mesh);
    for (const [name, v] of [
      ['maxRoutes', maxRoutes],
      ['maxPathLength', maxPathLength],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new TypeError(`${name} must be a positive integer (got ${String(v)})`);
    }
    this.maxRoutes = maxRoutes;
    this.maxPathLength = maxPathLength;
    for (const f of [flags.new_paths, flags.revoke_paths, flags.forward]) this.node.linkOnly.add(f); // never taken from a broadcast
    void this.ready.then(
      () => (this.routes[this.id] = []),
      () => {},
    );
    this.node.on('peer', (peer: Peer) => this.sendPaths(peer));
    this.node.on('peer-left', (peer: Peer) => this.forgetVia(peer));
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
   * Send `[type, …packets]` to `dest` along its route: directly when it is a
   * neighbour, else wrapped in a forward to the first hop. Throws
   * NotConnectedError when no route is known.
   */
  sendTo(dest: string, packets: unknown[], flag: number = flags.whisper, type: number = flags.whisper): void {
    const path = this.routes[String(dest)];
    const hop = path?.length ? this.node.peers.get(path[0]) : undefined;
    if (!path?.length || !hop) throw new NotConnectedError(`no route to ${String(dest)} (routes are learnt from neighbours' advertisements; connect to a node that has one)`);
    this.node.sendToPeer(hop, flag, path[0] === dest ? [type, ...packets] : [flags.forward, dest, type, ...packets]);
  }

  /** Send this node's routes to `conn`, each path prefixed with this node's ID (js2p's `_send_paths`). */
  _send_paths(conn: Peer): void {
    this.sendPaths(conn);
  }

  private sendPaths(peer: Peer): void {
    if (!this.id || peer.conn.closed) return;
    const table: Record<string, string[]> = {};
    for (const [dest, path] of Object.entries(this.routes)) table[dest] = [this.id, ...path];
    this.node.sendToPeer(peer, flags.whisper, [flags.new_paths, table]);
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
    let changed = false;
    for (const [dest, path] of Object.entries(table as Record<string, unknown>)) {
      if (!this.usablePath(dest, path, from.id)) continue;
      const known = this.routes[dest];
      if (known && known.length <= path.length) continue;
      if (!known && Object.keys(this.routes).length >= this.maxRoutes) continue;
      this.routes[dest] = path.slice();
      changed = true;
    }
    if (changed) this.scheduleAdvertise();
    return true;
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

  /** A neighbour revoked paths: the routes this node had through it go. */
  private revoke(table: unknown, from: Peer): true {
    if (!table || typeof table !== 'object' || Array.isArray(table)) return true;
    let changed = false;
    for (const dest of Object.keys(table)) {
      if (dest !== this.id && this.routes[dest]?.[0] === from.id) {
        delete this.routes[dest];
        changed = true;
      }
    }
    if (changed) this.scheduleAdvertise();
    return true;
  }

  /** A neighbour is gone: drop the routes through it and tell the others. */
  private forgetVia(peer: Peer): void {
    if (!peer.id) return;
    const revoked: Record<string, string[]> = {};
    for (const [dest, path] of Object.entries(this.routes)) {
      if (path[0] !== peer.id) continue;
      revoked[dest] = [this.id, ...path];
      delete this.routes[dest];
    }
    if (!Object.keys(revoked).length) return;
    for (const p of this.node.peers.values()) this.node.sendToPeer(p, flags.whisper, [flags.revoke_paths, revoked]);
  }

  /** Pass a forward on, once: to the destination without the wrapper, or to the next hop. */
  private forward(msg: Message, p: unknown[]): true {
    const dest = p[1];
    if (!isId(dest) || dest === this.id || p.length < 3) return true;
    const path = this.routes[dest];
    const hop = path?.length ? this.node.peers.get(path[0]) : undefined;
    if (!hop || this.node.seen.seen(msg.id, msg.time, nowSeconds())) return true;
    this.node.sendToPeer(hop, msg.msg.msg_type, path[0] === dest ? p.slice(2) : p, String(msg.sender), msg.time);
    return true;
  }

  private scheduleAdvertise(): void {
    if (this.advertiseTimer) return;
    this.advertiseTimer = setTimeout(() => {
      this.advertiseTimer = null;
      for (const peer of this.node.peers.values()) this.sendPaths(peer);
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
