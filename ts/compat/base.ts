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
import { Peer } from '../mesh/peer';

/** js2p's connection class (the mesh's MeshConnection): routing-table values are instances. */
export { Peer as BaseConnection };

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

export { InternalMessage, Message } from './internal-message';

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
