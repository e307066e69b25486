/**
 * js2p-shaped `base` module (shared/JS2P_API.md §2) over polyp2p's core, for
 * programs that swap require('js2p') for require('polyp2p'). Call shapes are
 * js2p's; the bugs listed in JS2P_API.md §9 are fixed (from_base_58 rejects
 * invalid characters, len() works, decompression is capped).
 */
import * as os from 'os';
import * as util from 'util';
import { createHash } from 'crypto';
import bigInt = require('big-integer');
import { core } from '../native';
import { flags } from '../base/flags';
import { PROTOCOL_VERSION, createUserSalt, nowSeconds } from '../base/ids';
import { UnknownCompressionError } from '../base/errors';
import { EventEmitter } from 'events';
import { Peer, type PeerClass } from '../mesh/peer';
import { MeshNode } from '../mesh/mesh-node';
import type { MeshMessage } from '../mesh/message';
import type { MeshOptions } from '../mesh/options';
import * as nodeZlib from 'zlib';
import { IncomingServer } from './incoming';
import { InternalMessage, Message } from './internal-message';
import { checkProtocol, debugLevel, socketAddress } from './socket-arguments';

/** js2p's connection class (the mesh's MeshConnection): routing-table values are instances. */
export { Peer as BaseConnection };
/** Node's zlib, as js2p's `base.zlib` (its compression helpers' backend). */
export const zlib: typeof nodeZlib = nodeZlib;

export { flags };

export const version_info: [number, number, number] = [0, 7, 870];
export const node_policy_version = '870';
export const protocol_version = PROTOCOL_VERSION;
export const version = '0.7.870';
export const base_58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Default decompression cap for compat calls (js2p had none): 16 MiB, like maxFrameSize. */
export const max_decompressed_size = 16 * 1024 * 1024;

/**
 * Compression flags this module offers, in preference order: js2p's own list
 * ([0x20, 0x13, 0x11]). compress()/decompress() also accept bz2 (0x10) and
 * lzma (0x12), which py2p uses; polyp2p's mesh offers all five.
 */
export const compression: number[] = [0x20, 0x13, 0x11].filter((m) => core.compressionMethods.includes(m));

/**
 * The address a socket bound to '0.0.0.0' gives peers, as js2p's
 * `ip.address()`: the first non-internal IPv4 address, else loopback.
 */
export function lanAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Module-wide salt read by socket constructors; tests may overwrite it, as with js2p. */
export let user_salt: string = createUserSalt();
export function set_user_salt(salt: string): void {
  user_salt = salt;
}

type BytesLike = Buffer | Uint8Array | string | number[];
function toBuffer(x: BytesLike): Buffer {
  if (Buffer.isBuffer(x)) return x;
  if (typeof x === 'string') return Buffer.from(x, 'utf8');
  return Buffer.from(x as Uint8Array);
}

function checkMethod(method: unknown): number {
  if (typeof method !== 'number' || !core.compressionMethods.includes(method)) {
    throw new UnknownCompressionError(`Unknown compression method ${util.inspect(method)}; supported: ${compression.join(', ')}`);
  }
  return method;
}

export function compress(text: BytesLike, method: number): Buffer {
  return core.compress(toBuffer(text), checkMethod(method));
}

export function decompress(text: BytesLike, method: number): Buffer {
  return core.decompress(toBuffer(text), checkMethod(method), max_decompressed_size);
}

/** Items of the first array present in every other array, in the first one's order. */
export function intersect<T>(first: readonly T[], ...rest: (readonly T[])[]): T[] {
  return first.filter((x, i) => first.indexOf(x) === i && rest.every((r) => r.some((y) => String(y) === String(x))));
}

/** Big-endian unsigned value of a Buffer or string (as a big-integer, like js2p). */
export function unpack_value(str: BytesLike): bigInt.BigInteger {
  const b = typeof str === 'string' ? Buffer.from(str, 'latin1') : toBuffer(str);
  return b.length ? bigInt(b.toString('hex'), 16) : bigInt.zero;
}

