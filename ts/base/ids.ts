/**
 * Node, protocol and request IDs (PROTOCOL.md §7). Preimages are built here in
 * TypeScript (plain string formatting); the hashing runs in the active backend.
 */
import { randomUUID } from 'crypto';
import { core } from '../native';

/** The protocol version hashed into every protocol ID. */
export const PROTOCOL_VERSION = '0.7';

/** base58(int(SHA-256(subnet + encryption + "0.7"))) */
export function protocolId(subnet: string, encryption = 'Plaintext'): string {
  return core.protocolId(subnet, encryption, PROTOCOL_VERSION);
}

/** A node ID from any preimage: base58(int(SHA-384(preimage))). */
export function nodeId(preimage: string | Uint8Array): string {
  return core.nodeIdFromPreimage(typeof preimage === 'string' ? Buffer.from(preimage, 'utf8') : preimage);
}

/** js2p's preimage: "(" + bind_addr + ", " + bind_port + ")" + protocol_id + salt. */
export function js2pNodeIdPreimage(bindAddr: string, bindPort: number, protocolIdText: string, salt: string): string {
  return `(${bindAddr}, ${bindPort})${protocolIdText}${salt}`;
}

/** Python's repr() of a str, as py2p's str(out_addr) writes it. */
export function pythonStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

/** py2p's preimage: str((host, port)) + protocol_id + salt, e.g. "('127.0.0.1', 4444)…". */
export function py2pNodeIdPreimage(outHost: string, outPort: number, protocolIdText: string, salt: string): string {
  return `(${pythonStrRepr(outHost)}, ${outPort})${protocolIdText}${salt}`;
}

/** A random salt shaped like js2p's (UUID v4), from a CSPRNG (js2p used Math.random). */
export function createUserSalt(): string {
  return randomUUID();
}

/** Reply request ID (§7.4): base58(int(SHA-384(sender_id_text + base58(now_seconds)))). */
export function requestId(senderId: string, nowSeconds: number): string {
  return nodeId(senderId + core.base58EncodeInt(BigInt(Math.floor(nowSeconds))));
}

/** Whole seconds since the epoch (the `time` field). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
