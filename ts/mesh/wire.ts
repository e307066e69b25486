/** Small readers for fields that arrive as msgpack str or bin (§5.3, §18.2). */

/** Text of a str or bin field, or null for anything else. */
export function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return null;
}

/** Longest host accepted in an address (a DNS name is at most 253 bytes, an IPv6 literal 45). */
export const MAX_HOST_LENGTH = 255;
/**
 * Longest node ID accepted (base58 of SHA-384 is at most 66 characters). A
 * longer sender, handshake ID or peer-list ID is not a node ID: the message
 * is ignored, so a peer cannot make this node keep and copy megabytes of "ID".
 */
export const MAX_ID_LENGTH = 128;

/** [host, port] from an address field, or null when malformed (or the host is longer than MAX_HOST_LENGTH). */
export function addrOf(v: unknown): [string, number] | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const host = textOf(v[0]);
  const port: unknown = v[1];
  if (!host || host.length > MAX_HOST_LENGTH || typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) return null;
  return [host, port];
}

/** A node ID field as text, or null when malformed or longer than MAX_ID_LENGTH. */
export function idOf(v: unknown): string | null {
  const id = textOf(v);
  return id && id.length <= MAX_ID_LENGTH ? id : null;
}

/** Compression flags from a list field (non-numbers dropped, at most 32). */
export function flagListOf(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is number => typeof x === 'number' && Number.isInteger(x)).slice(0, 32);
}

export function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
