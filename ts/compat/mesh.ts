/**
 * js2p-shaped mesh module (shared/JS2P_API.md §3): `new MeshSocket(addr, port,
 * protocol, out_addr, debug_level)` over polyp2p's MeshNode. Fixes js2p's
 * bugs (§9) while keeping its call shapes: routing_table keyed by ID text,
 * reply() through address requests works, close() closes everything and
 * returns a promise.
 */
import { EventEmitter } from 'events';
import { MeshNode } from '../mesh/mesh-node';
import type { MeshMessage } from '../mesh/message';
import type { Peer } from '../mesh/peer';
import type { MeshOptions } from '../mesh/options';
import { flags } from '../base/flags';
import { Protocol, user_salt } from './base';
import * as base from './base';
import { InternalMessage, Message } from './internal-message';

export const max_outgoing = 4;
export const default_protocol = new Protocol('mesh', 'Plaintext');

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

  constructor(addr: string, port: number, protocol: Protocol = default_protocol, out_addr?: [string, number], debug_level = 0, extra: MeshOptions = {}) {
    super();
    this.protocol = protocol;
    this.addr = [addr, port];
    this.out_addr = out_addr ?? [addr, port];
    this.debug_level = debug_level;
    this.node = this.createNode({
      host: addr,
      port,
      subnet: String(protocol.subnet),
      encryption: String(protocol.encryption),
      outAddr: this.out_addr,
      salt: (base as { user_salt: string }).user_salt ?? user_salt,
      queueMessages: true, // js2p programs read with recv() after the 'message' event
      ...extra,
    });
    this.node.on('connect', () => this.emit('connect', this));
    this.node.on('message', () => this.emit('message', this));
    this.node.on('peerError', (e: Error) => this.exceptions.push(e));
    this.ready = this.node.listen().then(
      () => undefined,
      (e: Error) => {
        this.exceptions.push(e);
        if (this.listenerCount('error')) this.emit('error', e);
      },
    );
  }

  protected createNode(options: MeshOptions): MeshNode {
    return new MeshNode(options);
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
    return this.ready.then(() => this.node.close());
  }
}

export { Peer as MeshConnection };
