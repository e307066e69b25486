/**
 * js2p-shaped mesh module (shared/JS2P_API.md §3): `new MeshSocket(addr, port,
 * protocol, out_addr, debug_level)` over polyp2p's MeshNode. Fixes js2p's
 * bugs (§9) while keeping its call shapes: routing_table keyed by ID text,
 * reply() through address requests works, close() closes everything and
 * returns a promise.
 */
import * as util from 'util';
import { Peer } from '../mesh/peer';
import type { MeshOptions } from '../mesh/options';
import { flags } from '../base/flags';
import { nowSeconds } from '../base/ids';
import { DuplicateIdError } from '../base/errors';
import { BaseSocket, Protocol } from './base';
import type { Message } from './internal-message';

/** Module-wide, as in js2p: programs assign `mesh.max_outgoing = n`; read when a socket is created. */
export const max_outgoing = 4;
export const default_protocol = new Protocol('mesh', 'Plaintext');

/**
 * A module-wide setting as the program left it on `exports` (js2p programs
 * assign them: `mesh.max_outgoing = 1`), checked.
 */
export function outgoingSetting(exports: Record<string, unknown>, module: string): number {
  const n = exports.max_outgoing;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new TypeError(`${module}.max_outgoing must be a non-negative integer (got ${util.inspect(n)})`);
  return n;
}

/**
 * js2p's MeshSocket: a BaseSocket whose node floods broadcasts and answers
 * address requests; adds connect/send/recv and the relay internals.
 */
export class MeshSocket extends BaseSocket {
  constructor(addr: string, port: number, protocol?: Protocol | null | false, out_addr?: [string, number], debug_level = 0, extra: MeshOptions = {}) {
    super(addr, port, protocol || default_protocol, out_addr, debug_level, extra);
  }

  /** `mesh.max_outgoing` as the program set it (ChordSocket: `chord.max_outgoing`). */
  protected maxOutgoingSetting(): number {
    return outgoingSetting(module.exports as Record<string, unknown>, 'mesh');
  }

  get queue(): number {
    return this.node.queued;
  }

  /** Open a connection (returns at once, as js2p; failures land in `exceptions`). */
  connect(addr: string, port: number, id?: string): boolean | undefined {
    if (id && id === this.id) return false;
    if ((addr === this.addr[0] && port === this.addr[1]) || (addr === this.out_addr[0] && port === this.out_addr[1])) return false;
    if (id && this.node.peers.has(String(id))) return true;
    this.node.connect(addr, port, { id: id ? String(id) : undefined }).catch((e: Error) => this.noteError(e));
    return undefined;
  }

  disconnect(conn: Peer): void {
    conn.close();
  }

  /** send(packets, flag = broadcast, type = broadcast): main flag `flag`, payload [type, ...packets]. */
  send(packets: unknown[], flag: number = flags.broadcast, type: number = flags.broadcast): void {
    this.node.sendAll(flag, [type, ...packets]);
  }

  recv(num?: number): Message | Message[] | undefined {
    if (!num) {
      const m = this.node.recv();
      return m ? this.toMessage(m) : undefined;
    }
    const out: Message[] = [];
    for (let i = 0; i < num; i++) {
      const m = this.node.recv();
      if (!m) break;
      out.push(this.toMessage(m));
    }
    return out;
  }

  /**
   * js2p's relay step: when `msg` (its ID and time) is new to this node it is
   * recorded and sent on, as received, to every routing-table peer but its
   * author, and true is returned; false for one already seen. Received
   * broadcasts have been through it before any handler sees them.
   */
  waterfall(msg: Message): boolean {
    const enc = { msgpack: msg.msg.__non_len_string, id: msg.id };
    this.node.assertFits(enc.msgpack); // what peers would refuse is refused here (ERR_MESSAGE_TOO_LARGE, ERR_ELEMENT_LIMIT)
    if (this.node.seen.seen(msg.id, msg.time, nowSeconds())) return false;
    const cache = new Map<number | null, Buffer>();
    for (const peer of this.node.peers.values()) {
      if (peer.id === String(msg.sender) || peer.conn.closed || enc.msgpack.length + 32 > this.node.bodyLimitFor(peer)) continue;
      peer.conn.writeFrame(this.node.frameFor(peer, enc, cache));
    }
    return true;
  }

  /** Whether this node remembers a message with this ID and time (js2p's `_in_waterfalls`). */
  _in_waterfalls(id: Uint8Array, time: number): boolean {
    return this.node.seen.has(id, time);
  }

  /** The messages this node remembers as [ID, time], newest first (js2p's `waterfalls`; built when read). */
  get waterfalls(): [Buffer, number][] {
    const { ids, ends, times } = this.node.seen.entries();
    const out: [Buffer, number][] = [];
    for (let i = ends.length - 1; i >= 0; i--) out.push([Buffer.from(ids.subarray(i ? ends[i - 1] : 0, ends[i])), times[i]]);
    return out;
  }

  /**
   * js2p's move_to_routing_table(id, conn), for subclasses: make sure a
   * connection that handshook as `id` holds that place in the routing table.
   * polyp2p enters every handshaked connection itself (sending its handshake
   * and peer list), so for such a connection this changes nothing. It
   * refuses what would break one-ID-per-connection: a connection under
   * another ID than it handshook with, or none yet (TypeError), and a second
   * link to a node whose first link stays (DuplicateIdError).
   */
  move_to_routing_table(id: unknown, conn: Peer): void {
    if (!conn.handshakeReceived || conn.id !== String(id)) {
      throw new TypeError(`a connection enters the routing table under the ID it handshook with (${conn.id ?? 'no handshake yet'}), not ${String(id)}`);
    }
    if (this.node.peers.get(conn.id) !== conn) throw new DuplicateIdError(`${conn.id} is linked through another connection, which this node keeps (one link per node)`);
  }

  /** Address requests made for `reply()` and not answered yet, as js2p's: request ID -> the reply to send. */
  get requests(): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = {};
    for (const [id, pending] of this.node.requests.live()) out[id] = pending.data;
    return out;
  }

  /** Used by Message.reply(). */
  reply_to(msg: Message, packs: unknown[]): void {
    this.node.replyTo({ sender: String(msg.sender) }, packs);
  }
}

/** js2p's connection class: routing-table values and handlers' second argument are instances. */
export { Peer as MeshConnection };
