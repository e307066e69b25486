/**
 * js2p-shaped mesh module (shared/JS2P_API.md §3): `new MeshSocket(addr, port,
 * protocol, out_addr, debug_level)` over polyp2p's MeshNode. Fixes js2p's
 * bugs (§9) while keeping its call shapes: routing_table keyed by ID text,
 * reply() through address requests works, close() closes everything and
 * returns a promise.
 */
import { EventEmitter } from 'events';
import * as util from 'util';
import { core } from '../native';
import { MeshNode } from '../mesh/mesh-node';
import type { MeshMessage } from '../mesh/message';
import { Peer } from '../mesh/peer';
import { IncomingServer } from './incoming';
import type { MeshOptions } from '../mesh/options';
import { flags } from '../base/flags';
import { Protocol, user_salt, lanAddress } from './base';
import * as base from './base';
import { InternalMessage, Message } from './internal-message';

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
 * The methods to offer: `base.compression` as the program left it (emptied:
 * none; reordered: that preference; one: only it), methods this build lacks
 * left out.
 */
function offeredCompression(): number[] {
  const list = (base as { compression: unknown }).compression;
  if (!Array.isArray(list)) throw new TypeError(`base.compression must be an array of compression flags (got ${util.inspect(list)})`);
  return list.filter((m): m is number => typeof m === 'number' && core.compressionMethods.includes(m));
}

type CompatHandler = (msg: Message, conn: Peer) => unknown;

export class MeshSocket extends EventEmitter {
  readonly node: MeshNode;
  readonly protocol: Protocol;
  readonly addr: [string, number];
  readonly out_addr: [string, number];
  readonly debug_level: number;
  readonly exceptions: Error[] = [];
  /** Resolves once the socket listens (js2p had no way to know). */
  readonly ready: Promise<void>;
  /** The listening server's face, as js2p's (`'listening'`, `'error'`, `listening`, `address()`). */
  readonly incoming: IncomingServer;

  constructor(addr: string, port: number, protocol?: Protocol | null | false, out_addr?: [string, number], debug_level = 0, extra: MeshOptions = {}) {
    super();
    protocol ||= default_protocol; // js2p: a falsy protocol means the default (its sync tutorial passes false)
    this.protocol = protocol;
    // bound to every interface: peers are told the LAN address, as js2p does
    this.addr = [addr === '0.0.0.0' ? lanAddress() : addr, port];
    this.out_addr = out_addr ?? this.addr;
    this.debug_level = debug_level;
    this.node = this.createNode({
      host: addr,
      port,
      subnet: String(protocol.subnet),
      encryption: String(protocol.encryption),
      outAddr: this.out_addr,
      salt: (base as { user_salt: string }).user_salt ?? user_salt,
      queueMessages: true, // js2p programs read with recv() after the 'message' event
      maxOutgoing: this.maxOutgoingSetting(),
      compression: offeredCompression(),
      ...extra,
    });
    this.node.on('connect', () => this.emit('connect', this));
    this.node.on('message', () => this.emit('message', this));
    this.node.on('peerError', (e: Error) => this.exceptions.push(e));
    this.incoming = new IncomingServer(
      addr,
      () => this.node.port,
      () => this.close(),
    );
    this.ready = this.node.listen().then(
      () => this.incoming.settle(null),
      (e: Error) => {
        this.exceptions.push(e);
        if (this.listenerCount('error')) this.emit('error', e);
        this.incoming.settle(e);
        throw e;
      },
    );
    // rejects for whoever awaits it; a js2p program that never does is not crashed by it (the error is in `status`)
    this.ready.catch(() => {});
  }

  protected createNode(options: MeshOptions): MeshNode {
    return new MeshNode(options);
  }

  /** `mesh.max_outgoing` as the program set it (ChordSocket: `chord.max_outgoing`). */
  protected maxOutgoingSetting(): number {
    return outgoingSetting(module.exports as Record<string, unknown>, 'mesh');
  }

  get id(): string {
    return this.node.id;
  }

  /** Map of peer ID (text) -> connection. */
  get routing_table(): Map<string, Peer> {
    return this.node.peers;
  }

  get awaiting_ids(): Peer[] {
    return [...this.node.awaiting];
  }

  get outgoing(): Peer[] {
    return [...this.node.peers.values()].filter((p) => p.outgoing);
  }

  get status(): 'Nominal' | Error[] {
    return this.exceptions.length ? this.exceptions : 'Nominal';
  }

  get queue(): number {
    return this.node.queued;
  }

  /** Open a connection (returns at once, as js2p; failures land in `exceptions`). */
  connect(addr: string, port: number, id?: string): boolean | undefined {
    if (id && id === this.id) return false;
    if ((addr === this.addr[0] && port === this.addr[1]) || (addr === this.out_addr[0] && port === this.out_addr[1])) return false;
    if (id && this.node.peers.has(String(id))) return true;
    this.node.connect(addr, port, { id: id ? String(id) : undefined }).catch((e: Error) => this.exceptions.push(e));
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

  register_handler(fn: CompatHandler): void {
    this.node.registerHandler((msg, peer) => fn(this.toMessage(msg), peer));
  }

  /** Used by Message.reply(). */
  reply_to(msg: Message, packs: unknown[]): void {
    this.node.replyTo({ sender: String(msg.sender) }, packs);
  }

  protected toMessage(m: MeshMessage): Message {
    return new Message(InternalMessage.fromDecoded(m.raw), this);
  }

  /** Close the listener and every connection; the returned promise resolves when all are closed. */
  close(): Promise<void> {
    return this.ready.then(
      () => this.node.close(),
      () => this.node.close(),
    );
  }
}

/** js2p's connection class: routing-table values and handlers' second argument are instances. */
export { Peer as MeshConnection };