/** Big-endian, zero-padded to `len` bytes (high bytes dropped if too large, as js2p). */
export function pack_value(len: number, i: number | bigint | bigInt.BigInteger | string): Buffer {
  let n = BigInt(i.toString());
  const out = Buffer.alloc(len);
  for (let j = len - 1; j >= 0 && n > 0n; j--) {
    out[j] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

export function to_base_58(i: number | bigint | bigInt.BigInteger | string): string {
  let n: bigint;
  if (typeof i === 'bigint') n = i;
  else if (typeof i === 'number') n = BigInt(Math.trunc(i));
  else n = BigInt(i.toString());
  return core.base58EncodeInt(n);
}

/** base58 -> big-integer; throws Base58Error on characters outside the alphabet (js2p accepted them). */
export function from_base_58(string: string | Buffer): bigInt.BigInteger {
  return bigInt(core.base58DecodeInt(string.toString()).toString());
}

export function getUTC(): number {
  return nowSeconds();
}

export function SHA256(data: BytesLike): string {
  return createHash('sha256').update(toBuffer(data)).digest('hex');
}
export function SHA384(data: BytesLike): string {
  return createHash('sha384').update(toBuffer(data)).digest('hex');
}

export class Protocol {
  constructor(
    public subnet: string,
    public encryption: string,
  ) {}
  get id(): string {
    return core.protocolId(String(this.subnet), String(this.encryption), PROTOCOL_VERSION);
  }
}

export const default_protocol = new Protocol('', 'Plaintext');

export { InternalMessage, Message };

/**
 * js2p's get_server(protocol): an unbound server for the protocol's transport
 * (net.Server, tls.Server with a fresh self-signed certificate, or an
 * http.Server whose `wss` is a `ws` WebSocketServer); throws on unknown ones.
 */
export function get_server(aProtocol: Protocol): import('net').Server {
  const enc = String(aProtocol.encryption);
  if (enc === 'Plaintext') return new (require('net') as typeof import('net')).Server();
  if (enc === 'SSL') {
    const { selfSignedCertificate } = require('../transport/certificate') as typeof import('../transport/certificate');
    return (require('tls') as typeof import('tls')).createServer(selfSignedCertificate());
  }
  if (enc === 'ws') {
    const server = (require('http') as typeof import('http')).createServer();
    const { WebSocketServer } = require('ws') as typeof import('ws');
    (server as unknown as { wss: unknown }).wss = new WebSocketServer({ server });
    return server;
  }
  throw new Error('Unknown transport protocol');
}

/** js2p's get_socket(addr, port, protocol): a client socket, already connecting. */
export function get_socket(addr: string, port: number, aProtocol: Protocol): unknown {
  const enc = String(aProtocol.encryption);
  if (enc === 'Plaintext') return (require('net') as typeof import('net')).connect(port, addr);
  if (enc === 'SSL') return (require('tls') as typeof import('tls')).connect(port, addr, { rejectUnauthorized: false });
  if (enc === 'ws') {
    const WebSocket = require('ws') as typeof import('ws');
    return new WebSocket(`ws://${addr}:${port}`);
  }
  throw new Error('Unknown transport protocol');
}

/** Errors a socket keeps in `exceptions` (`status`): the newest. */
export const MAX_EXCEPTIONS = 1024;

/** A handler as js2p programs register it: `fn(msg, conn)`, truthy to claim the message. */
export type CompatHandler = (msg: Message, conn: Peer) => unknown;

/**
 * The methods a socket offers: `base.compression` as the program left it
 * (emptied: none; reordered: that preference; one: only it), methods this
 * build lacks left out. Read when a socket is created.
 */
function offeredCompression(): number[] {
  const list = (module.exports as { compression: unknown }).compression;
  if (!Array.isArray(list)) throw new TypeError(`base.compression must be an array of compression flags (got ${util.inspect(list)})`);
  return list.filter((m): m is number => typeof m === 'number' && core.compressionMethods.includes(m));
}

/**
 * js2p's BaseSocket (shared/JS2P_API.md §2.7) over a polyp2p node: listens at
 * once, keeps the routing table, the handler chain and `status`. MeshSocket,
 * SyncSocket and ChordSocket extend it; a program's subclass may override
 * `handle_msg` (every message no built-in handler took goes through it) and
 * set `conn_type` (the class of the connections made from then on).
 */
export class BaseSocket extends EventEmitter {
  readonly node: MeshNode;
  readonly protocol: Protocol;
  readonly addr: [string, number];
  readonly out_addr: [string, number];
  readonly debug_level: number;
  /** Errors caught while handling peers, oldest first; the newest MAX_EXCEPTIONS are kept (peers cannot grow it without bound). */
  readonly exceptions: Error[] = [];
  /** Resolves once the socket listens (js2p had no way to know); rejects when listening fails. */
  readonly ready: Promise<void>;
  /** The listening server's face, as js2p's (`'listening'`, `'error'`, `listening`, `address()`). */
  readonly incoming: IncomingServer;
  private readonly handlers: CompatHandler[] = [];

  constructor(addr: string, port: number, protocol?: Protocol | null | false, out_addr?: [string, number], debug_level = 0, extra: MeshOptions = {}) {
    super();
    checkProtocol(protocol, extra);
    const bind = socketAddress(addr, port, out_addr);
    protocol ||= (module.exports as { default_protocol: Protocol }).default_protocol; // js2p: a falsy protocol means the default
    this.protocol = protocol;
    // bound to every interface: peers are told the LAN address, as js2p does
    this.addr = [bind.host === '0.0.0.0' ? lanAddress() : bind.host, bind.port];
    this.out_addr = bind.outAddr ?? this.addr;
    this.debug_level = debugLevel(debug_level);
    this.node = this.createNode({
      host: bind.host,
      port: bind.port,
      subnet: String(protocol.subnet),
      encryption: String(protocol.encryption),
      outAddr: this.out_addr,
      salt: (module.exports as { user_salt?: string }).user_salt ?? user_salt,
      queueMessages: true, // js2p programs read with recv() after the 'message' event
      maxOutgoing: this.maxOutgoingSetting(),
      compression: offeredCompression(),
      ...extra,
    });
    this.node.on('connect', () => this.emit('connect', this));
    this.node.on('message', () => this.emit('message', this));
    this.node.on('peerError', (e: Error) => this.noteError(e));
    // one handler on the node: the chain runs through this.handle_msg, so a subclass can override it
    this.node.registerHandler((msg, peer) => (this.handlers.length || this.handle_msg !== BaseSocket.prototype.handle_msg ? this.handle_msg(this.toMessage(msg), peer) : undefined));
    this.incoming = new IncomingServer(
      addr,
      () => this.node.port,
      () => this.close(),
    );
    this.ready = this.node.listen().then(
      () => this.incoming.settle(null),
      (e: Error) => {
        this.noteError(e);
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

  /** Keep an error for `status` (js2p's list grew for ever: a peer sending junk on new connections filled memory). */
  noteError(e: Error): void {
    this.exceptions.push(e);
    if (this.exceptions.length > MAX_EXCEPTIONS) this.exceptions.splice(0, this.exceptions.length - MAX_EXCEPTIONS);
  }

  /** Automatic outgoing connections (MeshSocket: `mesh.max_outgoing`, ChordSocket: `chord.max_outgoing`). */
  protected maxOutgoingSetting(): number {
    return 4;
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

  /** The class connections are made of from now on (js2p's `conn_type`): BaseConnection or a subclass. */
  get conn_type(): PeerClass {
    return this.node.peerClass;
  }
  set conn_type(cls: PeerClass) {
    if (typeof cls !== 'function' || !(cls === Peer || cls.prototype instanceof Peer))
      throw new TypeError('conn_type must be the connection class (BaseConnection / MeshConnection) or a subclass of it');
    this.node.peerClass = cls;
  }

  /** Add `fn(msg, conn)`, run after the built-in handlers in registration order; the first truthy return claims the message. */
  register_handler(fn: CompatHandler): void {
    this.handlers.push(fn);
  }

  /** Run the handler chain on a message from `conn`; returns what claimed it (truthy) or undefined. */
  handle_msg(msg: Message, conn: Peer): unknown {
    for (const fn of this.handlers) {
      const claimed = fn(msg, conn);
      if (claimed) return claimed;
    }
    return undefined;
  }

  /** Send this node's handshake on `conn` (in the protocol-ID type the peer used). */
  _send_handshake(conn: Peer): void {
    this.node.sendHandshake(conn, conn.protocolIdForm ?? 'str');
  }

  /** Send this node's peer list on `conn` (at most once a second per connection). */
  _send_peers(conn: Peer): void {
    this.node.sendPeers(conn);
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
